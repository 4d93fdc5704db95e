// vopsearch-cli train | eval: fit a prompt set on labelled footage and measure retrieval with or
// without one, through the training service (core/service/TrainingService.h).
#include "Commands.h"
#include "PromptArgs.h"
#include "Interrupt.h"

#include "service/TrainingService.h"
#include "train/Dataset.h"
#include "train/Evaluate.h"
#include "train/FrameCache.h"
#include "train/Trainer.h"
#include "util/Error.h"
#include "util/Paths.h"
#include "util/Sha256.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <cstdio>
#include <unistd.h>

namespace vop::cli {
namespace {

const char* kDataOptions =
    "  --data PATH          folders/sidecar: the dataset folder; msrvtt: the annotation .json/.csv (or a folder\n"
    "                       holding MSRVTT_data.json)\n"
    "  --format F           folders (ROOT/<label>/videos) | sidecar (clip.mp4 + clip.txt) | msrvtt\n"
    "  --template T         folders: caption template, {} = the label with _ read as a space (\"{}\")\n"
    "  --videos DIR         msrvtt: the folder of <video_id>.* files (default: videos/all or videos beside --data)\n"
    "  --split NAME         msrvtt: only videos of this split (train, validate/val, test)\n"
    "  --split-list FILE    msrvtt: only these ids (MSRVTT_train.9k.csv, a list of ids, or\n"
    "                       MSRVTT_JSFUSION_test.csv for 1k-A, whose sentences are then the captions)\n"
    "  --checkpoint FILE    CLIP checkpoint (default: ViT-B-32.pt in the model folders)\n"
    "  --vocab FILE         bpe_simple_vocab_16e6.txt.gz (default: next to the checkpoint, the model folders, the shipped copy)\n"
    "  --cache DIR          decoded-frame cache (default: ~/.local/share/vopsearch/frame-cache)\n"
    "  --device D           auto | cpu | cuda | cuda:N (auto)\n"
    "  --threads N          CPU threads (all cores)\n";

const std::string kTrainUsage = std::string(
    "usage: vopsearch-cli train --data PATH --format folders|sidecar|msrvtt --variant V --checkpoint FILE\n"
    "                           --out PROMPTS [options] [--json]\n"
    "Fits a VoP prompt set on the frozen CLIP: symmetric InfoNCE (clips sharing a caption are positives of\n"
    "each other), AdamW, cosine schedule after 10% warm-up, grad-norm clip 1.0. Holds out a seeded\n"
    "validation part (stratified by caption), keeps the prompts that validate best (t2v R@1, then t2v R@5,\n"
    "v2t R@1, t2v mean rank; the earlier step on a tie) and prints them against zero-shot CLIP.\n"
    "Ctrl-C saves the training state; --resume continues from it. --json prints the final metrics and the\n"
    "history. Settings left unset are chosen to fit the data and printed with the reason: the\n"
    "batch (all clips in balanced batches of at most 32), the length (5 epochs, or a budget of 300 steps\n"
    "for small data, capped by the estimated time), the warm-up (10% of the steps) and the validation\n"
    "interval. A flipped clip's caption is mirrored (left <-> right).\n"
    "Exit codes: 0 the prompts beat zero-shot CLIP on validation (or there was no validation); 3 they do\n"
    "not (the prompt set is still written, but keeping it is not recommended); 2 bad input; 1 interrupted.\n")
    + kDataOptions + std::string(
    "  --variant V          vop | vop-p | vop-c | vop-f | vop-fp | vop-fc\n"
    "  --out FILE           the prompt set to write\n"
    "  --epochs N | --steps N  passes over the training clips, or optimizer steps in all (chosen)\n"
    "  --batch N (chosen)  --lr X|auto (prompts; auto, the default with a validation part: the best of 2e-2,\n"
    "                       5e-2, 5e-3, 1e-3 after a short run each on the validation part, on 3 seeded splits\n"
    "                       when it is too small to tell; without validation 1e-3)\n"
    "  --generator-lr X (1e-4, VoP^C networks)\n"
    "  --weight-decay X (0.2)  --warmup F (fraction of the steps; 10% when chosen)  --frames N (12)  --seed N (0)\n"
    "  --max-minutes M      cap on the estimated time of a chosen step budget (30)\n"
    "  --val-split F        fraction of the videos held out for validation (0.1; 0: none, keep the last prompts)\n"
    "  --eval-every N       validate every N steps (default: after every epoch; ~20 times for a step budget)\n"
    "  --state FILE         training state for --resume (default: OUT.state; removed after a finished run)\n"
    "  --save-every N       save the training state every N steps (100; 0: only when interrupted)\n"
    "  --resume             continue an interrupted run (same data and settings)\n"
    "  --keep-state         keep the training state after the run\n"
    "  --no-augment         no random resized crop (area 0.5-1.0)\n"
    "  --no-flip            no horizontal flips (a flipped clip's caption has left and right swapped)\n"
    "  --no-random-frame    the middle frame of each segment instead of a random one\n"
    "  --candidates N       frames decoded per segment for the random choice (3, odd)\n"
    "  --split-depth K      VoP^F: frame-level layers before the joint ones (round(2L/3): 8 of 12)\n"
    "  --depth K  --text-length N (8)  --visual-length N (8)  --video-length N (4)  --context bilstm|lstm|transformer");

const std::string kEvalUsage = std::string(
    "usage: vopsearch-cli eval --data PATH --format folders|sidecar|msrvtt (--prompts FILE | --zero-shot)\n"
    "                          --checkpoint FILE [options] [--json]\n"
    "Text-to-video and video-to-text retrieval: R@1, R@5, R@10 (percent), median and mean rank (1-based),\n"
    "and mAP (reported where clips share captions). --json prints {\"t2v\": {\"R@1\", \"R@5\", \"R@10\", \"MdR\",\n"
    "\"MnR\", \"mAP\"}, \"v2t\": {...}, \"videos\", \"texts\", ...}.\n") + kDataOptions + std::string(
    "  --prompts FILE       a prompt set (vopsearch-cli train / prompts new)\n"
    "  --zero-shot          plain CLIP, no prompts\n"
    "  --frames N           zero-shot frames per clip (12; a prompt set brings its own)\n"
    "  --val-split F --seed N  only the validation part `train` held out with these settings\n"
    "  --batch N            clips per forward pass (16)");



const std::set<std::string> kDataValued = {"data", "format", "template", "videos", "split", "split-list",
                                           "checkpoint", "vocab", "cache", "device", "threads"};

std::set<std::string> withData(std::set<std::string> extra)
{
    extra.insert(kDataValued.begin(), kDataValued.end());
    return extra;
}

service::DataSource dataSource(const Args& a)
{
    if (!a.has("data")) throw UsageError("needs --data PATH");
    if (!a.has("format")) throw UsageError("needs --format folders|sidecar|msrvtt");
    service::DataSource d;
    d.path = a.get("data");
    d.format = a.get("format");
    d.options.captionTemplate = a.get("template", "{}");
    d.options.videoDir = a.get("videos");
    d.options.split = a.get("split");
    d.options.splitList = a.get("split-list");
    return d;
}

service::BackboneSettings backboneSettings(const Args& a)
{
    service::BackboneSettings b;
    b.checkpoint = a.get("checkpoint");
    b.vocab = a.get("vocab");
    b.device = a.get("device", "auto");
    b.threads = a.getInt("threads", 0);
    b.frameCacheDir = a.get("cache");
    b.candidates = a.getInt("candidates", 3);
    return b;
}

bool stderrIsTty() { return ::isatty(2) == 1; }

// Ctrl-C cancels the job; frame preparation shows a counter on a terminal.
void followJob(service::JobControl& job, bool tty)
{
    job.onProgress([&job, tty](const service::JobProgress& p) {
        if (interruptFlag())
            job.cancel();
        if (tty && p.phase == service::phase::PreparingFrames && p.total > 0)
            std::fprintf(stderr, "\rpreparing %s frames: %lld/%lld", p.detail.c_str(), (long long)p.done,
                         (long long)p.total);
    });
}

nlohmann::ordered_json rankJson(const RankMetrics& r, bool withMap)
{
    nlohmann::ordered_json j = {{"R@1", r.r1}, {"R@5", r.r5}, {"R@10", r.r10}, {"MdR", r.medianRank}, {"MnR", r.meanRank}};
    if (withMap) j["mAP"] = r.mAP;
    return j;
}

nlohmann::ordered_json metricsJson(const RetrievalMetrics& m)
{
    nlohmann::ordered_json j;
    j["t2v"] = rankJson(m.t2v, true);
    j["v2t"] = rankJson(m.v2t, true);
    j["videos"] = m.videos;
    j["texts"] = m.texts;
    j["shared_captions"] = m.sharedCaptions;
    return j;
}

void printTableHeader()
{
    std::printf("%-18s %7s %6s %6s %6s %7s | %7s %6s %6s %6s %7s\n", "", "t2v R@1", "R@5", "R@10", "MdR", "MnR",
                "v2t R@1", "R@5", "R@10", "MdR", "MnR");
}

void printTableRow(const std::string& name, const RetrievalMetrics& m)
{
    std::printf("%-18s %7.1f %6.1f %6.1f %6.1f %7.1f | %7.1f %6.1f %6.1f %6.1f %7.1f", name.c_str(), m.t2v.r1,
                m.t2v.r5, m.t2v.r10, m.t2v.medianRank, m.t2v.meanRank, m.v2t.r1, m.v2t.r5, m.v2t.r10,
                m.v2t.medianRank, m.v2t.meanRank);
    if (m.sharedCaptions) std::printf("   mAP %.1f / %.1f", m.t2v.mAP, m.v2t.mAP);
    std::printf("\n");
}

std::string duration(double s)
{
    char buf[32];
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", int(s / 3600), int(s / 60) % 60);
    else if (s >= 60) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s / 60), int(s) % 60);
    else std::snprintf(buf, sizeof buf, "%ds", int(s));
    return buf;
}

int runTrain(const std::vector<std::string>& argv)
{
    Args a(argv,
           withData({"variant", "out", "epochs", "steps", "max-minutes", "batch", "lr", "generator-lr", "weight-decay", "warmup", "frames",
                     "val-split", "seed", "eval-every", "state", "save-every", "candidates", "split-depth", "depth",
                     "text-length", "visual-length", "video-length", "context"}),
           {"json", "resume", "keep-state", "no-augment", "no-flip", "no-random-frame"});
    if (!a.positionals().empty()) throw UsageError("unexpected argument '" + a.positionals().front() + "'");
    if (!a.has("variant")) throw UsageError("train needs --variant");
    if (!a.has("out")) throw UsageError("train needs --out FILE");
    const bool json = a.has("json");

    TrainOptions o;
    o.prompts = promptOptionsFrom(a);
    if (o.prompts.frames < 1) throw UsageError("--frames must be at least 1");
    if (a.has("epochs") && a.has("steps")) throw UsageError("give --epochs or --steps, not both");
    o.epochs = a.getInt("epochs", o.epochs);
    if (a.has("steps")) {
        o.steps = a.getInt("steps", 0);
        if (o.steps < 1) throw UsageError("--steps must be at least 1");
    }
    o.batch = a.getInt("batch", o.batch);
    // No --lr: search it when there is a validation part to search on (docs/TRAINING.md, "Learning rate")
    const bool lrAuto = a.get("lr") == "auto" || (!a.has("lr") && a.getDouble("val-split", 0.1) > 0);
    if (a.get("lr") == "auto" && !(a.getDouble("val-split", 0.1) > 0))
        throw UsageError("--lr auto chooses the rate on the validation part: use --val-split above 0, or give --lr");
    if (!lrAuto) o.lr = a.getDouble("lr", o.lr);
    o.generatorLr = a.getDouble("generator-lr", o.generatorLr);
    o.weightDecay = a.getDouble("weight-decay", o.weightDecay);
    o.warmupFraction = a.getDouble("warmup", o.warmupFraction);
    o.seed = uint64_t(a.getInt("seed", 0));
    o.evalEvery = a.getInt("eval-every", 0);
    o.checkpointEvery = a.getInt("save-every", 100);
    o.augment = !a.has("no-augment");
    o.flip = !a.has("no-flip");
    o.randomFrame = !a.has("no-random-frame");
    o.outPath = a.get("out");
    o.statePath = a.get("state", o.outPath + ".state");
    o.resume = a.has("resume");
    o.keepState = a.has("keep-state");

    service::TrainingRequest req;
    req.data = dataSource(a);
    req.data.validationFraction = a.getDouble("val-split", 0.1);
    req.data.seed = o.seed;
    req.backbone = backboneSettings(a);
    req.options = o;
    req.choose.steps = !a.has("epochs") && !a.has("steps");
    req.choose.batch = !a.has("batch");
    req.choose.warmup = !a.has("warmup");
    req.choose.evalEvery = !a.has("eval-every");
    req.choose.lr = lrAuto;
    req.choose.maxSeconds = a.getDouble("max-minutes", 30) * 60;
    if (!(req.choose.maxSeconds > 0)) throw UsageError("--max-minutes must be positive");

    installInterruptHandler();
    const bool tty = stderrIsTty();
    service::JobControl job;
    followJob(job, tty);
    try {
        int64_t lastLine = -1;
        auto onEvent = [&](const service::TrainingEvent& e) {
            switch (e.kind) {
            case service::TrainingEvent::Kind::Phase:
                break;
            case service::TrainingEvent::Kind::Message:
                std::fprintf(stderr, "%s%s\n", tty ? "\r\x1b[K" : "", e.text.c_str());
                break;
            case service::TrainingEvent::Kind::Checkpoint:
            case service::TrainingEvent::Kind::Plan: // its lines come as Messages too
                break;
            case service::TrainingEvent::Kind::Step: {
                const auto& p = e.step;
                const int width = 24;
                const int fill = int(double(width) * double(p.step) / double(std::max<int64_t>(1, p.totalSteps)));
                char line[256];
                std::snprintf(line, sizeof line, "[%s%s] step %lld/%lld  epoch %d/%d  loss %.4f  lr %.2e  %.1f clips/s  ETA %s",
                              std::string(size_t(fill), '#').c_str(), std::string(size_t(width - fill), '.').c_str(),
                              (long long)p.step, (long long)p.totalSteps, p.epoch, p.epochs, p.loss, p.lr,
                              p.samplesPerSecond, duration(p.etaSeconds).c_str());
                if (tty) {
                    std::fprintf(stderr, "\r%s\x1b[K", line);
                    if (p.step == p.totalSteps) std::fprintf(stderr, "\n");
                } else if (p.step == p.totalSteps || p.step - lastLine >= std::max<int64_t>(1, p.totalSteps / 20)) {
                    std::fprintf(stderr, "%s\n", line);
                    lastLine = p.step;
                }
                break;
            }
            case service::TrainingEvent::Kind::Evaluation: {
                const auto& r = e.evaluation;
                if (r.step == 0)
                    break; // zero-shot: already printed as a message
                std::fprintf(stderr, "%svalidation at step %lld: t2v R@1 %.1f  R@5 %.1f  v2t R@1 %.1f%s\n", tty ? "\r\x1b[K" : "",
                             (long long)r.step, r.metrics.t2v.r1, r.metrics.t2v.r5, r.metrics.v2t.r1, r.best ? "  (best)" : "");
                break;
            }
            }
        };
        const service::TrainingOutcome outcome = service::TrainingService::train(req, job, onEvent);
        const auto& r = outcome.result;
        // 3: trained, written, but not better than zero-shot CLIP on validation (documented)
        const int exitCode = r.hasValidation && !outcome.betterThanZeroShot ? 3 : 0;
        const std::vector<std::string>& skipped = outcome.data.skipped;
        restoreDefaultInterrupt();
        if (json) {
            nlohmann::ordered_json j;
            j["zero_shot"] = r.hasValidation ? metricsJson(r.zeroShot) : nlohmann::ordered_json();
            j["trained"] = r.hasValidation ? metricsJson(r.best) : nlohmann::ordered_json();
            j["better_than_zero_shot"] = outcome.betterThanZeroShot;
            j["small_validation"] = outcome.smallValidation;
            j["verdict"] = outcome.verdict;
            j["variant"] = variantName(o.prompts.variant);
            j["out"] = r.outPath;
            j["kept_step"] = r.bestStep;
            j["steps"] = r.steps;
            j["batch"] = outcome.plan.options.batch;
            j["warmup_steps"] = outcome.plan.warmupSteps;
            j["lr"] = outcome.plan.options.lr;
            j["lr_search_seconds"] = outcome.plan.searchSeconds;
            j["chosen"] = outcome.plan.reasons;
            j["resumed_from"] = r.resumedFrom;
            j["train_videos"] = r.trainVideos;
            j["validation_videos"] = r.validationVideos;
            j["first_epoch_loss"] = r.firstEpochLoss;
            j["last_epoch_loss"] = r.lastEpochLoss;
            j["seconds"] = r.seconds;
            auto hist = nlohmann::ordered_json::array();
            for (const auto& h : r.history) hist.push_back({{"step", h.step}, {"epoch", h.epoch}, {"loss", h.loss}, {"lr", h.lr}});
            j["history"] = hist;
            auto evals = nlohmann::ordered_json::array();
            for (const auto& e : r.evaluations) {
                auto m = metricsJson(e.metrics);
                evals.push_back({{"step", e.step}, {"epoch", e.epoch}, {"best", e.best}, {"t2v", m["t2v"]}, {"v2t", m["v2t"]}});
            }
            j["evaluations"] = evals;
            j["skipped"] = skipped;
            printJson(j.dump(2));
            return exitCode;
        }
        if (r.hasValidation) {
            std::printf("validation: %zu videos, %zu captions\n", r.zeroShot.videos, r.zeroShot.texts);
            printTableHeader();
            printTableRow("zero-shot", r.zeroShot);
            printTableRow(variantName(o.prompts.variant) + " (step " + std::to_string(r.bestStep) + ")", r.best);
        }
        std::printf("loss: %.4f (first epoch) -> %.4f (last epoch), %lld steps in %s\n", r.firstEpochLoss,
                    r.lastEpochLoss, (long long)r.steps, duration(r.seconds).c_str());
        std::printf("wrote %s\n", r.outPath.c_str());
        std::printf("%s\n", outcome.verdict.c_str());
        return exitCode;
    } catch (const Cancelled&) {
        restoreDefaultInterrupt();
        if (std::filesystem::exists(o.statePath))
            std::fprintf(stderr, "\ninterrupted; the training state is in %s: run the same command with --resume to go on\n",
                         o.statePath.c_str());
        else // e.g. during the learning-rate search: nothing to resume
            std::fprintf(stderr, "\ninterrupted before the first training step; nothing was saved\n");
        return 1;
    }
}

int runEval(const std::vector<std::string>& argv)
{
    Args a(argv, withData({"prompts", "frames", "val-split", "seed", "batch"}), {"json", "zero-shot"});
    if (!a.positionals().empty()) throw UsageError("unexpected argument '" + a.positionals().front() + "'");
    if (a.has("prompts") == a.has("zero-shot")) throw UsageError("eval needs either --prompts FILE or --zero-shot");
    service::EvaluationRequest req;
    req.data = dataSource(a);
    req.data.validationFraction = a.has("val-split") ? a.getDouble("val-split", 0.1) : 0.0;
    req.data.seed = uint64_t(a.getInt("seed", 0));
    req.backbone = backboneSettings(a);
    req.promptsPath = a.get("prompts");
    int frames = a.getInt("frames", 12);
    if (a.has("prompts")) {
        frames = promptSetFrames(a.get("prompts"));
        if (a.has("frames") && a.getInt("frames", frames) != frames)
            throw UsageError("the prompt set was made for " + std::to_string(frames) + " frames per clip");
    }
    if (frames < 1) throw UsageError("--frames must be at least 1");
    req.frames = frames;
    req.batch = a.getInt("batch", 16);
    installInterruptHandler();
    const bool tty = stderrIsTty();
    service::JobControl job;
    followJob(job, tty);
    try {
        const auto outcome = service::TrainingService::evaluate(req, job, [&](const service::TrainingEvent& e) {
            if (e.kind == service::TrainingEvent::Kind::Message)
                std::fprintf(stderr, "%s%s\n", tty ? "\r\x1b[K" : "", e.text.c_str());
        });
        const RetrievalMetrics& m = outcome.metrics;
        restoreDefaultInterrupt();
        if (a.has("json")) {
            auto j = metricsJson(m);
            j["prompts"] = a.has("prompts") ? nlohmann::ordered_json(a.get("prompts")) : nlohmann::ordered_json();
            j["frames"] = frames;
            j["skipped"] = outcome.data.skipped.size();
            printJson(j.dump(2));
            return 0;
        }
        std::printf("%zu videos, %zu distinct captions%s\n", m.videos, m.texts,
                    m.sharedCaptions ? " (shared: a query hits when any clip with its caption ranks)" : "");
        printTableHeader();
        printTableRow(a.has("prompts") ? "prompts" : "zero-shot", m);
        return 0;
    } catch (const Cancelled&) {
        restoreDefaultInterrupt();
        std::fprintf(stderr, "\ninterrupted\n");
        return 1;
    }
}

Command regTrain{"train", "fit a VoP prompt set on a dataset (zero-shot vs trained table)", kTrainUsage, &runTrain};
Command regEval{"eval", "retrieval metrics (R@K, MdR, MnR) of a prompt set or zero-shot CLIP", kEvalUsage, &runEval};

} // namespace
} // namespace vop::cli
