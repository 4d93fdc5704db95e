// vopsearch-cli index, status and rebuild-index: the library on the command line.
#include "Commands.h"
#include "Interrupt.h"
#include "LibraryCommon.h"

#include "library/Indexer.h"
#include "store/Catalog.h"
#include "store/IndexSync.h"
#include "util/Error.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <unistd.h>

namespace vop::cli {
namespace {

const char* kIndexUsage =
    "usage: vopsearch-cli index [ROOT...] [--db PATH] [--checkpoint FILE] [--prompts FILE] [--device D]\n"
    "                           [--frames N] [--fast-seek] [--json] [options]\n"
    "Scans the folders (recursively; new ones are remembered, no ROOT = every folder indexed before) and\n"
    "indexes every new or changed video: segments, thumbnails and one embedding per segment. Moved files\n"
    "keep their embeddings, deleted ones leave the index, folders on a drive that is not mounted go offline.\n"
    "Ctrl-C stops cleanly; a killed run resumes where it stopped. Exit 0 when the run completed (skipped\n"
    "files included), 2 when nothing could run.\n"
    "  --db PATH          the catalog (default: the user's data folder, library.sqlite3)\n"
    "  --checkpoint FILE  CLIP checkpoint (default: ViT-B-32.pt in the model folders)\n"
    "  --vocab FILE       CLIP's BPE vocabulary (default: next to the checkpoint)\n"
    "  --prompts FILE     a prompt set (default: zero-shot CLIP)\n"
    "  --device D         auto | cpu | cuda | cuda:N (default auto)\n"
    "  --precision P      auto | fp32 | int8: the encoder's CPU precision (auto: int8 where it is faster here\n"
    "                     and passed the quality gate, else fp32; docs/LIBRARY.md)\n"
    "  --frames N         frames per segment for zero-shot CLIP (12; a prompt set has its own)\n"
    "  --fast-seek        take the keyframe nearest each sample time (faster, less exact)\n"
    "  --reuse-diff D     a segment whose frames differ from the previous encoded one's by at most D\n"
    "                     (mean absolute difference, 0-255) reuses its embedding (1; -1: off)\n"
    "  --segment-max S    a video up to S seconds is one segment (30)\n"
    "  --window S         longer videos: windows of S seconds (15)\n"
    "  --overlap S        ... overlapping by S seconds (0)\n"
    "  --workers N        decode workers (default: from the core count)\n"
    "  --batch N          clips per encoder batch (default 4 on a CPU, 16 on a GPU)\n"
    "  --settle S         files modified less than S seconds ago are checked again (2)\n"
    "  --json             print one JSON object: {\"indexed\": [paths], \"skipped\": [{\"path\", \"reason\"}],\n"
    "                     \"failed\": [{\"path\", \"reason\"}], \"moved\", \"removed\", \"offline_roots\", ...}\n"
    "  --quiet            no progress bar";

const char* kStatusUsage =
    "usage: vopsearch-cli status [--db PATH] [--json]\n"
    "What the catalog holds and whether it is sound. --json prints {\"files\", \"indexed_files\", \"segments\",\n"
    "\"embeddings\", \"index_vectors\", \"integrity\", \"roots\", \"indexes\", ...}; integrity is \"ok\" or what\n"
    "is wrong with the catalog; each index says \"ok\", or why it will be brought up to date on the next search.";

const char* kRebuildUsage =
    "usage: vopsearch-cli rebuild-index [--db PATH] [--json]\n"
    "Rebuilds every HNSW index of the catalog from its embeddings (SQLite is the truth) and saves it.";

nlohmann::json problems(const std::vector<library::PathProblem>& list)
{
    nlohmann::json a = nlohmann::json::array();
    for (const auto& p : list)
        a.push_back({{"path", p.path}, {"reason", p.reason}});
    return a;
}

void printProgress(const library::IndexProgress& p)
{
    std::string line;
    char buf[256];
    if (p.phase == library::IndexProgress::Phase::Scanning) {
        std::snprintf(buf, sizeof buf, "scanning: %lld videos found", (long long)p.filesFound);
        line = buf;
    } else {
        const int width = 24;
        const double frac = p.filesTotal > 0 ? double(p.filesDone) / double(p.filesTotal) : 1.0;
        const int filled = int(frac * width);
        line = "[" + std::string(size_t(filled), '#') + std::string(size_t(width - filled), '.') + "] ";
        std::snprintf(buf, sizeof buf, "%lld/%lld files  %lld segments  %.1f frames/s  ETA %s%s",
                      (long long)p.filesDone, (long long)p.filesTotal, (long long)p.segmentsDone, p.framesPerSecond,
                      p.etaSeconds < 0 ? "?" : clockTime(p.etaSeconds).c_str(), p.paused ? "  (paused)" : "");
        line += buf;
    }
    if (line.size() > 100)
        line.resize(100);
    std::fprintf(stderr, "\r%-100s", line.c_str());
    std::fflush(stderr);
}

int runIndex(const std::vector<std::string>& argv)
{
    Args args(argv,
              {"db", "checkpoint", "vocab", "prompts", "device", "precision", "frames", "segment-max", "window", "overlap",
               "workers", "batch", "settle", "reuse-diff"},
              {"fast-seek", "json", "quiet"});
    const std::string db = databasePath(args);
    std::vector<std::string> roots = args.positionals();
    library::IndexerOptions o;
    o.segments.seek = args.has("fast-seek") ? media::SeekMode::Fast : media::SeekMode::Accurate;
    o.segments.segmentMax = args.getDouble("segment-max", 30);
    o.segments.window = args.getDouble("window", 15);
    o.segments.overlap = args.getDouble("overlap", 0);
    if (!(o.segments.window > 0) || !(o.segments.overlap >= 0) || o.segments.overlap >= o.segments.window || !(o.segments.segmentMax > 0))
        throw UsageError("need --segment-max > 0, --window > 0 and 0 <= --overlap < --window");
    o.decodeWorkers = args.getInt("workers", 0);
    o.segmentsPerBatch = args.getInt("batch", 0);
    if (o.decodeWorkers < 0 || o.segmentsPerBatch < 0)
        throw UsageError("--workers and --batch must be >= 0 (0: automatic)");
    o.reuseMaxDiff = args.getDouble("reuse-diff", o.reuseMaxDiff);
    o.sync.settleSeconds = args.getDouble("settle", 2.0);
    if (!(o.sync.settleSeconds >= 0))
        throw UsageError("--settle must be >= 0");

    auto library = openLibrary(args, o);
    installInterruptHandler();
    service::JobControl job;
    // The scan and the pipeline hear Ctrl-C through the job.
    job.onProgress([&job](const service::JobProgress&) {
        if (interruptFlag())
            job.cancel();
    });
    o.sync.scan.cancelled = [] { return interruptFlag().load(); };
    library->setIndexerOptions(o);
    const bool bar = !args.has("json") && !args.has("quiet") && ::isatty(STDERR_FILENO);
    bool barShown = false;
    auto progress = [&](const library::IndexProgress& p) {
        if (bar) {
            printProgress(p);
            barShown = true;
        }
    };
    roots = library->resolveRoots(roots); // before loading a model: nothing can run without a folder
    library->loadModel(&job);
    checkPromptFrames(args, *library);
    const library::IndexReport r = library->index(roots, job, progress);
    if (barShown)
        std::fprintf(stderr, "\n");

    const bool nothingRan = r.sync.roots.empty() && r.sync.offlineRoots.empty();
    if (args.has("json")) {
        nlohmann::json j;
        j["database"] = db;
        j["space"] = {{"model", r.space.modelName}, {"variant", r.space.variant}, {"prompt_set", r.space.promptsName},
                      {"frames", r.space.frames}, {"text_only", r.space.textOnly}};
        j["roots"] = r.sync.roots;
        j["indexed"] = r.indexed;
        j["skipped"] = problems(r.skipped);
        j["failed"] = problems(r.failed);
        nlohmann::json moved = nlohmann::json::array();
        for (const auto& m : r.sync.moved)
            moved.push_back({{"from", m.from}, {"to", m.to}});
        j["moved"] = moved;
        j["removed"] = r.sync.removed;
        j["offline_roots"] = r.sync.offlineRoots;
        j["offline_files"] = r.sync.offlineFiles;
        j["missing_roots"] = problems(r.sync.missingRoots);
        j["folder_problems"] = problems(r.sync.folderProblems);
        j["unchanged"] = r.sync.unchanged;
        j["segments"] = r.segments;
        j["frames"] = r.frames;
        j["frames_encoded"] = r.framesEncoded;
        j["segments_reused"] = r.segmentsReused;
        j["index_vectors"] = r.indexVectors;
        j["cancelled"] = r.cancelled;
        j["seconds"] = r.timings.wall;
        j["timings"] = {{"scan", r.timings.scan},     {"decode", r.timings.decode}, {"decode_cpu", r.timings.decodeCpu},
                        {"encode", r.timings.encode}, {"store", r.timings.store},
                        {"encoder_wait", r.timings.encoderWait}, {"index_save", r.timings.indexSave},
                        {"decode_workers", r.timings.decodeWorkers}, {"clips_per_batch", r.timings.segmentsPerBatch}};
        printJson(dumpJson(j, 2));
    } else {
        for (const auto& p : r.sync.missingRoots)
            std::printf("missing   %s: %s\n", p.path.c_str(), p.reason.c_str());
        for (const auto& p : r.sync.offlineRoots)
            std::printf("offline   %s (not mounted; its files are kept)\n", p.c_str());
        for (const auto& p : r.sync.folderProblems)
            std::printf("unreadable %s: %s\n", p.path.c_str(), p.reason.c_str());
        for (const auto& m : r.sync.moved)
            std::printf("moved     %s -> %s\n", m.from.c_str(), m.to.c_str());
        for (const auto& p : r.sync.removed)
            std::printf("removed   %s\n", p.c_str());
        for (const auto& p : r.skipped)
            std::printf("skipped   %s: %s\n", p.path.c_str(), p.reason.c_str());
        for (const auto& p : r.failed)
            std::printf("failed    %s: %s\n", p.path.c_str(), p.reason.c_str());
        std::printf("%s: %zu indexed (%lld segments), %zu skipped, %zu failed, %lld unchanged, %zu moved, %zu removed"
                    " in %s; %zu vectors in the index\n",
                    r.cancelled ? "stopped" : "done", r.indexed.size(), (long long)r.segments, r.skipped.size(),
                    r.failed.size(), (long long)r.sync.unchanged, r.sync.moved.size(), r.sync.removed.size(),
                    clockTime(r.timings.wall).c_str(), r.indexVectors);
        std::printf("catalog %s (%s)\n", db.c_str(), r.space.describe().c_str());
    }
    if (nothingRan) {
        std::cerr << "vopsearch-cli index: error: none of the folders could be scanned\n";
        return 2;
    }
    return r.cancelled ? 130 : 0;
}

int runStatus(const std::vector<std::string>& argv)
{
    Args args(argv, {"db"}, {"json"});
    if (!args.positionals().empty())
        throw UsageError("status takes no arguments");
    auto library = openLibrary(args);
    requireDatabase(library->dbPath());
    const std::string db = library->dbPath();
    const service::LibraryStatus st = library->status({/*inspectIndexes=*/true, /*integrity=*/true});
    const auto& counts = st.counts;
    const std::string& integrity = st.integrity;
    const std::string indexDir = library::indexDirFor(db);
    nlohmann::json indexes = nlohmann::json::array();
    size_t indexVectors = 0;
    bool indexesOk = true;
    for (const auto& s : st.spaces) {
        indexVectors += size_t(std::max<int64_t>(0, s.indexVectors));
        indexesOk = indexesOk && s.indexState == "ok";
        indexes.push_back({{"model", s.modelName}, {"model_id", s.key.modelId}, {"variant", s.variant},
                           {"prompt_set", s.promptsName}, {"embeddings", s.embeddings},
                           {"index_vectors", std::max<int64_t>(0, s.indexVectors)},
                           {"file", store::indexFilePath(indexDir, s.key)}, {"state", s.indexState}});
    }
    nlohmann::json roots = nlohmann::json::array();
    for (const auto& r : st.roots)
        roots.push_back({{"path", r.path}, {"mounted", r.mounted}, {"files", r.files}});
    if (args.has("json")) {
        nlohmann::json j = {{"database", db},
                            {"schema_version", st.schemaVersion},
                            {"roots", roots},
                            {"files", counts.files},
                            {"indexed_files", counts.indexedFiles},
                            {"pending_files", counts.pendingFiles},
                            {"skipped_files", counts.skippedFiles},
                            {"failed_files", counts.failedFiles},
                            {"offline_files", counts.offlineFiles},
                            {"segments", counts.segments},
                            {"embeddings", counts.embeddings},
                            {"index_vectors", indexVectors},
                            {"integrity", integrity},
                            {"indexes_ok", indexesOk},
                            {"indexes", indexes}};
        if (st.active.known)
            j["active"] = {{"set", st.active.description},           {"text_only", st.active.textOnly},
                           {"embeddings", st.active.embeddings},     {"complete", st.active.complete()},
                           {"answered_by", st.active.answeredBy},    {"from_previous_set", st.active.fromPreviousSet}};
        printJson(dumpJson(j, 2));
        return 0;
    }
    std::printf("catalog     %s (schema %d)\n", db.c_str(), st.schemaVersion);
    for (const auto& r : roots)
        std::printf("root        %s%s, %lld files\n", r["path"].get<std::string>().c_str(),
                    r["mounted"].get<bool>() ? "" : " (not mounted)", (long long)r["files"].get<int64_t>());
    std::printf("files       %lld: %lld indexed, %lld pending, %lld skipped, %lld failed, %lld offline\n",
                (long long)counts.files, (long long)counts.indexedFiles, (long long)counts.pendingFiles,
                (long long)counts.skippedFiles, (long long)counts.failedFiles, (long long)counts.offlineFiles);
    std::printf("segments    %lld\nembeddings  %lld\nindex       %zu vectors\nintegrity   %s\n",
                (long long)counts.segments, (long long)counts.embeddings, indexVectors, integrity.c_str());
    for (const auto& ix : indexes)
        std::printf("index       %s, %s%s: %lld embeddings, %zu vectors: %s\n", ix["model"].get<std::string>().c_str(),
                    ix["variant"].get<std::string>().c_str(),
                    ix["prompt_set"].get<std::string>().empty()
                        ? ""
                        : (" " + ix["prompt_set"].get<std::string>()).c_str(),
                    (long long)ix["embeddings"].get<int64_t>(), ix["index_vectors"].get<size_t>(),
                    ix["state"].get<std::string>().c_str());
    if (st.active.known)
        std::printf("active      %s: %lld of %lld segments encoded%s\n", st.active.description.c_str(),
                    (long long)st.active.embeddings, (long long)st.active.segments,
                    st.active.fromPreviousSet ? (", searches answered by " + st.active.answeredBy).c_str() : "");
    return 0;
}

int runRebuild(const std::vector<std::string>& argv)
{
    Args args(argv, {"db"}, {"json"});
    if (!args.positionals().empty())
        throw UsageError("rebuild-index takes no arguments");
    auto library = openLibrary(args);
    requireDatabase(library->dbPath());
    service::JobControl job;
    const service::RebuildReport report = library->rebuildIndexes(job);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : report.spaces) {
        out.push_back({{"model", s.modelName}, {"variant", s.variant}, {"prompt_set", s.promptsName},
                       {"vectors", s.vectors}, {"file", s.file}, {"seconds", s.seconds}});
        if (!args.has("json"))
            std::printf("rebuilt %s (%s, %s): %zu vectors in %.2f s\n", s.file.c_str(), s.modelName.c_str(),
                        s.variant.c_str(), s.vectors, s.seconds);
    }
    if (args.has("json"))
        printJson(dumpJson({{"indexes", out}}, 2));
    else if (out.empty())
        std::printf("the catalog has no embeddings yet; nothing to rebuild\n");
    return 0;
}

Command regIndex{"index", "scan folders and index their videos", kIndexUsage, &runIndex};
Command regStatus{"status", "what the library catalog holds, and whether it is sound", kStatusUsage, &runStatus};
Command regRebuild{"rebuild-index", "rebuild the HNSW indexes from the catalog", kRebuildUsage, &runRebuild};

} // namespace
} // namespace vop::cli
