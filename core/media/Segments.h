#pragma once
#include <vector>

namespace vop::media {

// A stretch of a video, in seconds from its start; search results point at these.
struct Segment {
    double start = 0;
    double end = 0;
    double length() const { return end - start; }
};

// Cuts a video into the segments that get one embedding each. A video up to `segmentMax`
// seconds is one segment; a longer one becomes windows of `window` seconds that start every
// `window - overlap` seconds; the last window ends at the end, and a tail that would add less
// than window/3 of new footage is merged into the window before it. A zero, negative or
// unknown (NaN) duration gives one segment [0, max(duration, 0)].
// Throws std::invalid_argument when window <= 0 or overlap is outside [0, window).
std::vector<Segment> planSegments(double duration, double segmentMax = 30, double window = 15,
                                  double overlap = 0);

} // namespace vop::media
