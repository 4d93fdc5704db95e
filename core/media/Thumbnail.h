#pragma once
#include "media/VideoDecoder.h"
#include "util/Image.h"

#include <cstddef>
#include <vector>

namespace vop::media {

struct LumaStats {
    double mean = 0;   // 0..255
    double stddev = 0; // 0..~128
};

// Mean and spread of the luma (BT.601 weights) over a grid of at most ~64x64 samples.
LumaStats lumaStats(const RgbImage& image);

// Black (fade, lens cap), or flat (one colour: a title card's background, a white flash).
bool isBlankFrame(const RgbImage& image);

// The index of the frame to show for a segment: the non-blank frame nearest the middle; when
// every frame is blank, the one with the most detail (brighter wins a tie). Throws
// std::invalid_argument for an empty list.
size_t pickThumbnail(const std::vector<RgbImage>& frames);
size_t pickThumbnail(const std::vector<VideoFrame>& frames);

} // namespace vop::media
