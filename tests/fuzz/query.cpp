// Fuzz target: the query parser (search/Query.cpp) on any text a person can type or paste.
#include "search/Query.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    const auto q = vop::search::parseQuery(text);
    if (q.positive.size() > text.size())
        __builtin_trap();
    for (const auto& n : q.negatives)
        if (n.empty() || n.size() > text.size())
            __builtin_trap();
    return 0;
}
