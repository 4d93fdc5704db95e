#include "train/Evaluate.h"

#include "model/ClipModel.h"
#include "prompts/PromptSet.h"
#include "train/internal/PromptStepper.h"
#include "util/Error.h"

#include <torch/torch.h>

#include <map>

namespace vop {

CaptionIndex indexCaptions(const Dataset& data)
{
    CaptionIndex out;
    std::map<std::string, size_t> byKey;
    for (size_t v = 0; v < data.videos.size(); ++v)
        for (const auto& c : data.videos[v].captions) {
            const auto key = ClipTokenizer::cleanText(c);
            auto it = byKey.find(key);
            if (it == byKey.end()) {
                it = byKey.emplace(key, out.texts.size()).first;
                out.texts.push_back(c);
                out.textVideos.emplace_back();
            }
            auto& list = out.textVideos[it->second];
            if (list.empty() || list.back() != v) list.push_back(v);
        }
    return out;
}

int promptSetFrames(const std::string& promptsPath)
{
    return readPromptSetInfo(promptsPath).options.frames;
}

RetrievalMetrics evaluatePrompts(ClipEncoder& clip, const Dataset& data, const FrameCache& cache,
                                 const EvalOptions& options)
{
    const auto& config = clip.config();
    VopPrompts prompts{nullptr};
    if (options.promptsPath.empty()) {
        PromptOptions zero;
        zero.variant = Variant::Zero;
        zero.frames = cache.sampling().frames;
        prompts = VopPrompts(config, zero);
    } else {
        prompts = loadPromptSet(options.promptsPath, config, BackboneIdentity{options.backboneSha256, config.summary()});
        if (prompts->options().frames != cache.sampling().frames)
            throw InputError("prompt set '" + options.promptsPath + "' was made for clips of " +
                             std::to_string(prompts->options().frames) + " frames, the frames prepared have " +
                             std::to_string(cache.sampling().frames));
    }
    if (cache.sampling().resolution != config.imageResolution)
        throw InputError("frames prepared at " + std::to_string(cache.sampling().resolution) + " px for a " +
                         std::to_string(config.imageResolution) + " px model");
    const torch::Device device(clip.deviceName());
    const auto dtype = clip.halfPrecision() ? torch::kFloat16 : torch::kFloat32;
    prompts->to(device);
    prompts->eval();
    VopModel model(ClipModel(clip.modelPtr()), prompts);
    return train::evaluateModel(model, clip.tokenizer(), data, cache, device, dtype, options.batch, options.cancel,
                                options.progress);
}

namespace train {

namespace F = torch::nn::functional;

// ------------------------------------------------------------------------------------------
RetrievalMetrics evaluateModel(VopModel& model, const ClipTokenizer& tokenizer, const Dataset& data,
                               const FrameCache& cache, const torch::Device& device, torch::Dtype dtype, int batch,
                               const std::atomic<bool>* cancel, const std::function<void(size_t, size_t)>& progress)
{
    if (data.videos.size() < 2)
        throw InputError("evaluation needs at least 2 videos; " + data.source + " gives " +
                         std::to_string(data.videos.size()));
    CaptionIndex captions = indexCaptions(data);
    torch::NoGradGuard noGrad;
    const auto& s = cache.sampling();
    std::vector<int> idx;
    for (int j = 0; j < s.frames; ++j) idx.push_back(s.evalIndex(j));
    const size_t N = data.videos.size();
    std::vector<torch::Tensor> clipParts;
    batch = std::max(1, batch);
    for (size_t start = 0; start < N; start += size_t(batch)) {
        if (cancel && cancel->load()) throw Cancelled();
        std::vector<std::vector<RgbImage>> clips;
        for (size_t i = start; i < std::min(N, start + size_t(batch)); ++i) {
            if (data.videos[i].framesFile.empty())
                throw Error("internal: video '" + data.videos[i].id + "' has no prepared frames");
            clips.push_back(cache.load(data.videos[i].framesFile, idx));
        }
        clipParts.push_back(model.encodeClips(framesTensor(clips).to(device, dtype)).to(torch::kCPU, torch::kFloat32));
        if (progress) progress(std::min(N, start + size_t(batch)), N);
    }
    auto V = torch::cat(clipParts, 0);                                                // [N, E] normalised
    std::vector<torch::Tensor> textParts;
    const int64_t C = model.captionLength();
    for (size_t start = 0; start < captions.texts.size(); start += 256) {
        if (cancel && cancel->load()) throw Cancelled();
        std::vector<std::string> part(captions.texts.begin() + long(start),
                                      captions.texts.begin() + long(std::min(captions.texts.size(), start + 256)));
        auto t = model.encodeText(captionIds(tokenizer, part, C).to(device)).to(torch::kCPU, torch::kFloat32);
        textParts.push_back(F::normalize(t, F::NormalizeFuncOptions().dim(-1)));
    }
    auto T = torch::cat(textParts, 0);                                               // [M, E]
    auto sim = torch::matmul(T, V.t()).contiguous();                                 // [M, N]
    std::vector<float> scores(sim.data_ptr<float>(), sim.data_ptr<float>() + sim.numel());
    return computeRetrievalMetrics(scores, captions.texts.size(), N, captions.textVideos);
}

} // namespace train

} // namespace vop
