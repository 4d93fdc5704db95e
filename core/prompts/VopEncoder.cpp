#include "prompts/VopEncoder.h"

#include "model/BatchRunner.h"
#include "model/ClipModel.h"
#include "model/ClipTokenizer.h"
#include "model/Preprocess.h"
#include "prompts/PromptSet.h"
#include "util/Error.h"
#include "util/Sha256.h"

#include <torch/torch.h>

#include <optional>

namespace vop {

struct VopEncoder::Impl {
    ClipEncoder clip;
    std::string promptsPath;
    std::optional<VopModel> model;
    std::optional<BackboneIdentity> backbone;
    torch::Device device{torch::kCPU};
    torch::Dtype dtype = torch::kFloat32;
    BatchRunner runner; // halves a batch that runs out of device memory

    explicit Impl(ClipEncoder c) : clip(std::move(c)), runner("segments", clip.deviceName()) {}

    Embeddings rows(const torch::Tensor& t, bool normalize = true) // [N, E] -> rows
    {
        auto n = t.to(torch::kCPU, torch::kFloat32);
        if (normalize)
            n = torch::nn::functional::normalize(n, torch::nn::functional::NormalizeFuncOptions().dim(-1));
        n = n.contiguous();
        Embeddings out(size_t(n.size(0)), std::vector<float>(size_t(n.size(1))));
        for (size_t i = 0; i < out.size(); ++i)
            std::copy_n(n.data_ptr<float>() + i * out[i].size(), out[i].size(), out[i].data());
        return out;
    }
};

VopEncoder::VopEncoder(ClipEncoder clip, const std::string& promptsPath, int zeroFrames)
    : d(std::make_unique<Impl>(std::move(clip)))
{
    d->promptsPath = promptsPath;
    d->device = torch::Device(d->clip.deviceName());
    d->dtype = d->clip.halfPrecision() ? torch::kFloat16 : torch::kFloat32;
    ClipModel model(d->clip.modelPtr(/*withImageTower=*/false)); // loaded with the first clip
    VopPrompts prompts{nullptr};
    if (promptsPath.empty()) {
        PromptOptions zero;
        zero.variant = Variant::Zero;
        zero.frames = zeroFrames;
        prompts = VopPrompts(config(), zero);
    } else {
        prompts = loadPromptSet(promptsPath, config(), backbone());
    }
    prompts->to(d->device); // prompts stay fp32; they are cast to the activations' dtype
    prompts->eval();
    d->model.emplace(model, prompts);
}

VopEncoder::~VopEncoder() = default;
VopEncoder::VopEncoder(VopEncoder&&) noexcept = default;
VopEncoder& VopEncoder::operator=(VopEncoder&&) noexcept = default;

const ClipConfig& VopEncoder::config() const { return d->clip.config(); }
const PromptOptions& VopEncoder::promptOptions() const { return d->model->options(); }
std::string VopEncoder::promptsPath() const { return d->promptsPath; }
int VopEncoder::framesPerClip() const { return d->model->options().frames; }
ClipEncoder& VopEncoder::clip() { return d->clip; }
VopModel& VopEncoder::vopModel() { return *d->model; }

BackboneIdentity VopEncoder::backbone()
{
    if (!d->backbone) {
        BackboneIdentity id;
        id.shape = config().summary();
        if (d->clip.format() != "synthetic" && !d->clip.checkpointPath().empty())
            id.sha256 = sha256File(d->clip.checkpointPath());
        d->backbone = id;
    }
    return *d->backbone;
}

Embeddings VopEncoder::encodeClips(const std::vector<std::vector<RgbImage>>& clips, int clipsPerBatch)
{
    if (clips.empty())
        return {};
    const int64_t R = config().imageResolution;
    const int64_t F = int64_t(clips.front().size());
    for (const auto& c : clips)
        if (int64_t(c.size()) != F || F == 0)
            throw InputError("every clip needs the same, non-zero number of frames");
    d->clip.ensureImageTower();
    torch::InferenceMode guard;
    Embeddings out;
    d->runner.run(int64_t(clips.size()), clipsPerBatch, [&](int64_t s, int64_t n) {
        auto batch = torch::empty({n, F, 3, R, R});                           // [n, F, 3, R, R]
        float* p = batch.data_ptr<float>();
        for (int64_t i = 0; i < n; ++i)
            for (int64_t f = 0; f < F; ++f) {
                auto v = preprocess::clipPreprocess(clips[size_t(s + i)][size_t(f)], int(R));
                std::copy(v.begin(), v.end(), p + (i * F + f) * 3 * R * R);
            }
        auto emb = d->model->encodeClips(batch.to(d->device, d->dtype));       // [n, E]
        for (auto& r : d->rows(emb)) out.push_back(std::move(r));
    });
    return out;
}

Embeddings VopEncoder::encodeTexts(const std::vector<std::string>& texts, bool normalize)
{
    if (texts.empty())
        return {};
    const int64_t C = d->model->captionLength();
    auto ids = torch::zeros({int64_t(texts.size()), C}, torch::kLong);        // [N, C]
    for (size_t i = 0; i < texts.size(); ++i) {
        auto t = d->clip.tokenizer().tokenize(texts[i], int(C), /*truncate=*/true);
        for (size_t j = 0; j < t.size(); ++j) ids[int64_t(i)][int64_t(j)] = t[j];
    }
    torch::InferenceMode guard;
    return d->rows(d->model->encodeText(ids.to(d->device)), normalize);
}

} // namespace vop
