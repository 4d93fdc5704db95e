#include "media/Segments.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace vop::media {

std::vector<Segment> planSegments(double duration, double segmentMax, double window, double overlap)
{
    if (!(window > 0))
        throw std::invalid_argument("segment window must be positive");
    if (!(overlap >= 0 && overlap < window))
        throw std::invalid_argument("segment overlap must be at least 0 and less than the window");
    if (!std::isfinite(duration) || duration <= 0)
        return {Segment{0, std::isfinite(duration) ? std::max(duration, 0.0) : 0.0}};
    if (duration <= segmentMax)
        return {Segment{0, duration}};

    const double step = window - overlap;
    std::vector<Segment> out;
    for (long i = 0;; ++i) {
        const double start = i * step; // multiplied, not accumulated: no drift over hours
        const double end = std::min(start + window, duration);
        out.push_back({start, end});
        if (end >= duration)
            break;
    }
    if (out.size() >= 2) {
        const Segment& tail = out.back();
        const double fresh = tail.end - out[out.size() - 2].end; // footage no earlier window has
        if (fresh < window / 3) {
            out.pop_back();
            out.back().end = duration;
        }
    }
    return out;
}

} // namespace vop::media
