// Fuzz target: the prompt-set reader without torch (prompts/PromptSetInfo.cpp: the metadata,
// the backbone, every tensor against its variant), as `prompts info`, `prompt-sets install` and
// the GUI's prompt-set manager read a file someone shared.
#include "FuzzSupport.h"
#include "prompts/PromptSetInfo.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto path = vop::fuzz::writeTemp("input.prompts.safetensors", data, size);
    try {
        const auto info = vop::readPromptSetInfo(path);
        (void)vop::promptSetIsTextOnly(path);
        vop::requireSameBackbone(path, info.backbone, {"", info.backbone.shape});
    } catch (const vop::Error&) {
    }
    return 0;
}
