#pragma once
// Fitting a VoP prompt set on a frozen CLIP (VOP_SPEC.md, "Loss and training recipe"):
// symmetric InfoNCE with the backbone's logit scale and multi-positive targets (clips whose
// captions are the same text are positives of each other, never negatives), AdamW with weight
// decay, a cosine schedule after a linear warm-up, grad-norm clipping, a learning rate per
// parameter group (prompt tokens and frame position embedding; generator networks), random
// resized crops and flips, a random frame per segment. Only the variant's tensors are trained.
//
// Runs are deterministic for a seed on CPU: every random draw comes from a generator seeded by
// (seed, epoch) or (seed, step), so a run resumed from a training-state checkpoint takes the
// same steps as one that was never interrupted. No torch in this header.
#include "model/ClipEncoder.h"
#include "prompts/Variant.h"
#include "train/Dataset.h"
#include "train/FrameCache.h"
#include "train/Metrics.h"

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace vop {

struct TrainOptions {
    PromptOptions prompts;     // variant and shapes; prompts.frames must equal the cache's F
    int epochs = 5;
    int64_t steps = 0;         // optimizer steps in all (> 0: replaces epochs; the last epoch may be partial)
    int batch = 32;
    double lr = 1e-3;          // prompt tokens and the frame position embedding
    double generatorLr = 1e-4; // VoP^C / VoP^{F+C} context generator (LSTM / transformer and FC)
    double weightDecay = 0.2;
    double warmupFraction = 0.1;
    int64_t warmupSteps = 0;   // > 0: linear warm-up over this many steps (replaces warmupFraction)
    double maxGradNorm = 1.0;
    bool augment = true;       // random resized crop (area scale cropScaleMin..cropScaleMax, aspect 3/4..4/3)
    double cropScaleMin = 0.5, cropScaleMax = 1.0;
    bool flip = true;          // horizontal flip with p = 0.5; a flipped clip's caption is mirrored (CaptionFlip.h)
    bool randomFrame = true;   // a random candidate frame per segment instead of the middle one
    uint64_t seed = 0;
    int evalEvery = 0;         // steps between validations; 0: after every epoch
    int evalBatch = 16;        // clips per forward pass when evaluating
    int checkpointEvery = 0;   // steps between training-state checkpoints; 0: only on cancel
    std::string statePath;     // training-state file ("" = no checkpoints, no resume)
    bool resume = false;       // continue from statePath (settings and data must match)
    bool keepState = false;    // keep statePath after a completed run (removed otherwise)
    std::string outPath;       // the prompt set written at the end ("" = none)
    std::string backboneSha256;                    // recorded in the prompt set
    std::map<std::string, std::string> provenance; // extra provenance (dataset, ...)
};

struct StepProgress {
    int64_t step = 0, totalSteps = 0; // steps done, 1-based
    int epoch = 0, epochs = 0;        // 1-based
    double loss = 0, lr = 0;          // loss of this step, prompt-group learning rate used
    double samplesPerSecond = 0;      // clips per second since this process started training
    double etaSeconds = 0;
};

struct EvalRecord {
    int64_t step = 0;   // 0: zero-shot CLIP (reported once, before the first step)
    int epoch = 0;
    RetrievalMetrics metrics;
    bool best = false; // the best validation so far by betterRetrieval (kept as the result)
};

struct TrainCallbacks {
    std::function<void(const StepProgress&)> onStep;
    std::function<void(const EvalRecord&)> onEval;
    std::function<void(const std::string&)> onStatus; // "evaluating zero-shot", "saved checkpoint", ...
    const std::atomic<bool>* cancel = nullptr;         // set: save the state, throw Cancelled
};

struct StepRecord {
    int64_t step = 0;
    int epoch = 0;
    double loss = 0, lr = 0;
};

struct TrainResult {
    bool hasValidation = false;
    RetrievalMetrics zeroShot; // validation, no prompts, same frames
    RetrievalMetrics best;     // validation, the prompts that were kept
    int64_t bestStep = 0;      // step of the kept prompts (the last step without validation)
    int64_t steps = 0;
    int64_t resumedFrom = 0;   // steps already done when this run started
    std::vector<StepRecord> history;
    std::vector<EvalRecord> evaluations;
    double firstEpochLoss = 0, lastEpochLoss = 0; // mean step loss of the first and last epoch
    size_t trainVideos = 0, validationVideos = 0;
    double seconds = 0;        // wall time of this process's part of the run
    std::string outPath;
};

// Fits prompts on `train`, validating on `validation` (may be empty) after every epoch (or every
// evalEvery steps); both must have their frames prepared in `cache`. Writes the prompts that
// validate best (betterRetrieval; the final ones without validation) to options.outPath, with
// provenance and metrics. Throws InputError for bad settings or data, Cancelled when cancelled.
TrainResult trainPrompts(ClipEncoder& clip, const Dataset& train, const Dataset& validation, const FrameCache& cache,
                         const TrainOptions& options, const TrainCallbacks& callbacks = {});

// A setting saved in the training state at statePath ("lr", "batch", ...), as runSettings wrote
// it. InputError when there is no readable state or no such setting.
std::string savedSetting(const std::string& statePath, const std::string& key);

// Model selection: whether `a` is strictly better than `b` on validation, comparing t2v R@1, then
// t2v R@5, then v2t R@1, then t2v mean rank (lower is better); exact ties are not better, so the
// earlier step (or zero-shot CLIP) is preferred.
bool betterRetrieval(const RetrievalMetrics& a, const RetrievalMetrics& b);

// Steps of a run: options.steps when > 0, else epochs x stepsPerEpoch(videos, batch).
int64_t totalSteps(size_t videos, const TrainOptions& options);
// Warm-up steps of a run of `total` steps: options.warmupSteps when > 0 (at most total), else
// round(warmupFraction x total), at least one when the fraction is > 0.
int64_t warmupStepsOf(int64_t total, const TrainOptions& options);

// Learning-rate factor of step `step` (0-based) of `total`: linear warm-up over
// round(warmupFraction * total) steps (at least one when the fraction is > 0), then cosine to 0.
double scheduleFactor(int64_t step, int64_t total, double warmupFraction);
// The same with the warm-up given in steps.
double scheduleFactorSteps(int64_t step, int64_t total, int64_t warmupSteps);

// Steps per epoch for `videos` clips in batches of `batch` (a last batch of one clip joins the one
// before it: one clip has no negatives).
int64_t stepsPerEpoch(size_t videos, int batch);

} // namespace vop
