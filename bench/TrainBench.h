#pragma once
// Training speed and memory of a variant on a synthetic backbone (random weights, random frames
// and captions), for `vopsearch-cli bench-train`. No torch in this header.
#include "model/ClipConfig.h"
#include "prompts/Variant.h"

#include <string>

namespace vop::bench {

struct TrainBenchResult {
    std::string device;
    int threads = 0;
    int batch = 0, frames = 0, steps = 0;
    int64_t trainable = 0;
    double secondsPerStep = 0;
    double samplesPerSecond = 0;   // clips (of `frames` frames) per second
    double peakRssDeltaMiB = 0;    // growth of the process's peak resident set during training (activations, optimizer)
    double peakRssMiB = 0;         // peak resident set of the process
    double loss = 0;               // of the last step (sanity: finite)
};

// One untimed warm-up step, then `steps` timed steps of the full training step (frames through
// the prompted image tower, captions through the prompted text tower, multi-positive InfoNCE,
// backward, clipping, AdamW).
// threads: CPU threads for torch (0 = all cores).
TrainBenchResult runTrainBench(const ClipConfig& config, const PromptOptions& prompts, int batch, int steps,
                               const std::string& device, int threads = 0);

} // namespace vop::bench
