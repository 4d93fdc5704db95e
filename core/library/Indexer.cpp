#include "library/Indexer.h"

#include "library/internal/BlockingQueue.h"
#include "library/internal/FileStat.h"
#include "prompts/VopEncoder.h"
#include "store/IndexSync.h"
#include "util/Error.h"
#include "util/Log.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <mutex>
#include <sys/stat.h>
#include <thread>
#include <time.h>

namespace vop::library {

namespace {

using Clock = std::chrono::steady_clock;
const char* kArea = "library";

double since(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

double threadCpuSeconds()
{
    struct timespec ts {};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

struct Job {
    store::FileRecord file;
    bool addSpace = false;                   // indexed already; only this space's embeddings are missing
    std::vector<store::SegmentRecord> existing;
};

// One file on its way through the pipeline. Every field is guarded by `mu`.
struct FileTask {
    explicit FileTask(Job j) : job(std::move(j)) {}
    Job job;
    std::mutex mu;
    std::optional<store::MediaInfo> media;
    std::vector<media::Segment> spans;
    std::vector<std::string> thumbs;
    std::vector<std::vector<float>> vectors;
    size_t expected = 0;
    size_t encoded = 0;
    bool decodeDone = false;
    bool handedOff = false;
    bool cancelled = false;
    enum class Problem { None, Skip, Fail } problem = Problem::None;
    std::string reason;
};

struct SegmentItem {
    FileTask* task = nullptr;
    size_t index = 0;
    std::vector<RgbImage> frames;
};

} // namespace

struct Indexer::Impl {
    Impl(std::string db, VopEncoder& enc, IndexerOptions o) : dbPath(std::move(db)), encoder(enc), options(std::move(o)) {}

    std::string dbPath;
    VopEncoder& encoder;
    IndexerOptions options;

    std::atomic<bool> paused{false};
    std::atomic<bool> cancelled{false};
    std::mutex pauseMu;
    std::condition_variable pauseCv;

    mutable std::mutex indexMu;
    std::shared_ptr<store::VectorIndex> index;

    // False when cancelled; blocks while paused.
    bool waitWhilePaused()
    {
        std::unique_lock<std::mutex> lock(pauseMu);
        pauseCv.wait(lock, [&] { return !paused || cancelled; });
        return !cancelled;
    }

    IndexReport run(Indexer& self, const std::vector<std::string>& roots, const IndexProgressFn& progress);
    void runPipeline(store::Catalog& catalog, const store::IndexKey& key, std::vector<Job> jobs, IndexReport& report,
                     IndexProgress& prog, const IndexProgressFn& progress, const std::string& indexDir);
};

Indexer::Indexer(std::string dbPath, VopEncoder& encoder, IndexerOptions options)
    : d(std::make_unique<Impl>(std::move(dbPath), encoder, std::move(options)))
{
}

Indexer::~Indexer() = default;

void Indexer::pause()
{
    std::lock_guard<std::mutex> lock(d->pauseMu);
    d->paused = true;
}

void Indexer::resume()
{
    std::lock_guard<std::mutex> lock(d->pauseMu);
    d->paused = false;
    d->pauseCv.notify_all();
}

void Indexer::cancel()
{
    std::lock_guard<std::mutex> lock(d->pauseMu);
    d->cancelled = true;
    d->pauseCv.notify_all();
}

bool Indexer::isPaused() const { return d->paused; }
bool Indexer::isCancelled() const { return d->cancelled; }

std::shared_ptr<store::VectorIndex> Indexer::liveIndex() const
{
    std::lock_guard<std::mutex> lock(d->indexMu);
    return d->index;
}

IndexReport Indexer::run(const std::vector<std::string>& roots, const IndexProgressFn& progress)
{
    // A cancel sent before the run is honoured; the flags are cleared when a run ends, so an
    // Indexer may run again after a cancelled run.
    struct ResetFlags {
        Impl& d;
        ~ResetFlags()
        {
            std::lock_guard<std::mutex> lock(d.pauseMu);
            d.cancelled = false;
            d.paused = false;
        }
    } reset{*d};
    if (d->cancelled) {
        IndexReport report;
        report.cancelled = true;
        return report;
    }
    return d->run(*this, roots, progress);
}

IndexReport Indexer::Impl::run(Indexer& self, const std::vector<std::string>& roots, const IndexProgressFn& progress)
{
    Impl* const d = this;
    const auto t0 = Clock::now();
    IndexReport report;
    const std::string indexDir = indexDirFor(d->dbPath);
    FileLock runLock(indexerLockPath(indexDir), FileLock::Mode::Exclusive, d->options.waitForLock);
    if (!runLock.locked())
        throw InputError("another vopsearch indexer is working on the catalog '" + d->dbPath +
                         "'; wait until it has finished");
    store::Catalog catalog(d->dbPath);
    report.space = identifySpace(d->encoder, hashCacheFor(d->dbPath));
    const store::IndexKey key = registerSpace(catalog, report.space);

    IndexProgress prog;
    SyncOptions sync = d->options.sync;
    const auto userCancelled = sync.scan.cancelled;
    sync.scan.cancelled = [d, userCancelled] { return d->cancelled.load() || (userCancelled && userCancelled()); };
    sync.scan.progress = [&](size_t n) {
        prog.filesFound = int64_t(n);
        prog.elapsedSeconds = since(t0);
        if (progress)
            progress(prog);
    };
    try {
        report.sync = syncRoots(catalog, roots, sync);
    } catch (const Cancelled&) {
        report.cancelled = true;
        report.timings.scan = report.timings.wall = since(t0);
        return report;
    }
    report.timings.scan = since(t0);
    for (const auto& p : report.sync.postponed)
        report.skipped.push_back(p);
    for (const auto& p : report.sync.failed)
        report.failed.push_back(p);

    // The work: pending and failed files, and indexed files that lack this space's embeddings.
    std::vector<Job> jobs;
    for (int64_t id : report.sync.toIndex)
        if (auto f = catalog.file(id))
            jobs.push_back(Job{*f, false, {}});
    for (const auto& rootPath : report.sync.roots) {
        const auto root = catalog.findRoot(rootPath);
        if (!root)
            continue;
        for (const auto& f : catalog.filesUnderRoot(root->id)) {
            if (f.status != store::FileStatus::Indexed)
                continue;
            auto segs = catalog.segmentsOfFile(f.id);
            if (!segs.empty() && !catalog.embeddingOfSegment(segs.front().id, key.modelId, key.promptSetId))
                jobs.push_back(Job{f, true, std::move(segs)});
        }
    }
    std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.file.path < b.file.path; });
    prog.filesTotal = int64_t(jobs.size());

    if (d->options.scanOnly || d->cancelled) {
        report.cancelled = d->cancelled;
        report.timings.wall = since(t0);
        return report;
    }

    {
        FileLock lock(indexLockPath(indexDir), FileLock::Mode::Exclusive);
        auto ensured = store::ensureIndex(catalog, key, indexDir);
        if (ensured.rebuilt)
            VOP_LOG_INFO(kArea, "index {} rebuilt: {}", key.toString(), ensured.reason);
        std::lock_guard<std::mutex> g(d->indexMu);
        d->index = ensured.index;
    }
    report.indexFile = store::indexFilePath(indexDir, key);
    d->runPipeline(catalog, key, std::move(jobs), report, prog, progress, indexDir);
    report.cancelled = d->cancelled;
    report.indexVectors = self.liveIndex()->size();
    report.timings.wall = since(t0);
    return report;
}

void Indexer::Impl::runPipeline(store::Catalog& catalog, const store::IndexKey& key, std::vector<Job> jobs,
                                IndexReport& report, IndexProgress& prog, const IndexProgressFn& progress,
                                const std::string& indexDir)
{
    const auto t0 = Clock::now();
    const int frames = encoder.framesPerClip();
    ClipOptions clipOptions = options.clips;
    clipOptions.frames = frames;
    if (clipOptions.maxShortSide > 0) // never decode smaller than the model looks
        clipOptions.maxShortSide = std::max<int>(clipOptions.maxShortSide, int(encoder.config().imageResolution));
    ClipOptions addOptions = clipOptions;
    addOptions.thumbnails = false; // the segments keep their thumbnails
    int clipsPerBatch = options.clipsPerBatch;
    if (clipsPerBatch <= 0) // a GPU wants more work per call than a CPU
        clipsPerBatch = encoder.clip().deviceName().rfind("cuda", 0) == 0 ? 16 : 4;
    const size_t batch = size_t(clipsPerBatch);
    const size_t capacity = options.queuedSegments > 0 ? size_t(options.queuedSegments) : 4 * batch;
    int workers = options.decodeWorkers;
    if (workers <= 0)
        workers = std::clamp(int(std::thread::hardware_concurrency() / 2), 1, 4);
    workers = std::max(1, std::min<int>(workers, int(std::max<size_t>(1, jobs.size()))));
    report.timings.decodeWorkers = workers;
    report.timings.clipsPerBatch = clipsPerBatch;

    std::vector<std::unique_ptr<FileTask>> tasks;
    int64_t bytesTotal = 0;
    for (auto& j : jobs) {
        bytesTotal += std::max<int64_t>(1, j.file.size);
        tasks.push_back(std::make_unique<FileTask>(std::move(j)));
    }

    detail::BlockingQueue<SegmentItem> encodeQueue(capacity);
    detail::BlockingQueue<FileTask*> writeQueue;
    std::atomic<size_t> next{0};
    std::atomic<int> workersLeft{workers};
    std::mutex timeMu;
    double decodeSeconds = 0, decodeCpu = 0, encodeSeconds = 0, encoderWait = 0;
    std::exception_ptr encoderFailure;

    // Called with t.mu held: the file goes to the writer once, when it is complete or given up.
    auto handOff = [&](FileTask& t) {
        if (!t.handedOff && t.decodeDone &&
            (t.cancelled || t.problem != FileTask::Problem::None || t.encoded == t.expected)) {
            t.handedOff = true;
            writeQueue.push(&t);
        }
    };

    auto decodeWorker = [&] {
        double busy = 0;
        const double cpu0 = threadCpuSeconds();
        for (;;) {
            if (!waitWhilePaused())
                break;
            const size_t i = next++;
            if (i >= tasks.size())
                break;
            FileTask& t = *tasks[i];
            auto tb = Clock::now();
            try {
                VideoClips clips(t.job.file.path, t.job.addSpace ? addOptions : clipOptions);
                std::vector<media::Segment> spans;
                if (t.job.addSpace)
                    for (const auto& s : t.job.existing)
                        spans.push_back({s.start, s.end});
                else
                    spans = clips.segments();
                {
                    std::lock_guard<std::mutex> lock(t.mu);
                    t.media = clips.mediaInfo();
                    t.spans = spans;
                    t.expected = spans.size();
                    t.thumbs.assign(spans.size(), {});
                    t.vectors.assign(spans.size(), {});
                }
                for (size_t k = 0; k < spans.size(); ++k) {
                    busy += since(tb);
                    const bool go = waitWhilePaused();
                    tb = Clock::now();
                    if (!go)
                        throw Cancelled();
                    DecodedSegment seg = clips.read(spans[k]);
                    {
                        std::lock_guard<std::mutex> lock(t.mu);
                        t.thumbs[k] = std::move(seg.thumbnailJpeg);
                    }
                    busy += since(tb);
                    const bool queued = encodeQueue.push(SegmentItem{&t, k, std::move(seg.frames)});
                    tb = Clock::now();
                    if (!queued)
                        throw Cancelled();
                }
            } catch (const Cancelled&) {
                std::lock_guard<std::mutex> lock(t.mu);
                t.cancelled = true;
            } catch (const InputError& e) {
                std::lock_guard<std::mutex> lock(t.mu);
                t.problem = FileTask::Problem::Skip;
                t.reason = e.what();
            } catch (const std::exception& e) {
                std::lock_guard<std::mutex> lock(t.mu);
                t.problem = FileTask::Problem::Fail;
                t.reason = e.what();
            } catch (...) {
                std::lock_guard<std::mutex> lock(t.mu);
                t.problem = FileTask::Problem::Fail;
                t.reason = "unknown error while decoding";
            }
            busy += since(tb);
            std::lock_guard<std::mutex> lock(t.mu);
            t.decodeDone = true;
            handOff(t);
        }
        {
            std::lock_guard<std::mutex> lock(timeMu);
            decodeSeconds += busy;
            decodeCpu += threadCpuSeconds() - cpu0;
        }
        if (--workersLeft == 0)
            encodeQueue.close();
    };

    auto encoderLoop = [&] {
        try {
            for (;;) {
                double waited = 0;
                auto items = encodeQueue.popBatch(batch, &waited);
                encoderWait += waited;
                if (items.empty())
                    break;
                const bool go = waitWhilePaused();
                std::vector<SegmentItem*> live;
                for (auto& it : items) {
                    std::lock_guard<std::mutex> lock(it.task->mu);
                    if (!go)
                        it.task->cancelled = true;
                    else if (it.task->problem == FileTask::Problem::None && !it.task->cancelled)
                        live.push_back(&it);
                }
                if (!live.empty()) {
                    std::vector<std::vector<RgbImage>> clips;
                    for (auto* it : live)
                        clips.push_back(std::move(it->frames));
                    Embeddings vecs;
                    std::string failure;
                    const auto te = Clock::now();
                    try {
                        std::unique_lock<std::mutex> shared;
                        if (options.encoderLock)
                            shared = std::unique_lock<std::mutex>(*options.encoderLock);
                        vecs = encoder.encodeClips(clips, int(batch));
                        if (vecs.size() != live.size())
                            failure = "the encoder returned " + std::to_string(vecs.size()) + " embeddings for " +
                                      std::to_string(live.size()) + " clips";
                    } catch (const std::exception& e) {
                        failure = e.what();
                    }
                    encodeSeconds += since(te);
                    for (size_t j = 0; j < live.size(); ++j) {
                        FileTask& t = *live[j]->task;
                        std::lock_guard<std::mutex> lock(t.mu);
                        if (!failure.empty()) {
                            if (t.problem == FileTask::Problem::None) {
                                t.problem = FileTask::Problem::Fail;
                                t.reason = "encoding failed: " + failure;
                            }
                        } else {
                            t.vectors[live[j]->index] = std::move(vecs[j]);
                        }
                    }
                }
                for (auto& it : items) {
                    std::lock_guard<std::mutex> lock(it.task->mu);
                    ++it.task->encoded;
                    handOff(*it.task);
                }
            }
        } catch (...) {
            encoderFailure = std::current_exception();
            cancelled = true;
            pauseCv.notify_all();
            encodeQueue.close();
        }
        writeQueue.close();
    };

    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w)
        threads.emplace_back(decodeWorker);
    std::thread encoderThread(encoderLoop);
    if (tasks.empty())
        encodeQueue.close();

    // The writer: this thread.
    prog.phase = IndexProgress::Phase::Indexing;
    const std::string indexPath = store::indexFilePath(indexDir, key);
    std::shared_ptr<store::VectorIndex> index;
    {
        std::lock_guard<std::mutex> g(indexMu);
        index = this->index;
    }
    auto saveIndex = [&] {
        const auto ts = Clock::now();
        FileLock lock(indexLockPath(indexDir), FileLock::Mode::Exclusive);
        index->save(indexPath);
        report.timings.indexSave += since(ts);
    };
    int64_t bytesDone = 0;
    auto lastSave = Clock::now();
    auto lastProgress = Clock::now() - std::chrono::seconds(1);
    std::exception_ptr writerFailure;

    auto writeTask = [&](FileTask& t) {
        std::lock_guard<std::mutex> lock(t.mu);
        if (t.cancelled)
            return;
        const auto& f = t.job.file;
        bytesDone += std::max<int64_t>(1, f.size);
        ++prog.filesDone;
        prog.currentPath = f.path;
        int64_t size = 0, mtime = 0;
        if (!statFile(f.path, size, mtime)) {
            for (int64_t id : catalog.deleteFile(f.id))
                index->remove(id);
            report.skipped.push_back({f.path, "deleted or moved away while it was being indexed"});
            report.sync.removed.push_back(f.path);
            ++prog.filesSkipped;
            return;
        }
        if (size != f.size || mtime != f.mtimeNs) {
            report.skipped.push_back({f.path, "changed while it was being indexed (still being written?);"
                                              " it will be indexed on a later run"});
            ++prog.filesSkipped;
            return;
        }
        auto fail = [&](FileTask::Problem problem, const std::string& reason) {
            const bool skip = problem == FileTask::Problem::Skip;
            (skip ? report.skipped : report.failed).push_back({f.path, reason});
            ++(skip ? prog.filesSkipped : prog.filesFailed);
            if (t.job.addSpace)
                return; // the file stays indexed in the spaces it has
            const auto status = skip ? store::FileStatus::Skipped : store::FileStatus::Failed;
            catalog.transaction([&] {
                if (!catalog.segmentsOfFile(f.id).empty()) {
                    // Its old content no longer describes the file: it leaves the index.
                    for (int64_t id : catalog.deleteFile(f.id))
                        index->remove(id);
                    const auto r = catalog.upsertFile({f.path, f.rootId, f.size, f.mtimeNs, f.contentHash});
                    catalog.setFileStatus(r.fileId, status, reason);
                    if (t.media)
                        catalog.setFileMedia(r.fileId, *t.media);
                } else {
                    catalog.setFileStatus(f.id, status, reason);
                    if (t.media)
                        catalog.setFileMedia(f.id, *t.media);
                }
            });
        };
        if (t.problem != FileTask::Problem::None)
            return fail(t.problem, t.reason);
        try {
            if (t.job.addSpace) {
                std::vector<store::NewEmbedding> rows;
                for (size_t k = 0; k < t.spans.size(); ++k)
                    rows.push_back({t.job.existing[k].id, {key.modelId, key.promptSetId, t.vectors[k]}});
                catalog.addEmbeddings(rows);
            } else {
                store::FileContent content;
                content.media = t.media;
                for (size_t k = 0; k < t.spans.size(); ++k) {
                    store::SegmentContent seg;
                    seg.start = t.spans[k].start;
                    seg.end = t.spans[k].end;
                    seg.thumbnailJpeg = std::move(t.thumbs[k]);
                    seg.embeddings.push_back({key.modelId, key.promptSetId, t.vectors[k]});
                    content.segments.push_back(std::move(seg));
                }
                const auto r = catalog.replaceFileContent(f.id, content);
                for (int64_t id : r.removedEmbeddingIds)
                    index->remove(id);
            }
        } catch (const InputError& e) { // e.g. an embedding that is not finite
            return fail(FileTask::Problem::Fail, e.what());
        } catch (const Error& e) {
            if (catalog.file(f.id))
                throw;
            report.skipped.push_back({f.path, "removed from the catalog while it was being indexed"});
            ++prog.filesSkipped;
            return;
        }
        store::syncIndex(catalog, *index);
        report.indexed.push_back(f.path);
        ++prog.filesIndexed;
        report.segments += int64_t(t.spans.size());
        report.frames += int64_t(t.spans.size()) * frames;
        prog.segmentsDone = report.segments;
        prog.framesDone = report.frames;
    };

    for (;;) {
        auto item = writeQueue.popFor(std::chrono::milliseconds(100));
        if (item) {
            if (!writerFailure) {
                const auto ts = Clock::now();
                try {
                    writeTask(**item);
                } catch (...) {
                    writerFailure = std::current_exception();
                    {
                        std::lock_guard<std::mutex> lock(pauseMu);
                        cancelled = true;
                        pauseCv.notify_all();
                    }
                    encodeQueue.close();
                }
                report.timings.store += since(ts);
            }
        } else if (writeQueue.done()) {
            break;
        }
        // After every file, and every 100 ms while waiting.
        if (progress && (item || since(lastProgress) >= 0.1)) {
            const double elapsed = since(t0);
            prog.elapsedSeconds = elapsed;
            prog.paused = paused;
            prog.framesPerSecond = elapsed > 0 ? double(prog.framesDone) / elapsed : 0;
            prog.etaSeconds = bytesDone > 0 ? elapsed * double(bytesTotal - bytesDone) / double(bytesDone) : -1;
            try {
                progress(prog);
            } catch (...) {
                // A throwing callback must not unwind past the running workers: stop them, then rethrow.
                if (!writerFailure)
                    writerFailure = std::current_exception();
                {
                    std::lock_guard<std::mutex> lock(pauseMu);
                    cancelled = true;
                    pauseCv.notify_all();
                }
                encodeQueue.close();
            }
            lastProgress = Clock::now();
        }
        if (!writerFailure && options.indexSaveSeconds > 0 && since(lastSave) >= options.indexSaveSeconds) {
            try {
                saveIndex();
            } catch (const std::exception& e) {
                VOP_LOG_WARN(kArea, "could not save the index '{}': {}", indexPath, e.what());
            }
            lastSave = Clock::now();
        }
    }
    for (auto& th : threads)
        th.join();
    encoderThread.join();
    report.timings.decode = decodeSeconds;
    report.timings.decodeCpu = decodeCpu;
    report.timings.encode = encodeSeconds;
    report.timings.encoderWait = encoderWait;
    if (encoderFailure)
        std::rethrow_exception(encoderFailure);
    if (writerFailure)
        std::rethrow_exception(writerFailure);

    prog.phase = IndexProgress::Phase::Finishing;
    if (progress)
        progress(prog);
    saveIndex();
}

} // namespace vop::library
