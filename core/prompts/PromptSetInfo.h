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

// The info in a prompt set's safetensors metadata (format, version, options, backbone,
// provenance); throws InputError naming `path` when it is not a vopsearch prompt set this
// version reads. Does not look at the tensors (readPromptSetInfo does).
PromptSetInfo promptSetInfoFromMetadata(const std::string& path, const std::map<std::string, std::string>& meta);

// Throws InputError when a set made for the backbone `made` cannot be used with `loaded`: their
// shapes (ClipConfig::summary) differ, or both know the checkpoint sha256 and those differ (same
// shape, other weights). An empty shape or sha256 on either side is not compared. `setName` and
// `modelName` ("the loaded model", "the library's model ViT-B-32.pt") name both in the message.
void requireSameBackbone(const std::string& setName, const BackboneIdentity& made, const BackboneIdentity& loaded,
                         const std::string& modelName = "the loaded model");

// Whether a prompt-set file holds text prompts only (no `visual.*` / `context.*` tensor: videos
// encode as zero-shot CLIP). Cheap: reads the header. InputError when it cannot be read.
bool promptSetIsTextOnly(const std::string& path);

} // namespace vop
