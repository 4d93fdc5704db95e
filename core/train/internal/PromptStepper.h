#pragma once
// The pieces of a training step, shared by the trainer, the evaluation and the benchmark
// (torch inside; not a public header of core/train).
#include "model/ClipTokenizer.h"
#include "prompts/VopModel.h"
#include "train/Dataset.h"
#include "train/FrameCache.h"
#include "train/Metrics.h"
#include "train/Random.h"
#include "train/Trainer.h"

#include <torch/optim/adamw.h>

#include <array>
#include <atomic>
#include <memory>

namespace vop::train {

// Symmetric InfoNCE with multi-positive targets. logits [B, B] (text x clip, already scaled);
// positives [B, B] bool, true where text i describes clip j (the diagonal at least). Each row's
// target spreads evenly over its positives, so a clip whose caption repeats in the batch is never
// a negative. Without repeats this is CLIP's loss: (CE(S, diag) + CE(S^T, diag)) / 2.
torch::Tensor multiPositiveInfoNce(const torch::Tensor& logits, const torch::Tensor& positives);

// positives[i][j] = keys[i] == keys[j]
torch::Tensor positivesFromKeys(const std::vector<std::string>& keys);

// Clips of R x R uint8 frames -> [B, F, 3, R, R] float, CLIP-normalised.
torch::Tensor framesTensor(const std::vector<std::vector<RgbImage>>& clips);

// Captions -> token ids [N, contextLength] (cut to fit, EOT kept).
torch::Tensor captionIds(const ClipTokenizer& tokenizer, const std::vector<std::string>& captions,
                         int64_t contextLength);

// torchvision's RandomResizedCrop box (area scale in [scaleMin, scaleMax], log-uniform aspect in
// [3/4, 4/3], ten tries, else the whole image) for a w x h image: {x, y, cw, ch}.
std::array<int, 4> randomCropBox(int w, int h, double scaleMin, double scaleMax, Rng& rng);

// The training view of one clip: one candidate per segment (random or the middle one), one crop
// box and one flip decision for all its frames, each resized back to R x R. `flipped` (if given)
// receives the flip decision.
std::vector<RgbImage> trainingView(const FrameCache& cache, const std::string& framesFile,
                                   const TrainOptions& options, Rng& rng, bool* flipped = nullptr);

// What one clip contributes to a step: its training view and the caption that describes that
// view. A flipped view gets the mirrored caption ("moving left" -> "moving right", CaptionFlip.h).
struct TrainingSample {
    std::vector<RgbImage> frames;
    std::string caption;
    bool flipped = false;
};
TrainingSample trainingSample(const FrameCache& cache, const VideoItem& video, size_t captionIndex,
                              const TrainOptions& options, Rng& rng);

// AdamW over the prompt module's tensors in two groups (prompt tokens + frame position at `lr`;
// generator networks at `generatorLr`), one step = forward, loss, backward, clip, update.
class PromptStepper {
public:
    PromptStepper(VopModel& model, const TrainOptions& options);

    // The first half of step(): zero the gradients, forward, loss, backward; no clipping, no
    // update. The gradients are left in the prompt tensors' grad() (the reference test reads
    // them: tests/train/test_reference_grads).
    struct Forward {
        torch::Tensor loss;  // scalar
        torch::Tensor clips; // [B, E] normalised clip embeddings
        torch::Tensor texts; // [B, E] normalised caption embeddings
    };
    Forward lossAndGradients(const torch::Tensor& frames, const torch::Tensor& ids, const torch::Tensor& positives);

    // One update with the learning rates scaled by lrFactor: lossAndGradients(), then the
    // gradient-norm clip and the AdamW update; returns the loss.
    double step(const torch::Tensor& frames, const torch::Tensor& ids, const torch::Tensor& positives,
                double lrFactor);
    torch::optim::AdamW& optimizer() { return *m_opt; }
    double promptLr(double lrFactor) const { return m_baseLr.empty() ? 0 : m_baseLr.front() * lrFactor; }

private:
    VopModel& m_model;
    TrainOptions m_options;
    std::vector<torch::Tensor> m_params;
    std::vector<double> m_baseLr; // per optimizer group
    std::unique_ptr<torch::optim::AdamW> m_opt;
};

// Retrieval metrics of `model` over `data` (eval frames: the middle candidate of each segment).
RetrievalMetrics evaluateModel(VopModel& model, const ClipTokenizer& tokenizer, const Dataset& data,
                               const FrameCache& cache, const torch::Device& device, torch::Dtype dtype,
                               int batch, const std::atomic<bool>* cancel = nullptr,
                               const std::function<void(size_t, size_t)>& progress = {});

} // namespace vop::train
