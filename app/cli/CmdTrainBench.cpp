// vopsearch-cli bench-train: time a training step of a variant on the synthetic ViT-B/32 shape.
#include "Commands.h"

#include "model/ClipConfig.h"
#include "prompts/Variant.h"
#include "bench/TrainBench.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace vop::cli {
namespace {

const char* kBenchUsage =
    "usage: vopsearch-cli bench-train --variant V [--batch N] [--steps N] [--frames N] [--synthetic vit-b-32]\n"
    "                                 [--device D] [--threads N] [--json]\n"
    "Training speed of one variant on a randomly initialised CLIP of the given shape with random frames and\n"
    "captions: the full step (prompted towers forward, InfoNCE, backward, clipping, AdamW), after one\n"
    "untimed warm-up step. Prints clips/s and the growth of the process's peak resident memory over the\n"
    "steps (one variant per process, so that the peak is its own).";

int runBenchTrain(const std::vector<std::string>& argv)
{
    Args a(argv, {"variant", "batch", "steps", "frames", "synthetic", "device", "threads", "split-depth"}, {"json"});
    if (!a.has("variant")) throw UsageError("bench-train needs --variant");
    const auto shape = a.get("synthetic", "vit-b-32");
    if (shape != "vit-b-32") throw UsageError("unknown synthetic shape '" + shape + "' (vit-b-32)");
    PromptOptions po;
    po.variant = parseVariant(a.get("variant"));
    po.frames = a.getInt("frames", 12);
    po.splitDepth = a.getInt("split-depth", -1);
    const auto r = bench::runTrainBench(ClipConfig::vitB32(), po, a.getInt("batch", 32), a.getInt("steps", 3),
                                 a.get("device", "auto"), a.getInt("threads", 0));
    if (a.has("json")) {
        nlohmann::ordered_json j = {{"variant", variantName(po.variant)}, {"device", r.device}, {"threads", r.threads}, {"batch", r.batch},
                                    {"frames", r.frames}, {"steps", r.steps}, {"trainable", r.trainable},
                                    {"seconds_per_step", r.secondsPerStep}, {"clips_per_s", r.samplesPerSecond},
                                    {"peak_rss_mib", r.peakRssMiB}, {"peak_rss_growth_mib", r.peakRssDeltaMiB},
                                    {"loss", r.loss}};
        printJson(j.dump(2));
        return 0;
    }
    std::printf("model      synthetic ViT-B/32 (%s)\n", ClipConfig::vitB32().summary().c_str());
    std::printf("variant    %s, %lld trainable parameters\n", variantDisplayName(po.variant).c_str(), (long long)r.trainable);
    std::printf("device     %s, %d threads\n", r.device.c_str(), r.threads);
    std::printf("step       batch %d x %d frames: %.2f s/step, %.2f clips/s (%.1f frames/s), %d timed steps\n",
                r.batch, r.frames, r.secondsPerStep, r.samplesPerSecond, r.samplesPerSecond * r.frames, r.steps);
    std::printf("memory     peak RSS %.0f MiB, +%.0f MiB while training\n", r.peakRssMiB, r.peakRssDeltaMiB);
    return 0;
}

Command regBench{"bench-train", "training speed and memory of a variant (synthetic ViT-B/32)", kBenchUsage,
                 &runBenchTrain};

} // namespace
} // namespace vop::cli
