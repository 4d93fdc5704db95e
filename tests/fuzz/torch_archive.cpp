// Fuzz target: the checks of a TorchScript archive's zip container (model/TorchArchive.cpp),
// which run before LibTorch reads the file. LibTorch's own parsing (the pickles) is not fuzzed
// here: it is not our code and is not built with the sanitizers.
#include "FuzzSupport.h"
#include "model/TorchArchive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    try {
        const auto archive = vop::torcharchive::check(data, size, "fuzz input");
        for (const auto& e : archive.entries) {
            if (e.dataOffset > size || e.compressedSize > size - e.dataOffset)
                __builtin_trap(); // accepted a record outside the buffer
            vop::fuzz::touch(data + e.dataOffset, e.compressedSize);
        }
    } catch (const vop::Error&) {
    }
    return 0;
}
