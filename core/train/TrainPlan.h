#pragma once
// Default training settings that fit the data. A person's labelled folders hold a few dozen
// clips: 5 epochs of batch 32 are then one or two optimizer steps an epoch, too few to learn
// anything. When the user leaves them unset, the plan chooses
//  - the batch: all training clips in balanced batches of at most 32, never more than the clips
//    (the multi-positive loss makes clips with the same caption positives of each other);
//  - the length: 5 epochs when they give at least kTargetSteps steps, else a step budget of
//    kTargetSteps, capped by an estimate of the time it takes (maxSeconds);
//  - for a step budget, the warm-up (10% of the steps) and the validation interval (about 20
//    validations), in steps.
// Every choice comes with a sentence saying why, for the CLI and the GUI to show. No torch here.
#include "model/ClipConfig.h"
#include "train/Trainer.h"

#include <string>
#include <vector>

namespace vop {

struct PlanChoices {
    bool steps = false;     // choose epochs or a step budget (the user gave neither)
    bool batch = false;     // choose the batch
    bool warmup = false;    // choose the warm-up steps (of a chosen step budget)
    bool evalEvery = false; // choose the validation interval
    bool lr = false;        // search the learning rate on validation (--lr auto; LrSearch.h)
    double maxSeconds = 30 * 60; // cap on the estimated training time of a step budget (and of the search)

    // Everything chosen: what `vopsearch-cli train` does when no setting is given, and the
    // training tab's "Automatic" settings. The learning rate is searched only where there is a
    // validation part to search on; without one the service keeps TrainOptions::lr and says so.
    static PlanChoices automatic()
    {
        PlanChoices c;
        c.steps = c.batch = c.warmup = c.evalEvery = c.lr = true;
        return c;
    }
};

struct TrainPlan {
    TrainOptions options;             // the given options with the choices filled in
    int64_t steps = 0, stepsPerEpoch = 0, warmupSteps = 0;
    double epochs = 0;                // steps / steps per epoch
    double estimatedSeconds = 0;      // steps x batch x seconds per clip (a rough estimate)
    double searchSeconds = 0;         // time the learning-rate search took (--lr auto)
    std::vector<std::string> reasons; // one line per choice made
};

constexpr int kMaxAutoBatch = 32;
constexpr int64_t kTargetSteps = 300;
constexpr int64_t kMinAutoSteps = 20;

// Rough seconds per training clip (forward and backward through both towers) of `config` with
// `frames` frames per clip: scaled from ViT-B/32's measured ~2 s a clip at 12 frames on one CPU
// core (docs/TRAINING.md); a GPU is taken as 20x faster.
double estimateSecondsPerClip(const ClipConfig& config, int frames, bool gpu);

TrainPlan planTraining(const TrainOptions& given, size_t trainVideos, const PlanChoices& choose,
                       double secondsPerClip);

} // namespace vop
