#pragma once
// What a prompt-set file says about itself, without torch: the GUI's prompt-set manager and the
// services include this header; prompts/PromptSet.h (torch) saves and loads the tensors.
#include "model/ClipConfig.h"
#include "prompts/Variant.h"

#include <cstdint>
#include <map>
#include <string>

namespace vop {

constexpr int kPromptSetFormatVersion = 1;

struct BackboneIdentity {
    std::string sha256;  // of the checkpoint file ("" when unknown, e.g. a synthetic model)
    std::string shape;   // ClipConfig::summary()
};

struct PromptSetInfo {
    PromptOptions options;
    BackboneIdentity backbone;
    std::map<std::string, std::string> provenance; // dataset, samples, epochs, metrics, created, ...
    int formatVersion = kPromptSetFormatVersion;
    int64_t parameters = 0;
};

// Metadata, checked against the tensors the file holds (cheap: reads the header). Throws
// InputError naming the file and what is wrong: not safetensors, truncated, not a vopsearch
// prompt set, a newer format, bad options, no parseable backbone, or a tensor missing, extra or
// of the wrong shape for its variant (a damaged file).
PromptSetInfo readPromptSetInfo(const std::string& path);

// Reads the whole file as `config`'s prompt set would be loaded (every tensor present and
// well-shaped, the backbone's shape and, when both are known, its sha256 equal) and discards it.
// Throws InputError saying what is wrong.
PromptSetInfo checkPromptSet(const std::string& path, const ClipConfig& config, const BackboneIdentity& backbone);

// Whether a prompt-set file holds text prompts only (no `visual.*` / `context.*` tensor: videos
// encode as zero-shot CLIP). Cheap: reads the header. InputError when it cannot be read.
bool promptSetIsTextOnly(const std::string& path);

} // namespace vop
