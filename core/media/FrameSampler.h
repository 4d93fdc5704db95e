#pragma once
#include "media/VideoDecoder.h"

#include <vector>

namespace vop::media {

// The middle of each of `count` equal parts of [start, end], in increasing order.
// count <= 0 gives none; end < start is treated as an empty span at start.
std::vector<double> sampleTimes(double start, double end, int count);

// `count` frames at sampleTimes(start, end, count), in order. A video with fewer frames than
// that repeats the nearest ones (a one-frame video gives that frame `count` times). Requests go
// in increasing time, so the decoder decodes forward instead of seeking between them.
std::vector<VideoFrame> sampleFrames(VideoDecoder& decoder, double start, double end, int count,
                                     SeekMode mode = SeekMode::Accurate);

} // namespace vop::media
