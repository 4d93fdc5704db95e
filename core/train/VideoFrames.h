#pragma once
// The FFmpeg frame decoder for the frame cache (built only with core/media).
#include "train/FrameCache.h"

namespace vop {

// Opens the video with core/media and samples `count` frames at the middles of `count` equal
// parts of its duration (media::sampleFrames, accurate seeking): the frames the library's
// indexing and `encode --video` use for the same F when S = 1.
FrameCache::Decoder videoFileDecoder();

} // namespace vop
