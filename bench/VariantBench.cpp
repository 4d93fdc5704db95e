#include "bench/VariantBench.h"

#include "model/Device.h"
#include "prompts/VopModel.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <chrono>
#include <thread>

namespace vop::bench {

VariantBenchResult runVariantBench(const ClipConfig& config, Variant variant, const std::string& deviceName,
                                   int segmentsPerBatch, int frames, double seconds)
{
    const auto dev = resolveDevice(deviceName);
    if (dev.is_cpu())
        configureCpuThreads();
    PromptOptions o;
    o.variant = variant;
    o.frames = frames;
    torch::manual_seed(0);
    VopModel model(randomClipModel(config, 1), VopPrompts(config, o));
    model.clip()->to(dev);
    model.prompts()->to(dev);
    torch::InferenceMode guard;
    const int64_t R = config.imageResolution;
    auto x = torch::randn({segmentsPerBatch, frames, 3, R, R}, torch::TensorOptions().device(dev)); // [B, F, 3, R, R]
    auto run = [&] {
        (void)model.encodeClips(x);
        if (dev.is_cuda()) torch::cuda::synchronize(dev.index());
    };
    run(); // warm-up
    using Clock = std::chrono::steady_clock;
    int batches = 0;
    const auto start = Clock::now();
    do {
        run();
        ++batches;
    } while (std::chrono::duration<double>(Clock::now() - start).count() < seconds);
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    VariantBenchResult r;
    r.variant = variantName(variant);
    r.frames = frames;
    r.segmentsPerBatch = segmentsPerBatch;
    r.segmentsPerSecond = batches * segmentsPerBatch / s;
    r.framesPerSecond = r.segmentsPerSecond * frames;
    r.trainableParameters = countParameters(config, o).total();
    return r;
}

} // namespace vop::bench
