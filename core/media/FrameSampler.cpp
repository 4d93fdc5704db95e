#include "media/FrameSampler.h"

#include <algorithm>

namespace vop::media {

std::vector<double> sampleTimes(double start, double end, int count)
{
    std::vector<double> times;
    if (count <= 0)
        return times;
    const double span = std::max(0.0, end - start);
    times.reserve(size_t(count));
    for (int i = 0; i < count; ++i)
        times.push_back(start + (i + 0.5) * span / count);
    return times;
}

std::vector<VideoFrame> sampleFrames(VideoDecoder& decoder, double start, double end, int count, SeekMode mode)
{
    std::vector<VideoFrame> frames;
    frames.reserve(size_t(std::max(count, 0)));
    for (double t : sampleTimes(start, end, count))
        frames.push_back(decoder.frameAt(t, mode));
    return frames;
}

} // namespace vop::media
