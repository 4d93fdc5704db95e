#pragma once
// Hyper-parameters of a CLIP model, read off its weights the way openai/CLIP's build_model
// does: widths from shapes, layer counts from key names, heads = width / 64. Any shape works,
// not only ViT-B/32. No torch here: shapes are plain vectors.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vop {

using Shape = std::vector<int64_t>;
using ShapeMap = std::map<std::string, Shape>; // official parameter name -> shape

struct ClipConfig {
    int64_t embedDim = 512;
    // vision tower (ViT)
    int64_t imageResolution = 224;
    int64_t visionPatch = 32;
    int64_t visionWidth = 768;
    int64_t visionLayers = 12;
    int64_t visionMlpWidth = 3072;
    // text tower
    int64_t contextLength = 77;
    int64_t vocabSize = 49408;
    int64_t textWidth = 512;
    int64_t textLayers = 12;
    int64_t textMlpWidth = 2048;

    int64_t visionHeads() const { return visionWidth / 64 > 0 ? visionWidth / 64 : 1; }
    int64_t textHeads() const { return textWidth / 64 > 0 ? textWidth / 64 : 1; }
    int64_t visionGrid() const { return imageResolution / visionPatch; }
    int64_t visionTokens() const { return visionGrid() * visionGrid() + 1; } // patches + [CLS]

    // Infers the config from the shapes of a checkpoint in official naming. Throws InputError
    // naming the tensor that is missing or of an impossible shape.
    static ClipConfig fromShapes(const ShapeMap& shapes);
    static ClipConfig vitB32(); // the shapes of OpenAI's ViT-B/32

    // Every parameter of a model of this config, official naming -> shape.
    ShapeMap expectedShapes() const;
    // Parameters counted over expectedShapes() (logit_scale included).
    int64_t parameterCount() const;
    // "vision ViT 768w x 12L patch 32 @224, text 512w x 12L ctx 77, embed 512"
    std::string summary() const;
    // The config a summary() names (widths, layers, patch, resolution, context, embed; MLP widths
    // 4x, heads from widths), or nullopt when `s` is not such a summary.
    static std::optional<ClipConfig> fromSummary(const std::string& s);
    bool operator==(const ClipConfig& o) const;
    bool operator!=(const ClipConfig& o) const { return !(*this == o); }
};

} // namespace vop
