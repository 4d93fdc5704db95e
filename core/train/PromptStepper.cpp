#include "train/internal/PromptStepper.h"

#include "train/CaptionFlip.h"

#include "model/Preprocess.h"
#include "util/Error.h"

#include <torch/torch.h>

#include <cmath>

namespace vop::train {

namespace F = torch::nn::functional;

torch::Tensor multiPositiveInfoNce(const torch::Tensor& logits, const torch::Tensor& positives)
{
    auto pos = positives.to(logits.device(), torch::kFloat32);                      // [B, B]
    auto t2v = pos / pos.sum(1, true);                                              // rows sum to 1
    auto v2t = pos.t() / pos.t().sum(1, true);
    auto s = logits.to(torch::kFloat32);
    auto a = -(t2v * F::log_softmax(s, F::LogSoftmaxFuncOptions(1))).sum(1).mean();
    auto b = -(v2t * F::log_softmax(s.t(), F::LogSoftmaxFuncOptions(1))).sum(1).mean();
    return (a + b) / 2;
}

torch::Tensor positivesFromKeys(const std::vector<std::string>& keys)
{
    const int64_t n = int64_t(keys.size());
    auto pos = torch::zeros({n, n}, torch::kBool);
    auto acc = pos.accessor<bool, 2>();
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) acc[i][j] = keys[size_t(i)] == keys[size_t(j)];
    return pos;
}

torch::Tensor framesTensor(const std::vector<std::vector<RgbImage>>& clips)
{
    if (clips.empty() || clips.front().empty())
        throw Error("internal: no frames to batch");
    const int64_t B = int64_t(clips.size()), Fr = int64_t(clips.front().size());
    const int64_t R = clips.front().front().width;
    auto out = torch::empty({B, Fr, 3, R, R});                                       // [B, F, 3, R, R]
    float* p = out.data_ptr<float>();
    for (int64_t b = 0; b < B; ++b) {
        if (int64_t(clips[size_t(b)].size()) != Fr)
            throw Error("internal: clips of different frame counts in one batch");
        for (int64_t f = 0; f < Fr; ++f) {
            const auto& img = clips[size_t(b)][size_t(f)];
            if (img.width != R || img.height != R)
                throw Error("internal: frame of " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                            " in a batch of " + std::to_string(R) + "x" + std::to_string(R));
            preprocess::normalizeInto(img, p + (b * Fr + f) * 3 * R * R);
        }
    }
    return out;
}

torch::Tensor captionIds(const ClipTokenizer& tokenizer, const std::vector<std::string>& captions,
                         int64_t contextLength)
{
    auto ids = torch::zeros({int64_t(captions.size()), contextLength}, torch::kLong); // [N, C]
    auto acc = ids.accessor<int64_t, 2>();
    for (size_t i = 0; i < captions.size(); ++i) {
        const auto t = tokenizer.tokenize(captions[i], int(contextLength), /*truncate=*/true);
        for (size_t j = 0; j < t.size(); ++j) acc[int64_t(i)][int64_t(j)] = t[j];
    }
    return ids;
}

std::array<int, 4> randomCropBox(int w, int h, double scaleMin, double scaleMax, Rng& rng)
{
    const double area = double(w) * double(h);
    const double logLo = std::log(3.0 / 4.0), logHi = std::log(4.0 / 3.0);
    for (int attempt = 0; attempt < 10; ++attempt) {
        const double target = area * rng.uniform(scaleMin, scaleMax);
        const double aspect = std::exp(rng.uniform(logLo, logHi));
        const int cw = int(std::lround(std::sqrt(target * aspect)));
        const int ch = int(std::lround(std::sqrt(target / aspect)));
        if (cw > 0 && ch > 0 && cw <= w && ch <= h) {
            const int y = int(rng.below(uint64_t(h - ch + 1)));
            const int x = int(rng.below(uint64_t(w - cw + 1)));
            return {x, y, cw, ch};
        }
    }
    return {0, 0, w, h}; // square frames: the whole frame is within the aspect range
}

std::vector<RgbImage> trainingView(const FrameCache& cache, const std::string& framesFile,
                                   const TrainOptions& o, Rng& rng, bool* flipped)
{
    const auto& s = cache.sampling();
    std::vector<int> idx(size_t(s.frames));
    for (int j = 0; j < s.frames; ++j)
        idx[size_t(j)] = o.randomFrame ? s.index(j, int(rng.below(uint64_t(s.perSegment)))) : s.evalIndex(j);
    auto frames = cache.load(framesFile, idx);
    const int R = s.resolution;
    std::array<int, 4> box{0, 0, R, R};
    if (o.augment) box = randomCropBox(R, R, o.cropScaleMin, o.cropScaleMax, rng);
    const bool flip = o.flip && rng.uniform() < 0.5;
    const bool cropped = box[2] != R || box[3] != R;
    for (auto& f : frames) {
        if (cropped) f = preprocess::resizeBicubic(preprocess::crop(f, box[0], box[1], box[2], box[3]), R, R);
        if (flip) f = preprocess::flipHorizontal(f);
    }
    if (flipped) *flipped = flip;
    return frames;
}

TrainingSample trainingSample(const FrameCache& cache, const VideoItem& video, size_t captionIndex,
                              const TrainOptions& o, Rng& rng)
{
    TrainingSample s;
    s.frames = trainingView(cache, video.framesFile, o, rng, &s.flipped);
    const std::string& caption = video.captions.at(captionIndex);
    s.caption = s.flipped ? mirrorCaption(caption) : caption;
    return s;
}

PromptStepper::PromptStepper(VopModel& model, const TrainOptions& o) : m_model(model), m_options(o)
{
    std::vector<torch::Tensor> prompts, generators;
    for (const auto& p : model.prompts()->named_parameters()) {
        (p.key().rfind("context.", 0) == 0 ? generators : prompts).push_back(p.value());
        m_params.push_back(p.value());
    }
    if (m_params.empty())
        throw InputError("variant " + variantName(o.prompts.variant) + " has no trainable tensors");
    std::vector<torch::optim::OptimizerParamGroup> groups;
    auto group = [&](std::vector<torch::Tensor>& params, double lr) {
        if (params.empty()) return;
        auto opts = std::make_unique<torch::optim::AdamWOptions>(lr);
        opts->weight_decay(o.weightDecay);
        groups.emplace_back(params, std::move(opts));
        m_baseLr.push_back(lr);
    };
    group(prompts, o.lr);
    group(generators, o.generatorLr);
    m_opt = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(o.lr).weight_decay(o.weightDecay));
}

PromptStepper::Forward PromptStepper::lossAndGradients(const torch::Tensor& frames, const torch::Tensor& ids,
                                                       const torch::Tensor& positives)
{
    m_opt->zero_grad();
    Forward f;
    f.clips = m_model.encodeClips(frames);                                           // [B, E] normalised
    f.texts = F::normalize(m_model.encodeText(ids).to(torch::kFloat32),
                           F::NormalizeFuncOptions().dim(-1));                       // [B, E]
    auto scale = m_model.clip()->logit_scale.detach().to(torch::kFloat32).exp().clamp_max(100.0);
    auto logits = scale * torch::matmul(f.texts, f.clips.t());                       // [B text, B clip]
    f.loss = multiPositiveInfoNce(logits, positives);
    f.loss.backward();
    return f;
}

double PromptStepper::step(const torch::Tensor& frames, const torch::Tensor& ids, const torch::Tensor& positives,
                           double lrFactor)
{
    auto& groups = m_opt->param_groups();
    for (size_t g = 0; g < groups.size(); ++g)
        static_cast<torch::optim::AdamWOptions&>(groups[g].options()).lr(m_baseLr[g] * lrFactor);
    const auto loss = lossAndGradients(frames, ids, positives).loss;
    if (m_options.maxGradNorm > 0)
        torch::nn::utils::clip_grad_norm_(m_params, m_options.maxGradNorm);
    m_opt->step();
    return loss.item<double>();
}

} // namespace vop::train
