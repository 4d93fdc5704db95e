#include "train/Trainer.h"

#include "model/ClipModel.h"
#include "model/Device.h"
#include "prompts/PromptSet.h"
#include "train/Evaluate.h"
#include "train/internal/PromptStepper.h"
#include "util/AtomicFile.h"
#include "util/Error.h"
#include "util/Log.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;

namespace vop {

namespace {

constexpr const char* kStateFormat = "vopsearch-train-state";
constexpr int kStateVersion = 1;
// Random streams: one generator per (seed, purpose, epoch or step).
constexpr uint64_t kOrderStream = 1ull << 40, kCaptionStream = 2ull << 40, kAugmentStream = 3ull << 40;

using Json = nlohmann::json;
using TensorMap = std::map<std::string, torch::Tensor>;

std::string num(double v, int digits = 17)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    return buf;
}

Json rankJson(const RankMetrics& r)
{
    return {{"R@1", r.r1}, {"R@5", r.r5}, {"R@10", r.r10}, {"MdR", r.medianRank}, {"MnR", r.meanRank},
            {"mAP", r.mAP}, {"queries", r.queries}};
}
RankMetrics rankFromJson(const Json& j)
{
    RankMetrics r;
    r.r1 = j.at("R@1"); r.r5 = j.at("R@5"); r.r10 = j.at("R@10");
    r.medianRank = j.at("MdR"); r.meanRank = j.at("MnR"); r.mAP = j.at("mAP"); r.queries = j.at("queries");
    return r;
}
Json metricsJson(const RetrievalMetrics& m)
{
    return {{"t2v", rankJson(m.t2v)}, {"v2t", rankJson(m.v2t)}, {"texts", m.texts}, {"videos", m.videos},
            {"shared_captions", m.sharedCaptions}};
}
RetrievalMetrics metricsFromJson(const Json& j)
{
    RetrievalMetrics m;
    m.t2v = rankFromJson(j.at("t2v"));
    m.v2t = rankFromJson(j.at("v2t"));
    m.texts = j.at("texts");
    m.videos = j.at("videos");
    m.sharedCaptions = j.at("shared_captions");
    return m;
}

// What a run depends on; a resumed run must match it exactly.
std::map<std::string, std::string> runSettings(const TrainOptions& o, const Dataset& train, const Dataset& val,
                                               const FrameCache& cache, const ClipConfig& config)
{
    std::map<std::string, std::string> s;
    for (const auto& [k, v] : o.prompts.toMetadata()) s["prompts." + k] = v;
    s["epochs"] = std::to_string(o.epochs);
    // only when set, so that states written before these settings existed still resume
    if (o.steps > 0) s["steps"] = std::to_string(o.steps);
    if (o.warmupSteps > 0) s["warmup_steps"] = std::to_string(o.warmupSteps);
    s["batch"] = std::to_string(o.batch);
    s["lr"] = num(o.lr);
    s["generator_lr"] = num(o.generatorLr);
    s["weight_decay"] = num(o.weightDecay);
    s["warmup"] = num(o.warmupFraction);
    s["max_grad_norm"] = num(o.maxGradNorm);
    s["augment"] = o.augment ? "crop " + num(o.cropScaleMin) + "-" + num(o.cropScaleMax) : "off";
    s["flip"] = o.flip ? "on" : "off";
    s["random_frame"] = o.randomFrame ? "on" : "off";
    s["seed"] = std::to_string(o.seed);
    s["eval_every"] = std::to_string(o.evalEvery);
    s["frames"] = cache.sampling().key();
    s["backbone"] = config.summary();
    s["backbone_sha256"] = o.backboneSha256;
    s["train_data"] = datasetFingerprint(train);
    s["validation_data"] = datasetFingerprint(val);
    return s;
}

struct RunState {
    int64_t step = 0;      // steps completed
    int64_t evaluated = 0; // last step whose evaluation is done
    bool haveZeroShot = false, haveBest = false;
    RetrievalMetrics zeroShot, best;
    int64_t bestStep = 0;
    std::vector<StepRecord> history;
    std::vector<EvalRecord> evaluations;
};

std::string archiveKey(std::string name)
{
    for (size_t p; (p = name.find('.')) != std::string::npos;) name.replace(p, 1, "__");
    return name;
}

void saveState(const std::string& path, const std::map<std::string, std::string>& settings, const RunState& st,
               VopPromptsImpl& prompts, const TensorMap& best, torch::optim::Optimizer& opt)
{
    Json meta = {{"format", kStateFormat}, {"version", kStateVersion}, {"settings", settings},
                 {"step", st.step}, {"evaluated", st.evaluated}, {"best_step", st.bestStep},
                 {"have_best", st.haveBest}, {"have_zero_shot", st.haveZeroShot}};
    if (st.haveZeroShot) meta["zero_shot"] = metricsJson(st.zeroShot);
    if (st.haveBest) meta["best"] = metricsJson(st.best);
    Json hist = Json::array();
    for (const auto& h : st.history) hist.push_back({h.step, h.epoch, h.loss, h.lr});
    meta["history"] = hist;
    Json evals = Json::array();
    for (const auto& e : st.evaluations)
        evals.push_back({{"step", e.step}, {"epoch", e.epoch}, {"best", e.best}, {"metrics", metricsJson(e.metrics)}});
    meta["evaluations"] = evals;

    torch::serialize::OutputArchive ar;
    ar.write("meta", c10::IValue(meta.dump()));
    torch::serialize::OutputArchive current(ar.compilation_unit());
    for (const auto& [name, t] : prompts.tensors()) current.write(archiveKey(name), t.detach().cpu());
    ar.write("prompts", current);
    torch::serialize::OutputArchive kept(ar.compilation_unit());
    for (const auto& [name, t] : best) kept.write(archiveKey(name), t.cpu());
    ar.write("best", kept);
    torch::serialize::OutputArchive optimizer(ar.compilation_unit());
    opt.save(optimizer);
    ar.write("optimizer", optimizer);
    std::ostringstream os;
    ar.save_to(os);
    writeFileAtomic(path, os.str());
}

// The archive and its "meta" record, checked for format and version; InputError when there is
// no readable state at `path`.
Json readStateMeta(const std::string& path, torch::serialize::InputArchive& ar)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw InputError("no training state at '" + path + "' to resume from (run without resuming to start anew)");
    Json meta;
    try {
        ar.load_from(path);
        c10::IValue v;
        ar.read("meta", v);
        meta = Json::parse(v.toStringRef());
    } catch (const std::exception& e) {
        throw InputError("'" + path + "' is not a readable training state: " + std::string(e.what()).substr(0, 200));
    }
    if (meta.value("format", "") != kStateFormat || meta.value("version", 0) != kStateVersion)
        throw InputError("'" + path + "' is not a vopsearch training state of version " + std::to_string(kStateVersion));
    return meta;
}

void loadState(const std::string& path, const std::map<std::string, std::string>& settings, RunState& st,
               VopPromptsImpl& prompts, TensorMap& best, torch::optim::Optimizer& opt, const torch::Device& device)
{
    torch::serialize::InputArchive ar;
    const Json meta = readStateMeta(path, ar);
    const auto saved = meta.at("settings").get<std::map<std::string, std::string>>();
    for (const auto& [k, v] : settings) {
        auto it = saved.find(k);
        const std::string was = it == saved.end() ? "(unset)" : it->second;
        if (was != v)
            throw InputError("training state '" + path + "' was made with " + k + " = " + was + ", this run has " + v +
                             ": resume with the same settings and data, or start anew");
    }
    st.step = meta.at("step");
    st.evaluated = meta.at("evaluated");
    st.bestStep = meta.at("best_step");
    st.haveBest = meta.at("have_best");
    st.haveZeroShot = meta.at("have_zero_shot");
    if (st.haveZeroShot) st.zeroShot = metricsFromJson(meta.at("zero_shot"));
    if (st.haveBest) st.best = metricsFromJson(meta.at("best"));
    st.history.clear();
    for (const auto& h : meta.at("history")) st.history.push_back({h[0].get<int64_t>(), h[1].get<int>(), h[2], h[3]});
    st.evaluations.clear();
    for (const auto& e : meta.at("evaluations"))
        st.evaluations.push_back({e.at("step"), e.at("epoch"), metricsFromJson(e.at("metrics")), e.at("best")});

    auto readTensors = [&](const char* group, bool required) {
        TensorMap out;
        torch::serialize::InputArchive sub;
        ar.read(group, sub);
        for (const auto& [name, t] : prompts.tensors()) {
            torch::Tensor x;
            if (!sub.try_read(archiveKey(name), x)) {
                if (required)
                    throw InputError("training state '" + path + "' lacks tensor '" + name + "'");
                return TensorMap{};
            }
            out[name] = x;
        }
        return out;
    };
    prompts.load(readTensors("prompts", true));
    best = readTensors("best", false);
    for (auto& [k, t] : best) t = t.to(device);
    torch::serialize::InputArchive optimizer;
    ar.read("optimizer", optimizer);
    opt.load(optimizer);
    // The archive's optimizer state comes back on the CPU; the parameters may live on a GPU.
    for (auto& entry : opt.state()) {
        auto* s = dynamic_cast<torch::optim::AdamWParamState*>(entry.second.get());
        if (!s) continue;
        if (s->exp_avg().defined()) s->exp_avg(s->exp_avg().to(device));
        if (s->exp_avg_sq().defined()) s->exp_avg_sq(s->exp_avg_sq().to(device));
        if (s->max_exp_avg_sq().defined()) s->max_exp_avg_sq(s->max_exp_avg_sq().to(device));
    }
}

TensorMap cloneTensors(VopPromptsImpl& prompts)
{
    TensorMap out;
    for (const auto& [name, t] : prompts.tensors()) out[name] = t.detach().clone();
    return out;
}

std::vector<std::vector<size_t>> epochBatches(size_t n, int batch, uint64_t seed, int epoch)
{
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    Rng(seed, kOrderStream + uint64_t(epoch)).shuffle(order);
    std::vector<std::vector<size_t>> out;
    for (size_t s = 0; s < n; s += size_t(batch))
        out.emplace_back(order.begin() + long(s), order.begin() + long(std::min(n, s + size_t(batch))));
    if (out.size() > 1 && out.back().size() == 1) {
        out[out.size() - 2].push_back(out.back().front());
        out.pop_back();
    }
    return out;
}

double meanLoss(const std::vector<StepRecord>& h, int epoch)
{
    double sum = 0;
    int n = 0;
    for (const auto& r : h)
        if (r.epoch == epoch) {
            sum += r.loss;
            ++n;
        }
    return n ? sum / n : 0.0;
}

// ---- trainPrompts, phase by phase

// Settings and data that cannot work.
void checkTrainingInputs(ClipEncoder& clip, const Dataset& train, const Dataset& validation, const FrameCache& cache,
                         const TrainOptions& o)
{
    const auto& config = clip.config();
    const auto& sampling = cache.sampling();
    if (o.prompts.variant == Variant::Zero)
        throw InputError("variant zero has nothing to train; pick vop, vop-p, vop-c, vop-f, vop-fp or vop-fc");
    if (o.steps < 0) throw InputError("steps must be at least 1 (or 0 to count epochs)");
    if (o.steps == 0 && o.epochs < 1) throw InputError("epochs must be at least 1");
    if (o.warmupSteps < 0) throw InputError("warm-up steps must not be negative");
    if (o.batch < 2) throw InputError("batch must be at least 2 (InfoNCE needs negatives)");
    if (!(o.lr > 0) || !(o.generatorLr > 0)) throw InputError("learning rates must be positive");
    if (!(o.cropScaleMin > 0 && o.cropScaleMin <= o.cropScaleMax && o.cropScaleMax <= 1))
        throw InputError("crop scale must satisfy 0 < min <= max <= 1");
    if (o.prompts.frames != sampling.frames)
        throw InputError("prompts for " + std::to_string(o.prompts.frames) + " frames, but the frames prepared have " +
                         std::to_string(sampling.frames) + " per clip");
    if (sampling.resolution != config.imageResolution)
        throw InputError("frames prepared at " + std::to_string(sampling.resolution) + " px for a " +
                         std::to_string(config.imageResolution) + " px model");
    if (train.videos.size() < 2)
        throw InputError("training needs at least 2 videos, got " + std::to_string(train.videos.size()));
    if (validation.videos.size() == 1)
        throw InputError("validation needs at least 2 videos, got 1 (raise the validation fraction or use 0)");
    for (const auto* d : {&train, &validation})
        for (const auto& v : d->videos)
            if (v.framesFile.empty() || v.captions.empty())
                throw InputError("video '" + v.id + "' has " + (v.captions.empty() ? "no captions" : "no prepared frames"));
    if (clip.halfPrecision())
        throw InputError("training needs an fp32 backbone (open the encoder with halfOnCuda = false)");
    if (o.resume && o.statePath.empty())
        throw InputError("resuming needs the training-state file");
}

VopPrompts initialPrompts(const ClipConfig& config, const TrainOptions& o, const torch::Device& device)
{
    VopPrompts prompts = [&] {
        ScopedTorchSeed seeded(o.seed); // the initial prompts, without touching the process's generator
        return VopPrompts(config, o.prompts);
    }();
    prompts->to(device);
    prompts->train();
    return prompts;
}

// One training run: the model and prompts, the state that a checkpoint saves, and the phases
// (resume, zero-shot evaluation, the steps, the result) that trainPrompts calls in order.
class TrainRun {
public:
    TrainRun(ClipEncoder& clip, const Dataset& train, const Dataset& validation, const FrameCache& cache,
             const TrainOptions& o, const TrainCallbacks& cb)
        : m_clip(clip), m_train(train), m_validation(validation), m_cache(cache), m_o(o), m_cb(cb),
          m_config(clip.config()), m_sampling(cache.sampling()), m_device(clip.deviceName()),
          m_tokenizer(clip.tokenizer()), m_prompts(initialPrompts(m_config, o, m_device)),
          m_model(ClipModel(clip.modelPtr()), m_prompts), m_stepper(m_model, o), m_n(train.videos.size()),
          m_perEpoch(stepsPerEpoch(m_n, o.batch)), m_total(totalSteps(m_n, o)), m_warmup(warmupStepsOf(m_total, o)),
          m_epochs(int((m_total + m_perEpoch - 1) / m_perEpoch)),
          m_settings(runSettings(o, train, validation, cache, m_config)), m_hasVal(!validation.videos.empty()),
          m_captionChoice(m_n)
    {
    }

    TrainResult run()
    {
        if (m_o.resume) {
            loadState(m_o.statePath, m_settings, m_st, *m_prompts, m_best, m_stepper.optimizer(), m_device);
            status("resumed from " + m_o.statePath + " at step " + std::to_string(m_st.step) + " of " +
                   std::to_string(m_total));
        }
        TrainResult result;
        result.resumedFrom = m_st.step;
        result.hasValidation = m_hasVal;
        result.trainVideos = m_n;
        result.validationVideos = m_validation.videos.size();
        try {
            if (m_hasVal && !m_st.haveZeroShot)
                evaluateZeroShot();
        } catch (const Cancelled&) {
            stopCancelled();
        }
        try {
            trainSteps();
        } catch (const Cancelled&) {
            stopCancelled();
        }
        finish(result);
        return result;
    }

private:
    ClipEncoder& m_clip;
    const Dataset& m_train;
    const Dataset& m_validation;
    const FrameCache& m_cache;
    const TrainOptions& m_o;
    const TrainCallbacks& m_cb;
    const ClipConfig& m_config;
    const FrameSampling& m_sampling;
    const torch::Device m_device;
    const torch::Dtype m_dtype = torch::kFloat32;
    const ClipTokenizer& m_tokenizer;
    VopPrompts m_prompts;
    VopModel m_model;
    train::PromptStepper m_stepper;
    const size_t m_n;
    const int64_t m_perEpoch, m_total, m_warmup;
    const int m_epochs; // epochs begun, the last one possibly partial
    const std::map<std::string, std::string> m_settings;
    const bool m_hasVal;
    RunState m_st;   // what a checkpoint saves, with m_prompts, m_best and the optimizer
    TensorMap m_best;
    // The steps: this epoch's batches and captions, and the rate of the steps run in this call.
    int m_epochOfPlan = -1;
    std::vector<std::vector<size_t>> m_plan;
    std::vector<size_t> m_captionChoice;
    double m_stepSeconds = 0;
    int64_t m_stepsRun = 0, m_samplesRun = 0;

    void status(const std::string& s)
    {
        VOP_LOG_INFO("train", "{}", s);
        if (m_cb.onStatus) m_cb.onStatus(s);
    }
    bool cancelled() const { return m_cb.cancel && m_cb.cancel->load(); }

    void checkpoint()
    {
        if (m_o.statePath.empty()) return;
        saveState(m_o.statePath, m_settings, m_st, *m_prompts, m_best, m_stepper.optimizer());
        status("saved training state at step " + std::to_string(m_st.step) + " to " + m_o.statePath);
    }
    [[noreturn]] void stopCancelled()
    {
        checkpoint();
        throw Cancelled();
    }

    void evaluateZeroShot()
    {
        status("evaluating zero-shot CLIP on " + std::to_string(m_validation.videos.size()) + " validation videos");
        PromptOptions zo;
        zo.variant = Variant::Zero;
        zo.frames = m_sampling.frames;
        VopModel zero(ClipModel(m_clip.modelPtr()), VopPrompts(m_config, zo));
        m_st.zeroShot = train::evaluateModel(zero, m_tokenizer, m_validation, m_cache, m_device, m_dtype, m_o.evalBatch,
                                             m_cb.cancel);
        m_st.haveZeroShot = true;
        status("zero-shot: " + describeMetrics(m_st.zeroShot));
        if (m_cb.onEval) {
            EvalRecord z; // step 0: the baseline that every later evaluation is compared with
            z.metrics = m_st.zeroShot;
            m_cb.onEval(z);
        }
    }

    bool isEvalPoint(int64_t done) const
    {
        if (!m_hasVal || done <= 0) return false;
        if (done == m_total) return true;
        return m_o.evalEvery > 0 ? done % m_o.evalEvery == 0 : done % m_perEpoch == 0;
    }

    void evaluate(int64_t done)
    {
        EvalRecord r;
        r.step = done;
        r.epoch = int((done - 1) / m_perEpoch) + 1;
        m_prompts->eval();
        r.metrics = train::evaluateModel(m_model, m_tokenizer, m_validation, m_cache, m_device, m_dtype, m_o.evalBatch,
                                         m_cb.cancel);
        m_prompts->train();
        if (!m_st.haveBest || betterRetrieval(r.metrics, m_st.best)) {
            r.best = true;
            m_st.haveBest = true;
            m_st.best = r.metrics;
            m_st.bestStep = done;
            m_best = cloneTensors(*m_prompts);
        }
        m_st.evaluated = done;
        m_st.evaluations.push_back(r);
        if (m_cb.onEval) m_cb.onEval(r);
    }

    void trainSteps()
    {
        // Interrupted during an evaluation: it runs again first.
        if (isEvalPoint(m_st.step) && m_st.evaluated < m_st.step) evaluate(m_st.step);
        for (int64_t s = m_st.step; s < m_total; ++s) {
            if (cancelled()) throw Cancelled();
            trainStep(s);
            if (isEvalPoint(m_st.step)) evaluate(m_st.step);
            if (m_o.checkpointEvery > 0 && m_st.step % m_o.checkpointEvery == 0 && m_st.step < m_total) checkpoint();
        }
    }

    // The batches of an epoch and the caption each video shows in it depend on (seed, epoch) only.
    void planEpoch(int epoch)
    {
        m_plan = epochBatches(m_n, m_o.batch, m_o.seed, epoch);
        Rng pick(m_o.seed, kCaptionStream + uint64_t(epoch));
        for (size_t i = 0; i < m_n; ++i)
            m_captionChoice[i] = size_t(pick.below(m_train.videos[i].captions.size()));
        m_epochOfPlan = epoch;
    }

    void trainStep(int64_t s)
    {
        using Clock = std::chrono::steady_clock;
        const auto t0 = Clock::now();
        const int epoch = int(s / m_perEpoch);
        if (epoch != m_epochOfPlan) planEpoch(epoch);
        const auto& items = m_plan[size_t(s % m_perEpoch)];
        Rng aug(m_o.seed, kAugmentStream + uint64_t(s));
        std::vector<std::vector<RgbImage>> clips;
        std::vector<std::string> captions, keys;
        for (size_t i : items) {
            // a flipped view carries the mirrored caption ("moving left" -> "moving right")
            auto sample = train::trainingSample(m_cache, m_train.videos[i], m_captionChoice[i], m_o, aug);
            clips.push_back(std::move(sample.frames));
            captions.push_back(std::move(sample.caption));
            keys.push_back(ClipTokenizer::cleanText(captions.back()));
        }
        const double factor = scheduleFactorSteps(s, m_total, m_warmup);
        const double loss =
            m_stepper.step(train::framesTensor(clips).to(m_device, m_dtype),
                           train::captionIds(m_tokenizer, captions, m_model.captionLength()).to(m_device),
                           train::positivesFromKeys(keys), factor);
        if (!std::isfinite(loss))
            throw Error("the loss became " + std::to_string(loss) + " at step " + std::to_string(s + 1) +
                        "; lower the learning rate");
        m_st.step = s + 1;
        m_st.history.push_back({m_st.step, epoch + 1, loss, m_stepper.promptLr(factor)});
        m_stepSeconds += std::chrono::duration<double>(Clock::now() - t0).count();
        ++m_stepsRun;
        m_samplesRun += int64_t(items.size());
        if (m_cb.onStep) {
            StepProgress p;
            p.step = m_st.step;
            p.totalSteps = m_total;
            p.epoch = epoch + 1;
            p.epochs = m_epochs;
            p.loss = loss;
            p.lr = m_stepper.promptLr(factor);
            p.samplesPerSecond = m_stepSeconds > 0 ? double(m_samplesRun) / m_stepSeconds : 0;
            p.etaSeconds = double(m_total - m_st.step) * m_stepSeconds / double(m_stepsRun);
            m_cb.onStep(p);
        }
    }

    // The result: the prompt set written, the training state removed unless it is to be kept.
    void finish(TrainResult& result)
    {
        result.steps = m_st.step;
        result.history = m_st.history;
        result.evaluations = m_st.evaluations;
        result.zeroShot = m_st.zeroShot;
        result.best = m_st.best;
        result.bestStep = m_hasVal ? m_st.bestStep : m_st.step;
        result.firstEpochLoss = meanLoss(m_st.history, 1);
        result.lastEpochLoss = meanLoss(m_st.history, m_st.history.empty() ? 1 : m_st.history.back().epoch);
        if (!m_o.outPath.empty()) {
            writePromptSet(result);
            result.outPath = m_o.outPath;
            status("wrote " + m_o.outPath);
        }
        if (!m_o.statePath.empty() && !m_o.keepState) {
            std::error_code ec;
            fs::remove(m_o.statePath, ec);
        }
    }

    void writePromptSet(const TrainResult& result)
    {
        VopPrompts out(m_config, m_o.prompts);
        out->load(m_hasVal && !m_best.empty() ? m_best : cloneTensors(*m_prompts));
        auto prov = m_o.provenance;
        prov.emplace("dataset", m_train.format + ": " + m_train.source);
        prov["train_videos"] = std::to_string(m_n);
        prov["train_captions"] = std::to_string(m_train.captionCount());
        prov["validation_videos"] = std::to_string(m_validation.videos.size());
        prov["epochs"] = std::to_string(m_epochs);
        prov["warmup_steps"] = std::to_string(m_warmup);
        prov["batch"] = std::to_string(m_o.batch);
        prov["steps"] = std::to_string(m_st.step);
        prov["kept_step"] = std::to_string(result.bestStep);
        prov["lr"] = num(m_o.lr, 6);
        prov["generator_lr"] = num(m_o.generatorLr, 6);
        prov["weight_decay"] = num(m_o.weightDecay, 6);
        prov["seed"] = std::to_string(m_o.seed);
        prov["frames"] = m_sampling.key();
        prov["augment"] = m_settings.at("augment") + ", flip " + m_settings.at("flip") + ", random frame " +
                          m_settings.at("random_frame");
        prov["final_loss"] = num(result.lastEpochLoss, 6);
        if (m_hasVal) {
            prov["metrics"] = metricsJson(m_st.best).dump();
            prov["zero_shot_metrics"] = metricsJson(m_st.zeroShot).dump();
        }
        savePromptSet(m_o.outPath, *out, BackboneIdentity{m_o.backboneSha256, m_config.summary()}, prov);
    }
};

} // namespace

std::string savedSetting(const std::string& statePath, const std::string& key)
{
    torch::serialize::InputArchive ar;
    const auto settings = readStateMeta(statePath, ar).at("settings");
    if (!settings.contains(key))
        throw InputError("training state '" + statePath + "' has no setting '" + key + "'");
    return settings.at(key).get<std::string>();
}

bool betterRetrieval(const RetrievalMetrics& a, const RetrievalMetrics& b)
{
    if (a.t2v.r1 != b.t2v.r1) return a.t2v.r1 > b.t2v.r1;
    if (a.t2v.r5 != b.t2v.r5) return a.t2v.r5 > b.t2v.r5;
    if (a.v2t.r1 != b.v2t.r1) return a.v2t.r1 > b.v2t.r1;
    return a.t2v.meanRank < b.t2v.meanRank;
}

int64_t totalSteps(size_t videos, const TrainOptions& o)
{
    return o.steps > 0 ? o.steps : stepsPerEpoch(videos, o.batch) * int64_t(o.epochs);
}

int64_t warmupStepsOf(int64_t total, const TrainOptions& o)
{
    if (o.warmupSteps > 0) return std::min(o.warmupSteps, total);
    return o.warmupFraction > 0 ? std::max<int64_t>(1, std::llround(o.warmupFraction * double(total))) : 0;
}

double scheduleFactor(int64_t step, int64_t total, double warmupFraction)
{
    const int64_t warm = warmupFraction > 0 ? std::max<int64_t>(1, std::llround(warmupFraction * double(total))) : 0;
    return scheduleFactorSteps(step, total, warm);
}

double scheduleFactorSteps(int64_t step, int64_t total, int64_t warm)
{
    if (total <= 0)
        return 1.0;
    if (step < warm)
        return double(step + 1) / double(warm);
    const double p = double(step - warm) / double(std::max<int64_t>(1, total - warm));
    return 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, p)));
}

int64_t stepsPerEpoch(size_t videos, int batch)
{
    if (videos < 2 || batch < 1)
        return 0;
    int64_t n = int64_t((videos + size_t(batch) - 1) / size_t(batch));
    if (n > 1 && videos % size_t(batch) == 1) --n;
    return n;
}

TrainResult trainPrompts(ClipEncoder& clip, const Dataset& train, const Dataset& validation, const FrameCache& cache,
                         const TrainOptions& o, const TrainCallbacks& cb)
{
    using Clock = std::chrono::steady_clock;
    const auto started = Clock::now();
    checkTrainingInputs(clip, train, validation, cache, o);
    TrainResult result = TrainRun(clip, train, validation, cache, o, cb).run();
    result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return result;
}

} // namespace vop
