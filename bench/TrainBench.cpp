#include "bench/TrainBench.h"

#include "model/ClipModel.h"
#include "model/Device.h"
#include "train/internal/PromptStepper.h"
#include "util/Error.h"

#include <torch/torch.h>

#include <chrono>
#include <thread>
#include <sys/resource.h>

namespace vop::bench {

namespace {
double peakRssMiB()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0; // kilobytes on Linux
}
} // namespace

TrainBenchResult runTrainBench(const ClipConfig& config, const PromptOptions& po, int batch, int steps,
                               const std::string& deviceName, int threads)
{
    if (batch < 2 || steps < 1)
        throw InputError("the training benchmark needs a batch of at least 2 and at least 1 step");
    const auto device = resolveDevice(deviceName);
    TrainBenchResult r;
    r.device = describeDevice(device);
    configureCpuThreads(threads);
    r.threads = at::get_num_threads();
    r.batch = batch;
    r.frames = po.frames;
    r.steps = steps;
    r.trainable = countParameters(config, po).total();

    auto clip = randomClipModel(config, 1);
    clip->to(device);
    torch::manual_seed(2);
    VopPrompts prompts(config, po);
    prompts->to(device);
    VopModel model(clip, prompts);
    TrainOptions o;
    o.prompts = po;
    train::PromptStepper stepper(model, o);

    const int64_t R = config.imageResolution;
    auto frames = torch::randn({batch, po.frames, 3, R, R}).to(device);             // [B, F, 3, R, R]
    const int64_t C = model.captionLength();
    auto ids = torch::zeros({batch, C}, torch::kLong);                              // [B, C]
    for (int b = 0; b < batch; ++b) {                                               // SOT, 10 words, EOT
        ids[b][0] = 49406;
        ids[b].slice(0, 1, 11).copy_(torch::randint(256, 40000, {10}));
        ids[b][11] = 49407;
    }
    ids = ids.to(device);
    auto positives = torch::eye(batch, torch::kBool);
    // stepper.step() reads the loss back, which waits for the device: no explicit synchronisation.
    const double before = peakRssMiB(); // model, inputs; the steps add activations and optimizer state
    r.loss = stepper.step(frames, ids, positives, 1.0); // warm-up
    const auto t0 = std::chrono::steady_clock::now();
    for (int s = 0; s < steps; ++s) r.loss = stepper.step(frames, ids, positives, 1.0);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.secondsPerStep = secs / steps;
    r.samplesPerSecond = double(batch) * steps / secs;
    r.peakRssMiB = peakRssMiB();
    r.peakRssDeltaMiB = r.peakRssMiB - before;
    return r;
}

} // namespace vop::bench
