#include "bench/EncodeBench.h"

#include "model/ClipEncoder.h"
#include "model/ClipModel.h"
#include "model/Device.h"
#include "model/Int8Stream.h"
#include "model/Precision.h"
#include "util/KernelThreads.h"
#include "util/BlasTuning.h"
#include "util/Error.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace vop::bench {

namespace {

using Clock = std::chrono::steady_clock;

double transformerFlops(int64_t tokens, int64_t width, int64_t mlp, int64_t layers)
{
    const double n = double(tokens), d = double(width), h = double(mlp);
    // qkv + out projection + MLP, then scores and weighted sum
    const double perLayer = 2 * n * d * (3 * d) + 2 * n * d * d + 2 * 2 * n * d * h + 2 * 2 * n * n * d;
    return perLayer * double(layers);
}

void sync(const torch::Device& d)
{
    if (d.is_cuda())
        torch::cuda::synchronize(d.index());
}

// Median time per call of `fn` over about `seconds`.
template <typename Fn>
double medianSeconds(const torch::Device& dev, double seconds, Fn fn)
{
    fn();
    sync(dev); // warm-up
    std::vector<double> t;
    const auto end = Clock::now() + std::chrono::duration<double>(seconds);
    while (t.size() < 3 || (Clock::now() < end && t.size() < 1000)) {
        const auto a = Clock::now();
        fn();
        sync(dev);
        t.push_back(std::chrono::duration<double>(Clock::now() - a).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

} // namespace

double imageFlops(const ClipConfig& c)
{
    const double patchEmbed = 2.0 * double(c.visionGrid() * c.visionGrid()) * double(c.visionWidth) *
                              double(3 * c.visionPatch * c.visionPatch);
    return patchEmbed + transformerFlops(c.visionTokens(), c.visionWidth, c.visionMlpWidth, c.visionLayers) +
           2.0 * double(c.visionWidth * c.embedDim);
}

double textFlops(const ClipConfig& c, int64_t tokens)
{
    return transformerFlops(tokens, c.textWidth, c.textMlpWidth, c.textLayers) + 2.0 * double(c.textWidth * c.embedDim);
}

double measureGemmGflops(const std::string& deviceName, double seconds, bool half)
{
    const auto dev = resolveDevice(deviceName);
    torch::InferenceMode guard;
    const auto options = torch::TensorOptions().device(dev).dtype(half ? torch::kFloat16 : torch::kFloat32);
    auto a = torch::randn({256, 768}, options);
    auto b = torch::randn({768, 3072}, options);
    const double s = medianSeconds(dev, seconds, [&] { (void)torch::mm(a, b); });
    return 2.0 * 256 * 768 * 3072 / s / 1e9;
}

EncodeBenchResult runEncodeBench(const ClipConfig& config, const std::string& deviceName, int batch, double seconds,
                                 const std::string& precision)
{
    const auto dev = resolveDevice(deviceName);
    if (precision != "auto" && precision != "fp16" && precision != "fp32" && precision != "int8")
        throw InputError("unknown precision '" + precision + "' (auto, fp16, fp32, int8)");
    if (precision == "fp16" && !dev.is_cuda())
        throw InputError("fp16 needs a CUDA device: the CPU computes in fp32 or int8");
    if (precision == "int8" && dev.is_cuda())
        throw InputError("int8 is a CPU precision: CUDA computes in fp16 or fp32");
    // The encoder's own set-up (threads on the CPU, fp16 with fp32 LayerNorm on CUDA).
    auto encoder = ClipEncoder::synthetic(config, deviceName, "", 1, /*halfOnCuda=*/precision != "fp32");
    encoder.setPrecision(precision == "int8" ? Precision::Int8 : precision == "fp32" ? Precision::Fp32 : Precision::Auto,
                         Precision::Fp32);
    auto& model = encoder.model();
    const bool half = encoder.halfPrecision();
    const auto dtype = half ? torch::kFloat16 : torch::kFloat32;
    EncodeBenchResult r;
    r.device = describeDevice(dev);
    r.precision = half ? "fp16" : precisionName(encoder.imagePrecision());
    r.blasCore = blasCoreName();
    r.threads = int(std::max(1u, std::thread::hardware_concurrency()));
    r.batch = batch;
    r.gemmGflops = measureGemmGflops(deviceName, std::min(seconds, 2.0), half); // int8: the fp32 roofline

    torch::InferenceMode guard;
    const int64_t R = config.imageResolution;
    auto images = torch::randn({batch, 3, R, R}, torch::TensorOptions().device(dev)).to(dtype); // [B, 3, R, R]
    const double perBatch = medianSeconds(dev, seconds, [&] { (void)model.encodeImage(images); });
    r.imagesPerSecond = batch / perBatch;
    r.imageGflops = imageFlops(config) / 1e9;
    r.rooflineFraction = r.imagesPerSecond * r.imageGflops / r.gemmGflops;
    if (dev.is_cuda()) {
        // What an indexer feeds: preprocessed fp32 frames in host memory (pinned), copied each batch.
        auto host = torch::randn({batch, 3, R, R}).pin_memory();                         // [B, 3, R, R]
        const double fromHost = medianSeconds(dev, seconds, [&] {
            (void)model.encodeImage(host.to(dev, dtype, /*non_blocking=*/true));
        });
        r.imagesPerSecondFromHost = batch / fromHost;
    }

    // "a dog on a beach" is SOT + 5 words + EOT.
    r.shortTextTokens = 7;
    auto shortIds = torch::zeros({1, config.contextLength}, torch::kLong);
    for (int i = 1; i < r.shortTextTokens - 1; ++i) shortIds[0][i] = 320 + i;
    shortIds[0][0] = 49406;
    shortIds[0][r.shortTextTokens - 1] = 49407;
    auto longIds = torch::full({1, config.contextLength}, 320, torch::kLong);
    longIds[0][0] = 49406;
    longIds[0][config.contextLength - 1] = 49407;
    shortIds = shortIds.to(dev);
    longIds = longIds.to(dev);
    r.shortTextMs = 1e3 * medianSeconds(dev, seconds / 2, [&] { (void)model.encodeText(shortIds); });
    r.longTextMs = 1e3 * medianSeconds(dev, seconds / 2, [&] { (void)model.encodeText(longIds); });
    return r;
}

} // namespace vop::bench

namespace vop::bench {

namespace {

// SOT, `n - 2` word ids, EOT, zero padding: [1, C].
torch::Tensor queryIds(const ClipConfig& c, int64_t n, int64_t firstWord = 320)
{
    auto ids = torch::zeros({1, c.contextLength}, torch::kLong);
    for (int64_t i = 1; i + 1 < n; ++i) ids[0][i] = firstWord + i;
    ids[0][0] = 49406;
    ids[0][n - 1] = 49407;
    return ids;
}

double minCosineToFp32(ClipEncoder& encoder, const ClipConfig& c)
{
    torch::InferenceMode guard;
    std::vector<torch::Tensor> ids, fp32;
    for (int i = 0; i < 32; ++i)
        ids.push_back(queryIds(c, 3 + (i * 37) % (c.contextLength - 2), 300 + 97 * i));
    encoder.setTextPrecision(Precision::Fp32);
    for (auto& t : ids) fp32.push_back(encoder.model().encodeText(t));
    encoder.setTextPrecision(Precision::Int8);
    double worst = 1;
    for (size_t i = 0; i < ids.size(); ++i)
        worst = std::min(worst, torch::cosine_similarity(encoder.model().encodeText(ids[i]), fp32[i], 1).item<double>());
    return worst;
}

} // namespace

TextBenchResult runTextBench(const ClipConfig& config, double seconds)
{
    auto encoder = ClipEncoder::synthetic(config, "cpu", "", 1);
    TextBenchResult r;
    r.kernel = cpuKernelName(bestCpuKernel());
    auto timed = [&](Precision p) {
        const auto t0 = Clock::now();
        encoder.setTextPrecision(p);
        return 1e3 * std::chrono::duration<double>(Clock::now() - t0).count();
    };
    r.quantizeMs = timed(Precision::Int8);
    r.autoMs = timed(Precision::Auto);
    r.autoPrecision = precisionName(encoder.textPrecision());
    const torch::Device cpu(torch::kCPU);
    torch::InferenceMode guard;
    const auto shortIds = queryIds(config, r.shortTokens), longIds = queryIds(config, config.contextLength);
    const int all = kernelThreads();
    for (Precision p : {Precision::Fp32, Precision::Int8}) {
        encoder.setTextPrecision(p);
        for (int threads : {1, all}) {
            if (threads == 1 && all == 1 && !r.rows.empty() && r.rows.back().precision == precisionName(p))
                continue;
            setKernelThreads(threads);
            TextBenchRow row;
            row.precision = precisionName(p);
            row.threads = threads;
            row.shortMs = 1e3 * medianSeconds(cpu, seconds / 2, [&] { (void)encoder.model().encodeText(shortIds); });
            row.longMs = 1e3 * medianSeconds(cpu, seconds / 2, [&] { (void)encoder.model().encodeText(longIds); });
            r.rows.push_back(row);
        }
    }
    setKernelThreads(all);
    r.minInt8Cosine = minCosineToFp32(encoder, config);
    return r;
}

} // namespace vop::bench
