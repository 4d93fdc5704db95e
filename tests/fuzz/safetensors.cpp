// Fuzz target: the safetensors reader (model/SafeTensors.cpp), as it opens a checkpoint or a
// prompt set. Every tensor it accepts must lie inside the file.
#include "FuzzSupport.h"
#include "model/SafeTensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto path = vop::fuzz::writeTemp("input.safetensors", data, size);
    try {
        const auto file = vop::safetensors::File::open(path);
        for (const auto& t : file.tensors()) {
            const uint64_t bytes = t.end - t.begin;
            if (uint64_t(t.numel()) * vop::safetensors::dtypeSize(t.dtype) != bytes)
                __builtin_trap(); // accepted a tensor whose size does not match its shape
            vop::fuzz::touch(file.data(t), bytes);
        }
        (void)vop::safetensors::File::looksLikeSafeTensors(path);
    } catch (const vop::Error&) {
    }
    return 0;
}
