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

void loadState(const std::string& path, const std::map<std::string, std::string>& settings, RunState& st,
               VopPromptsImpl& prompts, TensorMap& best, torch::optim::Optimizer& opt, const torch::Device& device)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw InputError("no training state at '" + path + "' to resume from (run without resuming to start anew)");
    torch::serialize::InputArchive ar;
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

bool better(const RetrievalMetrics& a, const RetrievalMetrics& b)
{
    if (a.t2v.r1 != b.t2v.r1) return a.t2v.r1 > b.t2v.r1;
    return a.t2v.meanRank < b.t2v.meanRank;
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

} // namespace

double scheduleFactor(int64_t step, int64_t total, double warmupFraction)
{
    if (total <= 0)
        return 1.0;
    const int64_t warm = warmupFraction > 0 ? std::max<int64_t>(1, std::llround(warmupFraction * double(total))) : 0;
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
    const auto& config = clip.config();
    const auto& sampling = cache.sampling();
    // ---- settings and data that cannot work
    if (o.prompts.variant == Variant::Zero)
        throw InputError("variant zero has nothing to train; pick vop, vop-p, vop-c, vop-f, vop-fp or vop-fc");
    if (o.epochs < 1) throw InputError("epochs must be at least 1");
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

    const torch::Device device(clip.deviceName());
    const auto dtype = torch::kFloat32;
    const auto& tokenizer = clip.tokenizer();
    auto status = [&](const std::string& s) {
        VOP_LOG_INFO("train", "{}", s);
        if (cb.onStatus) cb.onStatus(s);
    };
    auto cancelled = [&] { return cb.cancel && cb.cancel->load(); };

    VopPrompts prompts = [&] {
        ScopedTorchSeed seeded(o.seed); // the initial prompts, without touching the process's generator
        return VopPrompts(config, o.prompts);
    }();
    prompts->to(device);
    prompts->train();
    VopModel model(ClipModel(clip.modelPtr()), prompts);
    train::PromptStepper stepper(model, o);

    const size_t N = train.videos.size();
    const int64_t perEpoch = stepsPerEpoch(N, o.batch), total = perEpoch * o.epochs;
    const auto settings = runSettings(o, train, validation, cache, config);
    const bool hasVal = !validation.videos.empty();
    RunState st;
    TensorMap best;
    if (o.resume) {
        loadState(o.statePath, settings, st, *prompts, best, stepper.optimizer(), device);
        status("resumed from " + o.statePath + " at step " + std::to_string(st.step) + " of " + std::to_string(total));
    }
    TrainResult result;
    result.resumedFrom = st.step;
    result.hasValidation = hasVal;
    result.trainVideos = N;
    result.validationVideos = validation.videos.size();

    auto checkpoint = [&] {
        if (o.statePath.empty()) return;
        saveState(o.statePath, settings, st, *prompts, best, stepper.optimizer());
        status("saved training state at step " + std::to_string(st.step) + " to " + o.statePath);
    };
    auto fail = [&](const Cancelled&) {
        checkpoint();
        throw Cancelled();
    };

    try {
        if (hasVal && !st.haveZeroShot) {
            status("evaluating zero-shot CLIP on " + std::to_string(validation.videos.size()) + " validation videos");
            PromptOptions zo;
            zo.variant = Variant::Zero;
            zo.frames = sampling.frames;
            VopModel zero(ClipModel(clip.modelPtr()), VopPrompts(config, zo));
            st.zeroShot = train::evaluateModel(zero, tokenizer, validation, cache, device, dtype, o.evalBatch, cb.cancel);
            st.haveZeroShot = true;
            status("zero-shot: " + describeMetrics(st.zeroShot));
            if (cb.onEval) {
                EvalRecord z; // step 0: the baseline that every later evaluation is compared with
                z.metrics = st.zeroShot;
                cb.onEval(z);
            }
        }
    } catch (const Cancelled& c) {
        fail(c);
    }

    auto isEvalPoint = [&](int64_t done) {
        if (!hasVal || done <= 0) return false;
        if (done == total) return true;
        return o.evalEvery > 0 ? done % o.evalEvery == 0 : done % perEpoch == 0;
    };
    auto evaluate = [&](int64_t done) {
        EvalRecord r;
        r.step = done;
        r.epoch = int((done - 1) / perEpoch) + 1;
        prompts->eval();
        r.metrics = train::evaluateModel(model, tokenizer, validation, cache, device, dtype, o.evalBatch, cb.cancel);
        prompts->train();
        if (!st.haveBest || better(r.metrics, st.best)) {
            r.best = true;
            st.haveBest = true;
            st.best = r.metrics;
            st.bestStep = done;
            best = cloneTensors(*prompts);
        }
        st.evaluated = done;
        st.evaluations.push_back(r);
        if (cb.onEval) cb.onEval(r);
    };

    int epochOfPlan = -1;
    std::vector<std::vector<size_t>> plan;
    std::vector<size_t> captionChoice(N);
    double stepSeconds = 0;
    int64_t stepsRun = 0, samplesRun = 0;
    try {
        if (isEvalPoint(st.step) && st.evaluated < st.step) evaluate(st.step); // interrupted during an evaluation
        for (int64_t s = st.step; s < total; ++s) {
            if (cancelled()) throw Cancelled();
            const auto t0 = Clock::now();
            const int epoch = int(s / perEpoch);
            if (epoch != epochOfPlan) {
                plan = epochBatches(N, o.batch, o.seed, epoch);
                Rng pick(o.seed, kCaptionStream + uint64_t(epoch));
                for (size_t i = 0; i < N; ++i) captionChoice[i] = size_t(pick.below(train.videos[i].captions.size()));
                epochOfPlan = epoch;
            }
            const auto& items = plan[size_t(s % perEpoch)];
            Rng aug(o.seed, kAugmentStream + uint64_t(s));
            std::vector<std::vector<RgbImage>> clips;
            std::vector<std::string> captions, keys;
            for (size_t i : items) {
                const auto& v = train.videos[i];
                clips.push_back(train::trainingView(cache, v.framesFile, o, aug));
                captions.push_back(v.captions[captionChoice[i]]);
                keys.push_back(ClipTokenizer::cleanText(captions.back()));
            }
            const double factor = scheduleFactor(s, total, o.warmupFraction);
            const double loss = stepper.step(train::framesTensor(clips).to(device, dtype),
                                             train::captionIds(tokenizer, captions, model.captionLength()).to(device),
                                             train::positivesFromKeys(keys), factor);
            if (!std::isfinite(loss))
                throw Error("the loss became " + std::to_string(loss) + " at step " + std::to_string(s + 1) +
                            "; lower the learning rate");
            st.step = s + 1;
            st.history.push_back({st.step, epoch + 1, loss, stepper.promptLr(factor)});
            stepSeconds += std::chrono::duration<double>(Clock::now() - t0).count();
            ++stepsRun;
            samplesRun += int64_t(items.size());
            if (cb.onStep) {
                StepProgress p;
                p.step = st.step;
                p.totalSteps = total;
                p.epoch = epoch + 1;
                p.epochs = o.epochs;
                p.loss = loss;
                p.lr = stepper.promptLr(factor);
                p.samplesPerSecond = stepSeconds > 0 ? double(samplesRun) / stepSeconds : 0;
                p.etaSeconds = double(total - st.step) * stepSeconds / double(stepsRun);
                cb.onStep(p);
            }
            if (isEvalPoint(st.step)) evaluate(st.step);
            if (o.checkpointEvery > 0 && st.step % o.checkpointEvery == 0 && st.step < total) checkpoint();
        }
    } catch (const Cancelled& c) {
        fail(c);
    }

    // ---- the result
    result.steps = st.step;
    result.history = st.history;
    result.evaluations = st.evaluations;
    result.zeroShot = st.zeroShot;
    result.best = st.best;
    result.bestStep = hasVal ? st.bestStep : st.step;
    result.firstEpochLoss = meanLoss(st.history, 1);
    result.lastEpochLoss = meanLoss(st.history, o.epochs);
    if (!o.outPath.empty()) {
        VopPrompts out(config, o.prompts);
        out->load(hasVal && !best.empty() ? best : cloneTensors(*prompts));
        auto prov = o.provenance;
        prov.emplace("dataset", train.format + ": " + train.source);
        prov["train_videos"] = std::to_string(N);
        prov["train_captions"] = std::to_string(train.captionCount());
        prov["validation_videos"] = std::to_string(validation.videos.size());
        prov["epochs"] = std::to_string(o.epochs);
        prov["batch"] = std::to_string(o.batch);
        prov["steps"] = std::to_string(st.step);
        prov["kept_step"] = std::to_string(result.bestStep);
        prov["lr"] = num(o.lr, 6);
        prov["generator_lr"] = num(o.generatorLr, 6);
        prov["weight_decay"] = num(o.weightDecay, 6);
        prov["seed"] = std::to_string(o.seed);
        prov["frames"] = sampling.key();
        prov["augment"] = settings.at("augment") + ", flip " + settings.at("flip") + ", random frame " +
                          settings.at("random_frame");
        prov["final_loss"] = num(result.lastEpochLoss, 6);
        if (hasVal) {
            prov["metrics"] = metricsJson(st.best).dump();
            prov["zero_shot_metrics"] = metricsJson(st.zeroShot).dump();
        }
        savePromptSet(o.outPath, *out, BackboneIdentity{o.backboneSha256, config.summary()}, prov);
        result.outPath = o.outPath;
        status("wrote " + o.outPath);
    }
    if (!o.statePath.empty() && !o.keepState) {
        std::error_code ec;
        fs::remove(o.statePath, ec);
    }
    result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return result;
}

} // namespace vop
