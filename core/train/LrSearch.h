#pragma once
// The learning-rate search of `train --lr auto` (issue 11, item 6; VOP_SPEC.md: the paper searched
// the rate per method and did not publish the values). A few rates are each trained for a short
// budget on one or more seeded splits and validated at the end of the budget; the rate whose
// validation, averaged over the splits, compares best (betterRetrieval, then t2v + v2t mAP) wins,
// and an exact tie keeps the rate listed first. The winner is then trained for the full run by
// the caller. Trials write nothing (no prompt set, no training state). No torch in this header.
#include "train/Dataset.h"
#include "train/Trainer.h"

#include <functional>
#include <string>
#include <vector>

namespace vop {

// 2e-2, 5e-2, 5e-3, 1e-3: the order is the preference on an exact tie (the rates that learnt on
// the generated folders first; 1e-3, the paper's starting point, barely moves the loss on small
// data).
const std::vector<double>& defaultLearningRates();

struct LrSearchSettings {
    std::vector<double> rates = defaultLearningRates();
    int64_t steps = 30;  // optimizer steps per trial and split (warm-up 10%, cosine to 0)
};

struct LrTrial {
    double lr = 0;
    RetrievalMetrics metrics; // validation at the end of the budget, averaged over the splits
    double loss = 0;          // mean training loss of the last epoch, averaged over the splits
};

struct LrSearchResult {
    double lr = 0;                 // the chosen rate
    std::vector<LrTrial> trials;   // in the order tried
    int64_t stepsPerTrial = 0;
    size_t splits = 0;
    double seconds = 0;
    std::string reason;            // "lr 2e-02: ... " for the plan's "chosen:" lines
};

constexpr int kMinValidationVideos = 8;
constexpr int kExtraSelectionSplits = 2;

// Whether a validation part is too small to choose by: fewer than kMinValidationVideos videos, or,
// where captions repeat in `all` (labelled folders), fewer than two clips of some label.
bool validationTooSmall(const Dataset& all, const Dataset& validation);

// The splits a search validates on: `plain` first and, when its validation part is too small,
// `extra` more seeded splits of `all`, stratified like it (splitValidation with seeds derived from
// `seed`). Repeated splits rather than k folds: each keeps one clip of every label in validation,
// and their number stays bounded whatever the clips per label.
std::vector<DatasetSplit> selectionSplits(const Dataset& all, const DatasetSplit& plain, double fraction,
                                          uint64_t seed, int extra = kExtraSelectionSplits);

// The metrics averaged field by field (counts from the first).
RetrievalMetrics averageMetrics(const std::vector<RetrievalMetrics>& all);

// Trains base with each rate for settings.steps steps on every split (each must have a validation
// part with frames prepared in `cache`) and returns the rate that validates best. Reports each
// trial's result through callbacks.onStatus and every trial step through `progress` (steps done,
// steps in all), not through onStep/onEval (they are not the run's). Throws InputError for bad
// settings, Cancelled through callbacks.cancel.
LrSearchResult searchLearningRate(ClipEncoder& clip, const std::vector<DatasetSplit>& splits, const FrameCache& cache,
                                  const TrainOptions& base, const LrSearchSettings& settings,
                                  const TrainCallbacks& callbacks = {},
                                  const std::function<void(int64_t, int64_t)>& progress = {});

} // namespace vop
