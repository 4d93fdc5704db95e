#include "train/TrainPlan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vop {
namespace {

// Multiply-accumulates of one forward pass through the towers for one clip and one caption.
double forwardMacs(const ClipConfig& c, int frames)
{
    const double vision = double(c.visionTokens()) * double(c.visionLayers) *
                          (4.0 * double(c.visionWidth) * double(c.visionWidth) +
                           2.0 * double(c.visionWidth) * double(c.visionMlpWidth));
    const double text = double(c.contextLength) * double(c.textLayers) *
                        (4.0 * double(c.textWidth) * double(c.textWidth) +
                         2.0 * double(c.textWidth) * double(c.textMlpWidth));
    return vision * double(frames) + text;
}

std::string format(const char* fmt, double a, double b = 0, double c = 0, double d = 0)
{
    char buf[320];
    std::snprintf(buf, sizeof buf, fmt, a, b, c, d);
    return buf;
}

std::string minutes(double seconds)
{
    char buf[48];
    if (seconds < 90) std::snprintf(buf, sizeof buf, "%.0f s", seconds);
    else std::snprintf(buf, sizeof buf, "%.0f min", seconds / 60);
    return buf;
}

} // namespace

double estimateSecondsPerClip(const ClipConfig& config, int frames, bool gpu)
{
    constexpr double kVitB32SecondsPerClip = 2.0; // bench-train: ~0.5 clips/s, batch 4 x 12 frames, 1 thread
    const double s = kVitB32SecondsPerClip * forwardMacs(config, std::max(1, frames)) / forwardMacs(ClipConfig::vitB32(), 12);
    return gpu ? s / 20 : s;
}

TrainPlan planTraining(const TrainOptions& given, size_t n, const PlanChoices& choose, double secondsPerClip)
{
    TrainPlan p;
    p.options = given;
    TrainOptions& o = p.options;
    if (choose.batch && n >= 2) {
        const int cap = int(std::min<size_t>(kMaxAutoBatch, n));
        const size_t batches = (n + size_t(cap) - 1) / size_t(cap);
        o.batch = int((n + batches - 1) / batches); // balanced: 36 clips -> 2 batches of 18, not 32 + 4
        if (o.batch < 2) o.batch = 2;
        p.reasons.push_back(format("batch %.0f: the %.0f training clips in %.0f balanced batch(es) of at most %.0f "
                                   "(never more than the clips; clips sharing a caption are positives of each other)",
                                   o.batch, double(n), double(batches), kMaxAutoBatch));
    }
    p.stepsPerEpoch = stepsPerEpoch(n, o.batch);
    if (choose.steps && p.stepsPerEpoch > 0) {
        const int64_t epochSteps = p.stepsPerEpoch * int64_t(o.epochs);
        if (epochSteps >= kTargetSteps) {
            o.steps = 0;
            p.reasons.push_back(format("%.0f epochs: %.0f steps of %.0f clips, enough to learn from this much data",
                                       o.epochs, double(epochSteps), o.batch));
        } else {
            const double perStep = secondsPerClip * o.batch;
            const int64_t byTime = perStep > 0 ? int64_t(choose.maxSeconds / perStep) : kTargetSteps;
            const int64_t floor = std::min(kTargetSteps, std::max(p.stepsPerEpoch, kMinAutoSteps));
            o.steps = std::max(floor, std::min(kTargetSteps, byTime));
            std::string why = format("%.0f steps (%.1f epochs) instead of %.0f epochs: %.0f epochs of this data would be "
                                     "only ",
                                     double(o.steps), double(o.steps) / double(p.stepsPerEpoch), o.epochs, o.epochs) +
                              std::to_string(epochSteps) + " optimizer steps, too few to learn";
            if (o.steps < kTargetSteps)
                why += format("; capped below %.0f steps by the estimated time (%.1f s a step, limit ", double(kTargetSteps),
                              perStep) + minutes(choose.maxSeconds) + "; --steps N to choose)";
            p.reasons.push_back(why);
        }
    }
    p.steps = totalSteps(n, o);
    if (choose.warmup && choose.steps && o.steps > 0) { // with epochs, 10% of the steps as before
        o.warmupSteps = std::max<int64_t>(1, std::llround(0.1 * double(p.steps)));
        p.reasons.push_back(format("warm-up %.0f steps (10%%), then cosine decay to 0 at step %.0f",
                                   double(o.warmupSteps), double(p.steps)));
    }
    p.warmupSteps = warmupStepsOf(p.steps, o);
    if (choose.evalEvery && o.steps > 0 && p.stepsPerEpoch > 0) {
        o.evalEvery = int(std::max<int64_t>(p.stepsPerEpoch, (p.steps + 19) / 20));
        p.reasons.push_back(format("validation every %.0f steps (%.0f times) and at the end", o.evalEvery,
                                   double(p.steps / o.evalEvery)));
    }
    p.epochs = p.stepsPerEpoch > 0 ? double(p.steps) / double(p.stepsPerEpoch) : 0;
    p.estimatedSeconds = double(p.steps) * o.batch * secondsPerClip;
    return p;
}

} // namespace vop
