#include "model/ClipEncoder.h"

#include "model/BatchRunner.h"
#include "model/ClipModel.h"
#include "model/ClipTokenizer.h"
#include "model/Device.h"
#include "model/Int8Linear.h"
#include "model/Int8Stream.h"
#include "model/Preprocess.h"
#include "util/Error.h"
#include "util/Log.h"
#include "util/Paths.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>
#include <thread>

namespace vop {

struct ClipEncoder::Impl {
    ClipModel model{nullptr};
    std::unique_ptr<ClipTokenizer> tokenizer;
    torch::Device device{torch::kCPU};
    torch::Dtype dtype = torch::kFloat32;
    std::string checkpoint;
    std::string format;
    Precision textPrecision = Precision::Fp32; // what the text tower runs (resolved, never Auto)
    BatchRunner runner{"images", "cpu"}; // halves a batch that runs out of device memory
    Precision image = Precision::Fp32;           // what the image tower runs (resolved, never Auto)

    void place(const std::string& deviceName, bool halfOnCuda, int threads)
    {
        device = resolveDevice(deviceName);
        if (device.is_cpu())
            configureCpuThreads(threads); // see Device.h

        dtype = device.is_cuda() && halfOnCuda ? torch::kFloat16 : torch::kFloat32;
        model->to(device, dtype);
        // LayerNorm weights stay fp32 (CLIP computes LayerNorm in fp32).
        for (auto& m : model->modules(/*include_self=*/false))
            if (auto* ln = m->as<torch::nn::LayerNormImpl>()) ln->to(torch::kFloat32);
        model->eval();
        runner = BatchRunner("images", describeDevice(device));
    }

    // Int8 text weights on the CPU when asked for, or for Auto when this CPU has a vector int8
    // kernel (faster than fp32 there, docs/BENCHMARKS.md) and the quantised tower passes the
    // start-up gate below. Other devices keep their own precision (halfOnCuda).
    void setTextPrecision(Precision wanted)
    {
        textPrecision = Precision::Fp32;
        model->quantizeTextInt8(false);
        if (!device.is_cpu() || wanted == Precision::Fp32)
            return;
        if (wanted == Precision::Auto && bestCpuKernel() == CpuKernel::Portable)
            return;
        const torch::Tensor fp32Probe = wanted == Precision::Auto ? probeText() : torch::Tensor();
        const double error = model->quantizeTextInt8(true);
        if (wanted == Precision::Auto && !int8PassesGate(error, fp32Probe)) {
            model->quantizeTextInt8(false);
            return;
        }
        textPrecision = Precision::Int8;
    }

    // "a dog on a beach" through the text tower as it is now -> [1, E].
    torch::Tensor probeText()
    {
        torch::InferenceMode guard;
        const auto& c = model->config();
        auto ids = torch::zeros({1, c.contextLength}, torch::kLong);               // [1, C]
        const int64_t probe[] = {49406, 320, 1929, 525, 320, 2102, 49407};
        for (int64_t i = 0; i < 7 && i < c.contextLength; ++i) ids[0][i] = std::min(probe[i], c.vocabSize - 1);
        return model->encodeText(ids);                                            // [1, E]
    }

    // Auto's start-up gate: every matrix within 2% relative error and the probe within cosine
    // 0.999 of fp32. Catches checkpoints whose outlier weights int8 cannot hold, and a broken
    // kernel; the test suite checks the full quality gate on the fixtures.
    bool int8PassesGate(double worstWeightError, const torch::Tensor& fp32Probe)
    {
        constexpr double kMaxWeightError = 0.02, kMinProbeCosine = 0.999;
        if (worstWeightError > kMaxWeightError) {
            VOP_LOG_INFO("model", "text tower stays fp32: a weight matrix quantises with {:.3f} relative error",
                         worstWeightError);
            return false;
        }
        torch::InferenceMode guard;
        const double c = torch::cosine_similarity(probeText(), fp32Probe, 1).item<double>();
        if (c < kMinProbeCosine)
            VOP_LOG_WARN("model", "text tower stays fp32: its int8 probe has cosine {:.5f} to fp32", c);
        return c >= kMinProbeCosine;
    }

    Embeddings toRows(const torch::Tensor& t) // [N, E] -> rows
    {
        auto cpu = t.to(torch::kCPU, torch::kFloat32).contiguous();
        Embeddings rows(size_t(cpu.size(0)), std::vector<float>(size_t(cpu.size(1))));
        const float* p = cpu.data_ptr<float>();
        for (size_t i = 0; i < rows.size(); ++i)
            std::copy_n(p + i * rows[i].size(), rows[i].size(), rows[i].data());
        return rows;
    }
};

ClipEncoder::ClipEncoder()
    : d(std::make_unique<Impl>())
{
}

ClipEncoder::ClipEncoder(const Options& o)
    : ClipEncoder()
{
    d->checkpoint = paths::resolveCheckpoint(o.checkpoint);
    const ClipPart part = o.lazyImageTower && resolveDevice(o.device).is_cpu() ? ClipPart::Text : ClipPart::All;
    auto ckpt = readCheckpoint(d->checkpoint, o.progress, [part](const std::string& n) { return inClipPart(n, part); });
    const auto config = ClipConfig::fromShapes(ckpt.shapes());
    crossCheckExtras(ckpt, config);
    d->format = ckpt.format;
    d->model = ClipModel(config);
    d->model->loadWeights(ckpt.weights, ckpt.shapes(), part);
    ckpt = Checkpoint();
    d->model->freeze();
    d->tokenizer = std::make_unique<ClipTokenizer>(o.vocab.empty() ? paths::resolveBpeVocab(d->checkpoint) : o.vocab);
    d->place(o.device, o.halfOnCuda, o.threads);
    setPrecision(o.imagePrecision, o.textPrecision);
}

ClipEncoder ClipEncoder::synthetic(const ClipConfig& config, const std::string& device, const std::string& vocab,
                                   uint64_t seed, bool halfOnCuda)
{
    ClipEncoder e;
    e.d->model = randomClipModel(config, seed);
    e.d->model->freeze();
    e.d->format = "synthetic";
    if (!vocab.empty())
        e.d->tokenizer = std::make_unique<ClipTokenizer>(vocab);
    e.d->place(device, halfOnCuda, 0);
    return e;
}

ClipEncoder::~ClipEncoder() = default;
ClipEncoder::ClipEncoder(ClipEncoder&&) noexcept = default;
ClipEncoder& ClipEncoder::operator=(ClipEncoder&&) noexcept = default;

const ClipConfig& ClipEncoder::config() const { return d->model->config(); }
std::string ClipEncoder::deviceName() const { return describeDevice(d->device); }
std::string ClipEncoder::checkpointPath() const { return d->checkpoint; }
std::string ClipEncoder::format() const { return d->format; }
bool ClipEncoder::hasTokenizer() const { return d->tokenizer != nullptr; }
bool ClipEncoder::imageTowerLoaded() const { return d->model->imageTowerLoaded(); }

void ClipEncoder::ensureImageTower()
{
    if (d->model->imageTowerLoaded())
        return;
    auto image = [](const std::string& n) { return inClipPart(n, ClipPart::Image); };
    auto ckpt = readCheckpoint(d->checkpoint, {}, image);
    d->model->loadWeights(ckpt.weights, ckpt.shapes(), ClipPart::Image);
    if (d->image == Precision::Int8)
        d->model->visual->transformer->setInt8(true);
}

ClipModelImpl& ClipEncoder::model(bool withImageTower)
{
    if (withImageTower)
        ensureImageTower();
    return *d->model;
}

std::shared_ptr<ClipModelImpl> ClipEncoder::modelPtr(bool withImageTower)
{
    if (withImageTower)
        ensureImageTower();
    return d->model.ptr();
}
bool ClipEncoder::halfPrecision() const { return d->dtype == torch::kFloat16; }
Precision ClipEncoder::imagePrecision() const { return d->image; }
Precision ClipEncoder::textPrecision() const { return d->textPrecision; }
void ClipEncoder::setTextPrecision(Precision p) { d->setTextPrecision(p); }

void ClipEncoder::setPrecision(Precision image, Precision text)
{
    image = d->device.is_cpu() ? resolveImagePrecision(image) : Precision::Fp32;
    if (image == Precision::Int8 && int8Engine().empty())
        throw InputError("int8 is not available: this LibTorch has no quantized engine (use fp32)");
    // The packs are made from the loaded weights; a lazy image tower gets them in ensureImageTower().
    if (image != d->image && d->model->imageTowerLoaded())
        d->model->visual->transformer->setInt8(image == Precision::Int8);
    d->image = image;
    d->setTextPrecision(text);
}

Precision resolveImagePrecision(Precision p)
{
    if (p != Precision::Auto)
        return p;
    // AMX machines (Sapphire Rapids) stay fp32 until int8 has run there: oneDNN's AMX code died
    // with SIGILL on the project's VM (docs/BENCHMARKS.md), and int8 there is not measured yet.
    return int8Engine() == "onednn" && cpuHasVnni() && !cpuHasAmx() ? Precision::Int8 : Precision::Fp32;
}

const ClipTokenizer& ClipEncoder::tokenizer() const
{
    if (!d->tokenizer)
        throw Error("this encoder has no tokenizer (no BPE vocabulary was given)");
    return *d->tokenizer;
}

Embeddings ClipEncoder::encodeImages(const std::vector<RgbImage>& images, int batchSize)
{
    const int R = int(config().imageResolution);
    std::vector<float> chw(images.size() * 3 * size_t(R) * R);
    for (size_t i = 0; i < images.size(); ++i) {
        auto one = preprocess::clipPreprocess(images[i], R);
        std::copy(one.begin(), one.end(), chw.begin() + i * one.size());
    }
    return encodePreprocessed(chw, int(images.size()), batchSize);
}

Embeddings ClipEncoder::encodePreprocessed(const std::vector<float>& chw, int count, int batchSize)
{
    const int64_t R = config().imageResolution;
    if (chw.size() != size_t(count) * 3 * R * R)
        throw Error("encodePreprocessed: buffer size does not match " + std::to_string(count) + " images");
    ensureImageTower();
    torch::InferenceMode guard;
    auto all = torch::from_blob(const_cast<float*>(chw.data()), {count, 3, R, R}, torch::kFloat32); // [N,3,R,R]
    Embeddings out;
    out.reserve(size_t(count));
    d->runner.run(count, batchSize, [&](int64_t s, int64_t n) {
        auto batch = all.slice(0, s, s + n).to(d->device, d->dtype);          // [n, 3, R, R]
        auto rows = d->toRows(d->model->encodeImage(batch));                   // [n, E]
        for (auto& r : rows) out.push_back(std::move(r));
    });
    return out;
}

Embeddings ClipEncoder::encodeTexts(const std::vector<std::string>& texts)
{
    std::vector<std::vector<int>> ids;
    ids.reserve(texts.size());
    for (const auto& t : texts) ids.push_back(tokenizer().tokenize(t, int(config().contextLength), /*truncate=*/true));
    return encodeTokenIds(ids);
}

Embeddings ClipEncoder::encodeTokenIds(const std::vector<std::vector<int>>& ids)
{
    if (ids.empty())
        return {};
    const int64_t C = config().contextLength;
    auto t = torch::zeros({int64_t(ids.size()), C}, torch::kLong);            // [N, C]
    auto acc = t.accessor<int64_t, 2>();
    for (size_t i = 0; i < ids.size(); ++i) {
        if (int64_t(ids[i].size()) > C)
            throw InputError("token sequence of " + std::to_string(ids[i].size()) + " ids exceeds the context of " +
                             std::to_string(C));
        for (size_t j = 0; j < ids[i].size(); ++j) acc[int64_t(i)][int64_t(j)] = ids[i][j];
    }
    torch::InferenceMode guard;
    return d->toRows(d->model->encodeText(t.to(d->device)));                  // [N, E]
}

void normalizeRows(Embeddings& rows)
{
    for (auto& r : rows) {
        double s = 0;
        for (float v : r) s += double(v) * v;
        if (s <= 0) continue;
        const float inv = float(1.0 / std::sqrt(s));
        for (float& v : r) v *= inv;
    }
}

float cosine(const std::vector<float>& a, const std::vector<float>& b)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        ab += double(a[i]) * b[i];
        aa += double(a[i]) * a[i];
        bb += double(b[i]) * b[i];
    }
    return aa > 0 && bb > 0 ? float(ab / std::sqrt(aa * bb)) : 0.0f;
}

} // namespace vop
