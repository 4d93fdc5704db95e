#include "train/LrSearch.h"

#include "util/Error.h"

#include <chrono>
#include <cstdio>
#include <map>

namespace vop {
namespace {

void addRank(RankMetrics& sum, const RankMetrics& r, double w)
{
    sum.r1 += w * r.r1;
    sum.r5 += w * r.r5;
    sum.r10 += w * r.r10;
    sum.medianRank += w * r.medianRank;
    sum.meanRank += w * r.meanRank;
    sum.mAP += w * r.mAP;
}

// Whether trial a validated better than b: betterRetrieval, then the mAP of both directions.
bool betterTrial(const LrTrial& a, const LrTrial& b)
{
    if (betterRetrieval(a.metrics, b.metrics)) return true;
    if (betterRetrieval(b.metrics, a.metrics)) return false;
    return a.metrics.t2v.mAP + a.metrics.v2t.mAP > b.metrics.t2v.mAP + b.metrics.v2t.mAP;
}

TrainOptions trialOptions(const TrainOptions& base, double lr, int64_t steps)
{
    TrainOptions o = base;
    o.lr = lr;
    o.steps = steps;
    o.warmupSteps = std::max<int64_t>(1, steps / 10);
    o.evalEvery = int(steps); // one validation, at the end of the budget
    o.outPath.clear();
    o.statePath.clear();
    o.resume = false;
    o.checkpointEvery = 0;
    return o;
}

std::string rateText(double lr)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", lr);
    return buf;
}

std::string describeSearch(const LrSearchResult& r)
{
    const LrTrial* won = nullptr;
    for (const auto& t : r.trials)
        if (t.lr == r.lr) won = &t;
    char head[256];
    std::snprintf(head, sizeof head,
                  "lr %s because it validated best after %lld steps on %zu split(s) (t2v R@1 %.1f, v2t R@1 %.1f; ",
                  rateText(r.lr).c_str(), (long long)r.stepsPerTrial, r.splits, won->metrics.t2v.r1,
                  won->metrics.v2t.r1);
    std::string s = head;
    bool first = true;
    for (const auto& t : r.trials) {
        if (&t == won) continue;
        char part[96];
        std::snprintf(part, sizeof part, "%s%s: %.1f / %.1f", first ? "" : ", ", rateText(t.lr).c_str(),
                      t.metrics.t2v.r1, t.metrics.v2t.r1);
        s += part;
        first = false;
    }
    char tail[96];
    std::snprintf(tail, sizeof tail, "); the search took %.0f s", r.seconds);
    return s + tail;
}

} // namespace

const std::vector<double>& defaultLearningRates()
{
    static const std::vector<double> rates = {2e-2, 5e-2, 5e-3, 1e-3};
    return rates;
}

bool validationTooSmall(const Dataset& all, const Dataset& validation)
{
    if (validation.videos.size() < size_t(kMinValidationVideos)) return true;
    std::map<std::string, size_t> inAll, inVal;
    for (const auto& v : all.videos) ++inAll[v.captions.front()];
    for (const auto& v : validation.videos) ++inVal[v.captions.front()];
    for (const auto& [label, n] : inAll)
        if (n >= 2 && inVal[label] < 2) return true; // a label that repeats, validated by one clip or none
    return false;
}

std::vector<DatasetSplit> selectionSplits(const Dataset& all, const DatasetSplit& plain, double fraction,
                                          uint64_t seed, int extra)
{
    std::vector<DatasetSplit> splits{plain};
    if (!validationTooSmall(all, plain.validation)) return splits;
    for (int k = 1; k <= extra; ++k)
        splits.push_back(splitValidation(all, fraction, seed ^ (0x9e3779b97f4a7c15ULL * uint64_t(k))));
    return splits;
}

RetrievalMetrics averageMetrics(const std::vector<RetrievalMetrics>& all)
{
    if (all.empty()) return {};
    RetrievalMetrics m = all.front();
    m.t2v = m.v2t = RankMetrics{};
    m.t2v.queries = all.front().t2v.queries;
    m.v2t.queries = all.front().v2t.queries;
    const double w = 1.0 / double(all.size());
    for (const auto& a : all) {
        addRank(m.t2v, a.t2v, w);
        addRank(m.v2t, a.v2t, w);
    }
    return m;
}

LrSearchResult searchLearningRate(ClipEncoder& clip, const std::vector<DatasetSplit>& splits, const FrameCache& cache,
                                  const TrainOptions& base, const LrSearchSettings& settings,
                                  const TrainCallbacks& callbacks, const std::function<void(int64_t, int64_t)>& progress)
{
    if (settings.rates.empty() || settings.steps < 1)
        throw InputError("the learning-rate search needs at least one rate and one step per trial");
    if (splits.empty())
        throw InputError("the learning-rate search needs a validation part: use --val-split above 0 or give --lr");
    const auto t0 = std::chrono::steady_clock::now();
    LrSearchResult r;
    r.stepsPerTrial = settings.steps;
    r.splits = splits.size();
    TrainCallbacks quiet; // the trials' steps and evaluations are not the run's: cancel and progress
    quiet.cancel = callbacks.cancel;
    const int64_t total = int64_t(settings.rates.size() * splits.size()) * settings.steps;
    int64_t done = 0;
    quiet.onStep = [&](const StepProgress&) {
        if (progress) progress(++done, total);
    };
    for (double lr : settings.rates) {
        LrTrial t;
        t.lr = lr;
        std::vector<RetrievalMetrics> each;
        for (const auto& s : splits) {
            const auto res = trainPrompts(clip, s.train, s.validation, cache, trialOptions(base, lr, settings.steps), quiet);
            each.push_back(res.best);
            t.loss += res.lastEpochLoss / double(splits.size());
        }
        t.metrics = averageMetrics(each);
        if (callbacks.onStatus) {
            char line[160];
            std::snprintf(line, sizeof line, "lr %s: validation t2v R@1 %.1f, v2t R@1 %.1f, loss %.3f",
                          rateText(lr).c_str(), t.metrics.t2v.r1, t.metrics.v2t.r1, t.loss);
            callbacks.onStatus(line);
        }
        r.trials.push_back(t);
    }
    const LrTrial* best = &r.trials.front();
    for (const auto& t : r.trials)
        if (betterTrial(t, *best)) best = &t;
    r.lr = best->lr;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.reason = describeSearch(r);
    return r;
}

} // namespace vop
