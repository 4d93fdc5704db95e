#include "library/Indexer.h"

#include "library/internal/IndexerImpl.h"
#include "prompts/VopEncoder.h"
#include "store/IndexSync.h"
#include "util/Error.h"
#include "util/Log.h"

#include <algorithm>
#include <chrono>
#include <mutex>

namespace vop::library {

using detail::Clock;
using detail::Job;
using detail::since;

namespace {

const char* kArea = "library";

} // namespace

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

bool Indexer::isPaused() const { return d->pausedNow(); }
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
    store::Catalog catalog(d->dbPath);
    catalog.requireWritable("indexing");
    FileLock runLock(indexerLockPath(indexDir), FileLock::Mode::Exclusive, d->options.waitForLock);
    if (!runLock.locked())
        throw InputError("another vopsearch indexer is working on the catalog '" + d->dbPath +
                         "'; wait until it has finished");
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
        store::EnsureResult ensured;
        try {
            ensured = store::ensureIndex(catalog, key, indexDir, {}, d->options.indexBuildProgress);
        } catch (const Cancelled&) {
            report.cancelled = true;
            report.timings.wall = since(t0);
            return report;
        }
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

} // namespace vop::library
