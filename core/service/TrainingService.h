#pragma once
// The training and evaluation service: one call each, with typed options and typed events,
// for both front ends (vopsearch-cli train/eval and the window's training tab).
//
//   read the dataset -> split (seeded, by video) -> prepare the frame cache (decode what is
//   missing) -> plan (TrainPlan.h) and, with PlanChoices::lr, search the learning rate
//   (LrSearch.h; phase::SearchingRate) -> the plan as a Kind::Plan event -> zero-shot validation
//   and training (phase::Training: steps, evaluations, checkpoints) -> write the prompt set with
//   provenance and metrics.
//
// Threads: inspect() is cheap for folders and sidecar data (it lists files; no decoding) and may
// run on a GUI thread for small datasets; train() and evaluate() block for minutes and run on a
// worker, steered through their JobControl (cancel saves the training state; pause waits between
// steps). Events arrive on the worker thread. No torch, no Qt in this header.
#include "prompts/Variant.h"
#include "service/Job.h"
#include "train/Dataset.h"
#include "train/Metrics.h"
#include "train/Trainer.h"
#include "train/TrainPlan.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace vop::service {

struct DataSource {
    std::string path;                 // folders/sidecar: the dataset folder; msrvtt: the annotations
    std::string format = "folders";   // folders | sidecar | msrvtt
    DatasetOptions options;           // caption template, msrvtt videos folder, split, split list
    double validationFraction = 0.1;  // held out by video (0: none)
    uint64_t seed = 0;
};

struct BackboneSettings {
    std::string checkpoint;           // "" = the default model
    std::string vocab;
    std::string device = "auto";
    int threads = 0;
    std::string frameCacheDir;        // "" = defaultFrameCacheDir()
    int candidates = 3;               // frames decoded per segment for the random choice (odd)
};

// What a dataset holds, before any decoding.
struct DatasetSummary {
    std::string format, source;
    size_t videos = 0, captions = 0;
    std::vector<std::pair<std::string, size_t>> labels; // distinct captions and their clip counts (sorted by caption)
    std::vector<std::string> skipped;                   // "file:line: why"
    size_t trainVideos = 0, validationVideos = 0;
    std::vector<std::string> warnings;                  // e.g. too small to learn from, and why
};

struct TrainingRequest {
    DataSource data;
    BackboneSettings backbone;
    TrainOptions options;             // variant, hyper-parameters, outPath, statePath, resume...
    PlanChoices choose;               // settings the user left unset, chosen to fit the data (TrainPlan.h)
};

struct TrainingEvent {
    enum class Kind { Phase, Step, Evaluation, Checkpoint, Message, Plan };
    Kind kind = Kind::Message;
    std::string phase;                // Kind::Phase: one of phase::*
    StepProgress step;                // Kind::Step
    EvalRecord evaluation;            // Kind::Evaluation (step 0 = zero-shot)
    std::string text;                 // Kind::Checkpoint: the state file; Kind::Message: a line for people;
                                      // Kind::Plan: what will run ("training VoP^F (...) on 30 videos, ...")
    std::vector<std::string> reasons; // Kind::Plan: one line per setting chosen for the data (TrainPlan::reasons),
                                      // empty when every setting was given. The same lines also come as
                                      // Messages ("  chosen: ..."), for front ends that print lines.
};
using TrainingListener = std::function<void(const TrainingEvent&)>;

struct TrainingOutcome {
    DatasetSummary data;
    TrainResult result;
    TrainPlan plan;                   // the settings the run used, with the reasons for those chosen
    // Whether the kept prompts beat zero-shot CLIP on validation strictly, by betterRetrieval
    // (t2v R@1, then t2v R@5, v2t R@1, t2v mean rank: an exact tie is not better), and by how
    // many points of t2v R@1; no validation: unknown (false, 0).
    bool betterThanZeroShot = false;
    double gainPoints = 0;
    // The validation part was too small to choose by (LrSearch.h, validationTooSmall): a "better"
    // verdict then says it may be chance.
    bool smallValidation = false;
    std::string verdict;              // "better than zero-shot by 12.5 points (t2v R@1)" / "not better ..."
};

struct EvaluationRequest {
    DataSource data;                  // validationFraction > 0: only that held-out part
    BackboneSettings backbone;
    std::string promptsPath;          // "" = zero-shot
    int frames = 12;                  // zero-shot frames per clip (a prompt set has its own)
    int batch = 16;
};

struct EvaluationOutcome {
    DatasetSummary data;
    RetrievalMetrics metrics;
};

class TrainingService {
public:
    // Reads and splits the dataset (no decoding). InputError naming the file for bad data.
    static DatasetSummary inspect(const DataSource& data);
    // Blocking: the whole run. Throws InputError for bad settings or data; the JobControl's
    // cancel ends it with vop::Cancelled after saving the state (resume with options.resume).
    static TrainingOutcome train(const TrainingRequest& request, JobControl& job, const TrainingListener& listener = {});
    static EvaluationOutcome evaluate(const EvaluationRequest& request, JobControl& job,
                                      const TrainingListener& listener = {});
};

} // namespace vop::service
