#pragma once
// Encoding speed of video segments (F frames each) per VoP variant on a synthetic backbone
// (`vopsearch-cli bench encode --variant V`), so the cost of VoP^F's joint attention and VoP^C's
// generator is visible.
#include "prompts/Variant.h"

#include <string>

namespace vop::bench {

struct VariantBenchResult {
    std::string variant;
    int frames = 0;
    int segmentsPerBatch = 0;
    double segmentsPerSecond = 0;
    double framesPerSecond = 0;
    int64_t trainableParameters = 0;
};

VariantBenchResult runVariantBench(const ClipConfig& config, Variant variant, const std::string& device,
                                   int segmentsPerBatch, int frames = 12, double seconds = 3.0);

} // namespace vop::bench
