#pragma once
// Small randomly initialised CLIP shapes for model tests (no weights on disk).
#include "model/ClipConfig.h"

#include <cstdint>

namespace vop::test {

// 32 px images, patch 16, `layers` layers of `width` in both towers, MLP 2x, CLIP's vocabulary
// and context.
inline vop::ClipConfig smallClipConfig(int64_t width = 128, int64_t layers = 3, int64_t embed = 64)
{
    vop::ClipConfig c;
    c.imageResolution = 32;
    c.visionPatch = 16;
    c.visionWidth = width;
    c.visionLayers = layers;
    c.visionMlpWidth = 2 * width;
    c.textWidth = width;
    c.textLayers = layers;
    c.textMlpWidth = 2 * width;
    c.embedDim = embed;
    c.contextLength = 77;
    c.vocabSize = 49408;
    return c;
}

} // namespace vop::test
