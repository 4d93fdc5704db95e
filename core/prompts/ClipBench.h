#pragma once
// Clip-encoding speed per VoP variant on a synthetic backbone (`vopsearch-cli bench encode
// --variant V`), so the cost of VoP^F's joint attention and VoP^C's generator is visible.
#include "prompts/Variant.h"

#include <string>

namespace vop {

struct ClipBenchResult {
    std::string variant;
    int frames = 0;
    int clipsPerBatch = 0;
    double clipsPerSecond = 0;
    double framesPerSecond = 0;
    int64_t trainableParameters = 0;
};

ClipBenchResult runClipBench(const ClipConfig& config, Variant variant, const std::string& device, int clipsPerBatch,
                             int frames = 12, double seconds = 3.0);

} // namespace vop
