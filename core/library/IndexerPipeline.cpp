// The indexing pipeline's three stages (see Indexer.h and internal/IndexerImpl.h).
#include "library/internal/IndexerImpl.h"

#include "library/internal/FileStat.h"
#include "prompts/VopEncoder.h"
#include "util/Error.h"
#include "util/Log.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <thread>
#include <time.h>

namespace vop::library {

using detail::Clock;
using detail::FileTask;
using detail::Job;
using detail::SegmentItem;
using detail::since;
using detail::sameFrames;

namespace {

const char* kArea = "library";

double threadCpuSeconds()
{
    struct timespec ts {};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

} // namespace

Indexer::Impl::Pipeline::Pipeline(Impl& owner, store::Catalog& cat, const store::IndexKey& k, std::vector<Job> jobs,
                                  IndexReport& rep, IndexProgress& pr, const IndexProgressFn& fn,
                                  const std::string& dir)
    : d(owner), catalog(cat), key(k), report(rep), prog(pr), progress(fn), indexDir(dir),
      frames(owner.encoder.framesPerClip())
{
    const IndexerOptions& options = d.options;
    clipOptions = options.segments;
    clipOptions.frames = frames;
    if (clipOptions.maxShortSide > 0) // never decode smaller than the model looks
        clipOptions.maxShortSide = std::max<int>(clipOptions.maxShortSide, int(d.encoder.config().imageResolution));
    addOptions = clipOptions;
    addOptions.thumbnails = false; // the segments keep their thumbnails
    segmentsPerBatch = options.segmentsPerBatch;
    if (segmentsPerBatch <= 0) // a GPU wants more work per call than a CPU
        segmentsPerBatch = d.encoder.clip().deviceName().rfind("cuda", 0) == 0 ? 16 : 4;
    batch = size_t(segmentsPerBatch);
    const size_t capacity = options.queuedSegments > 0 ? size_t(options.queuedSegments) : 4 * batch;
    workers = options.decodeWorkers;
    if (workers <= 0)
        workers = std::clamp(int(std::thread::hardware_concurrency() / 2), 1, 4);
    workers = std::max(1, std::min<int>(workers, int(std::max<size_t>(1, jobs.size()))));
    report.timings.decodeWorkers = workers;
    report.timings.segmentsPerBatch = segmentsPerBatch;

    for (auto& j : jobs) {
        bytesTotal += std::max<int64_t>(1, j.file.size);
        tasks.push_back(std::make_unique<FileTask>(std::move(j)));
    }
    encodeQueue.emplace(capacity);
    workersLeft = workers;
}

void Indexer::Impl::runPipeline(store::Catalog& catalog, const store::IndexKey& key, std::vector<Job> jobs,
                                IndexReport& report, IndexProgress& prog, const IndexProgressFn& progress,
                                const std::string& indexDir)
{
    Pipeline(*this, catalog, key, std::move(jobs), report, prog, progress, indexDir).run();
}

void Indexer::Impl::Pipeline::run()
{
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w)
        threads.emplace_back([this] { decodeStage(); });
    std::thread encoderThread([this] { encodeStage(); });
    if (tasks.empty())
        encodeQueue->close();

    writeStage();

    for (auto& th : threads)
        th.join();
    encoderThread.join();
    report.timings.decode = decodeSeconds;
    report.timings.decodeCpu = decodeCpu;
    report.timings.encode = encodeSeconds;
    report.timings.encoderWait = encoderWait;
    report.framesEncoded = framesEncoded;
    report.segmentsReused = segmentsReused;
    if (encoderFailure)
        std::rethrow_exception(encoderFailure);
    if (writerFailure)
        std::rethrow_exception(writerFailure);

    prog.phase = IndexProgress::Phase::Finishing;
    if (progress)
        progress(prog);
    saveIndex();
}

// Called with t.mu held: the file goes to the writer once, when it is complete or given up.
void Indexer::Impl::Pipeline::handOff(FileTask& t)
{
    if (!t.handedOff && t.decodeDone &&
        (t.cancelled || t.problem != FileTask::Problem::None || t.encoded == t.expected)) {
        t.handedOff = true;
        writeQueue.push(&t);
    }
}

// ---- decode

void Indexer::Impl::Pipeline::decodeStage()
{
    double busy = 0;
    const double cpu0 = threadCpuSeconds();
    for (;;) {
        if (!d.waitWhilePaused())
            break;
        const size_t i = next++;
        if (i >= tasks.size())
            break;
        FileTask& t = *tasks[i];
        auto tb = Clock::now();
        try {
            decodeFile(t, busy, tb);
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
        encodeQueue->close();
}

// Reads one file's segments into the encode queue. `busy` counts the time spent decoding, not
// the time paused or waiting for room in the queue; `tb` is when the current busy stretch began.
void Indexer::Impl::Pipeline::decodeFile(FileTask& t, double& busy, Clock::time_point& tb)
{
    VideoSegments clips(t.job.file.path, t.job.addSpace ? addOptions : clipOptions);
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
    std::vector<RgbImage> encodedFrames; // of the last segment that goes through the encoder
    size_t encodedIndex = SegmentItem::kNoReuse;
    for (size_t k = 0; k < spans.size(); ++k) {
        busy += since(tb);
        const bool go = d.waitWhilePaused();
        tb = Clock::now();
        if (!go)
            throw Cancelled();
        DecodedSegment seg = clips.read(spans[k]);
        {
            std::lock_guard<std::mutex> lock(t.mu);
            t.thumbs[k] = std::move(seg.thumbnailJpeg);
        }
        // Compared with the segment whose embedding would be taken, not with the one just before:
        // a slow drift cannot add up past the bound.
        SegmentItem item{&t, k, {}, SegmentItem::kNoReuse};
        if (encodedIndex != SegmentItem::kNoReuse && sameFrames(encodedFrames, seg.frames, d.options.reuseMaxDiff)) {
            item.reuseOf = encodedIndex;
        } else {
            if (d.options.reuseMaxDiff >= 0) {
                encodedFrames = seg.frames;
                encodedIndex = k;
            }
            item.frames = std::move(seg.frames);
        }
        busy += since(tb);
        const bool queued = encodeQueue->push(std::move(item));
        tb = Clock::now();
        if (!queued)
            throw Cancelled();
    }
}

// ---- encode

void Indexer::Impl::Pipeline::encodeStage()
{
    try {
        for (;;) {
            double waited = 0;
            auto items = encodeQueue->popBatch(batch, &waited);
            encoderWait += waited;
            if (items.empty())
                break;
            encodeItems(items);
            for (auto& it : items) {
                std::lock_guard<std::mutex> lock(it.task->mu);
                ++it.task->encoded;
                handOff(*it.task);
            }
        }
    } catch (...) {
        encoderFailure = std::current_exception();
        d.cancelled = true;
        d.pauseCv.notify_all();
        encodeQueue->close();
    }
    writeQueue.close();
}

// One batch: the segments of files that are still wanted go through the encoder together.
void Indexer::Impl::Pipeline::encodeItems(std::vector<SegmentItem>& items)
{
    const bool go = d.waitWhilePaused();
    std::vector<SegmentItem*> live;
    for (auto& it : items) {
        std::lock_guard<std::mutex> lock(it.task->mu);
        if (!go)
            it.task->cancelled = true;
        else if (it.task->problem == FileTask::Problem::None && !it.task->cancelled)
            live.push_back(&it);
    }
    if (live.empty())
        return;
    std::vector<std::vector<RgbImage>> clips;
    for (auto* it : live)
        if (it->reuseOf == SegmentItem::kNoReuse)
            clips.push_back(std::move(it->frames));
    Embeddings vecs;
    std::string failure;
    const auto te = Clock::now();
    try {
        std::unique_lock<std::mutex> shared;
        if (d.options.encoderLock && !clips.empty())
            shared = std::unique_lock<std::mutex>(*d.options.encoderLock);
        if (!clips.empty())
            vecs = d.encoder.encodeClips(clips, int(batch));
        if (vecs.size() != clips.size())
            failure = "the encoder returned " + std::to_string(vecs.size()) + " embeddings for " +
                      std::to_string(clips.size()) + " clips";
    } catch (const std::exception& e) {
        failure = e.what();
    }
    encodeSeconds += since(te);
    framesEncoded += int64_t(clips.size()) * frames;
    segmentsReused += int64_t(live.size() - clips.size());
    storeVectors(live, vecs, failure);
}

// The batch's embeddings into their files, in queue order: a segment that reuses one takes it
// from an earlier segment of its file, stored already (an earlier batch, or earlier in this one).
void Indexer::Impl::Pipeline::storeVectors(const std::vector<SegmentItem*>& live, Embeddings& vecs,
                                           const std::string& failure)
{
    size_t next = 0;
    for (auto* it : live) {
        FileTask& t = *it->task;
        std::lock_guard<std::mutex> lock(t.mu);
        if (!failure.empty()) {
            if (t.problem == FileTask::Problem::None) {
                t.problem = FileTask::Problem::Fail;
                t.reason = "encoding failed: " + failure;
            }
        } else if (it->reuseOf != SegmentItem::kNoReuse) {
            t.vectors[it->index] = t.vectors[it->reuseOf];
        } else {
            t.vectors[it->index] = std::move(vecs[next++]);
        }
    }
}

double detail::meanAbsDiff(const RgbImage& a, const RgbImage& b)
{
    if (a.width != b.width || a.height != b.height || a.pixels.size() != b.pixels.size())
        return std::numeric_limits<double>::infinity();
    if (a.pixels.empty())
        return 0;
    uint64_t sum = 0;
    for (size_t i = 0; i < a.pixels.size(); ++i)
        sum += uint64_t(std::abs(int(a.pixels[i]) - int(b.pixels[i])));
    return double(sum) / double(a.pixels.size());
}

bool detail::sameFrames(const std::vector<RgbImage>& prev, const std::vector<RgbImage>& next, double maxDiff)
{
    if (maxDiff < 0 || prev.size() != next.size() || prev.empty())
        return false;
    for (size_t i = 0; i < prev.size(); ++i)
        if (!(meanAbsDiff(prev[i], next[i]) <= maxDiff))
            return false;
    return true;
}

// ---- write

void Indexer::Impl::Pipeline::writeStage()
{
    prog.phase = IndexProgress::Phase::Indexing;
    indexPath = store::indexFilePath(indexDir, key);
    {
        std::lock_guard<std::mutex> g(d.indexMu);
        index = d.index;
    }
    lastSave = Clock::now();
    lastProgress = Clock::now() - std::chrono::seconds(1);
    for (;;) {
        auto item = writeQueue.popFor(std::chrono::milliseconds(100));
        if (item) {
            if (!writerFailure) {
                const auto ts = Clock::now();
                try {
                    writeFile(**item);
                } catch (...) {
                    writerFailure = std::current_exception();
                    stopWorkers();
                }
                report.timings.store += since(ts);
            }
        } else if (writeQueue.done()) {
            break;
        }
        // After every file, and every 100 ms while waiting.
        if (progress && (item || since(lastProgress) >= 0.1)) {
            reportProgress();
            lastProgress = Clock::now();
        }
        if (!writerFailure && d.options.indexSaveSeconds > 0 && since(lastSave) >= d.options.indexSaveSeconds) {
            try {
                saveIndex();
            } catch (const std::exception& e) {
                VOP_LOG_WARN(kArea, "could not save the index '{}': {}", indexPath, e.what());
            }
            lastSave = Clock::now();
        }
    }
}

void Indexer::Impl::Pipeline::reportProgress()
{
    const double elapsed = since(t0);
    prog.elapsedSeconds = elapsed;
    prog.paused = d.pausedNow();
    prog.framesPerSecond = elapsed > 0 ? double(prog.framesDone) / elapsed : 0;
    prog.etaSeconds = bytesDone > 0 ? elapsed * double(bytesTotal - bytesDone) / double(bytesDone) : -1;
    try {
        progress(prog);
    } catch (...) {
        // A throwing callback must not unwind past the running workers: stop them, then rethrow.
        if (!writerFailure)
            writerFailure = std::current_exception();
        stopWorkers();
    }
}

// After a failure in the writer: the workers stop, and run() rethrows once they have.
void Indexer::Impl::Pipeline::stopWorkers()
{
    {
        std::lock_guard<std::mutex> lock(d.pauseMu);
        d.cancelled = true;
        d.pauseCv.notify_all();
    }
    encodeQueue->close();
}

void Indexer::Impl::Pipeline::saveIndex()
{
    const auto ts = Clock::now();
    FileLock lock(indexLockPath(indexDir), FileLock::Mode::Exclusive);
    index->save(indexPath);
    report.timings.indexSave += since(ts);
}

void Indexer::Impl::Pipeline::writeFile(FileTask& t)
{
    std::lock_guard<std::mutex> lock(t.mu);
    if (t.cancelled)
        return;
    const auto& f = t.job.file;
    bytesDone += std::max<int64_t>(1, f.size);
    ++prog.filesDone;
    prog.currentPath = f.path;
    int64_t size = 0, mtime = 0;
    if (!statFile(f.path, size, mtime)) {
        if (rootWentAway(f)) {
            report.skipped.push_back({f.path, "its folder went away while it was being indexed (a drive unmounted?);"
                                              " kept offline, indexed when the folder is back"});
            ++prog.filesSkipped;
            return;
        }
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
    if (t.problem != FileTask::Problem::None)
        return storeFailure(t, t.problem, t.reason);
    try {
        storeContent(t);
    } catch (const InputError& e) { // e.g. an embedding that is not finite
        return storeFailure(t, FileTask::Problem::Fail, e.what());
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
}

// A file is gone because its whole root is (a drive unmounted mid-run): the root goes offline,
// its files are kept as they are, as when a run starts with the drive away. True in that case.
bool Indexer::Impl::Pipeline::rootWentAway(const store::FileRecord& f)
{
    if (!f.rootId)
        return false;
    if (offlineRoots.count(*f.rootId))
        return true;
    for (const auto& r : catalog.roots()) {
        if (r.id != *f.rootId)
            continue;
        struct stat st {};
        if (::stat(r.path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            return false;
        VOP_LOG_WARN(kArea, "the folder '{}' went away during indexing: its files are kept offline", r.path);
        catalog.setRootMounted(r.id, false);
        offlineRoots.insert(r.id);
        report.sync.offlineRoots.push_back(r.path);
        return true;
    }
    return false;
}

// With t.mu held: the file is skipped or failed, with its reason.
void Indexer::Impl::Pipeline::storeFailure(FileTask& t, FileTask::Problem problem, const std::string& reason)
{
    const auto& f = t.job.file;
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
}

// With t.mu held: the file's segments and embeddings go into the catalog (only the embeddings of
// this space when the file is indexed already).
void Indexer::Impl::Pipeline::storeContent(FileTask& t)
{
    if (t.job.addSpace) {
        std::vector<store::NewEmbedding> rows;
        for (size_t k = 0; k < t.spans.size(); ++k)
            rows.push_back({t.job.existing[k].id, {key.modelId, key.promptSetId, t.vectors[k]}});
        catalog.addEmbeddings(rows);
        return;
    }
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
    const auto r = catalog.replaceFileContent(t.job.file.id, content);
    for (int64_t id : r.removedEmbeddingIds)
        index->remove(id);
}

} // namespace vop::library
