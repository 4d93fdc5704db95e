// Fuzz target: CLIP's tokenizer (model/ClipTokenizer.cpp) on any bytes of any length: cleaning
// (HTML entities, Unicode case and classes on invalid UTF-8), word splitting, BPE, decoding.
#include "FuzzSupport.h"
#include "model/ClipTokenizer.h"
#include "util/Paths.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const vop::ClipTokenizer tokenizer(vop::paths::resolveBpeVocab(""));
    const std::string text(reinterpret_cast<const char*>(data), size);
    const auto ids = tokenizer.encode(text);
    for (int id : ids)
        if (id < 0 || id >= tokenizer.vocabSize())
            __builtin_trap();
    const auto padded = tokenizer.tokenize(text, vop::ClipTokenizer::kContextLength, /*truncate=*/true);
    if (padded.size() != size_t(vop::ClipTokenizer::kContextLength))
        __builtin_trap();
    (void)tokenizer.decode(ids);
    try {
        (void)tokenizer.tokenize(text);
    } catch (const vop::Error&) { // too long without truncation: the message says how long
    }
    return 0;
}
