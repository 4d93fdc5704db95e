// LibraryService: the index and index-rebuild jobs.
#include "service/internal/LibraryServiceImpl.h"

namespace vop::service {
namespace {

// The indexer's own progress record as the job model's.
JobProgress jobProgressOf(const library::IndexProgress& p)
{
    JobProgress jp;
    jp.paused = p.paused;
    jp.detail = p.currentPath;
    jp.unit = "files";
    if (p.phase == library::IndexProgress::Phase::Scanning) {
        jp.phase = phase::Scanning;
        jp.done = p.filesFound;
        return jp;
    }
    jp.phase = p.phase == library::IndexProgress::Phase::Finishing ? phase::SavingIndex : phase::Indexing;
    jp.done = p.filesDone;
    jp.total = p.filesTotal;
    jp.rate = p.framesPerSecond;
    jp.rateUnit = "frames/s";
    jp.etaSeconds = p.etaSeconds;
    return jp;
}

} // namespace

library::IndexReport LibraryService::index(const std::vector<std::string>& rootsIn, JobControl& job,
                                           const library::IndexProgressFn& detailed)
{
    library::IndexReport cancelledReport;
    cancelledReport.cancelled = true;
    if (job.isCancelled())
        return cancelledReport;
    std::vector<std::string> roots = rootsIn;
    d->checkRoots(roots); // before loading a model: nothing can run without a folder
    auto encoder = d->ensureEncoder(&job);
    if (!job.checkpoint())
        return cancelledReport;

    library::IndexerOptions o = indexerOptions();
    o.encoderLock = &d->encoderMu;
    o.pauseFlag = job.pauseFlag();
    o.cancelFlag = job.cancelFlag();
    o.indexBuildProgress = Impl::buildProgress(&job);
    const auto userCancelled = o.sync.scan.cancelled;
    o.sync.scan.cancelled = [&job, userCancelled] { return job.isCancelled() || (userCancelled && userCancelled()); };
    auto indexer = std::make_shared<library::Indexer>(d->options.dbPath, *encoder, o);
    {
        std::lock_guard<std::mutex> lock(d->mu);
        if (d->indexing)
            throw InputError("the library is already being indexed");
        d->indexing = true;
        d->indexer = indexer;
        d->indexingKey.reset();
    }
    struct Done {
        Impl& d;
        ~Done()
        {
            std::lock_guard<std::mutex> lock(d.mu);
            d.indexing = false;
            d.indexer.reset();
            d.indexingKey.reset();
        }
    } done{*d};
    d->notify({LibraryEvent::Kind::JobStarted, 0, "index"});

    int64_t lastIndexed = -1;
    auto progress = [&](const library::IndexProgress& p) {
        if (job.isCancelled() && !indexer->isCancelled())
            indexer->cancel();
        JobProgress jp = jobProgressOf(p);
        if (p.phase != library::IndexProgress::Phase::Scanning) {
            std::shared_ptr<store::VectorIndex> live = indexer->liveIndex();
            if (live) {
                std::lock_guard<std::mutex> lock(d->mu);
                if (!d->indexingKey)
                    d->indexingKey = live->key();
            }
            if (p.filesDone != lastIndexed && p.filesIndexed > 0 && live) {
                lastIndexed = p.filesDone;
                d->notify({LibraryEvent::Kind::IndexGrew, int64_t(live->size()), {}});
                d->notify({LibraryEvent::Kind::FilesChanged, p.filesDone, {}});
            }
        }
        job.report(jp);
        if (detailed)
            detailed(p);
    };
    library::IndexReport report;
    try {
        report = indexer->run(roots, progress);
    } catch (...) {
        d->notify({LibraryEvent::Kind::JobEnded, 0, "index"});
        throw;
    }
    if (auto live = indexer->liveIndex()) {
        std::lock_guard<std::mutex> lock(d->mu);
        d->indexes[keyString(live->key())] = live;
    }
    if (!report.cancelled) {
        try { // drops the fallback when this run completed the active space
            store::Catalog catalog(d->options.dbPath);
            d->resolve(catalog);
        } catch (const std::exception& e) {
            VOP_LOG_WARN(kArea, "cannot check the active space after indexing: {}", e.what());
        }
    }
    d->notify({LibraryEvent::Kind::FilesChanged, int64_t(report.indexed.size()), {}});
    d->notify({LibraryEvent::Kind::JobEnded, 0, "index"});
    return report;
}

bool LibraryService::isIndexing() const { return d->indexing; }

std::vector<std::string> LibraryService::resolveRoots(std::vector<std::string> roots)
{
    d->checkRoots(roots);
    return roots;
}

RebuildReport LibraryService::rebuildIndexes(JobControl& job)
{
    RebuildReport out;
    job.throwIfCancelled();
    d->requireDatabase();
    store::Catalog catalog(d->options.dbPath);
    d->notify({LibraryEvent::Kind::JobStarted, 0, "rebuild"});
    struct Ended {
        Impl& d;
        ~Ended() { d.notify({LibraryEvent::Kind::JobEnded, 0, "rebuild"}); }
    } ended{*d};
    for (const auto& s : library::listSpaces(catalog)) {
        const auto t0 = Clock::now();
        library::FileLock lock(library::indexLockPath(d->indexDir), library::FileLock::Mode::Exclusive);
        auto index = store::buildIndex(catalog, s.key, {}, Impl::buildProgress(&job));
        JobProgress p;
        p.phase = phase::SavingIndex;
        job.report(p);
        const std::string path = store::indexFilePath(d->indexDir, s.key);
        index->save(path);
        std::shared_ptr<store::VectorIndex> shared(std::move(index));
        {
            std::lock_guard<std::mutex> g(d->mu);
            d->indexes[keyString(s.key)] = shared;
        }
        out.spaces.push_back({s.key, shared->size(), path, since(t0), s.modelName, s.variant, s.promptsName});
    }
    return out;
}

size_t LibraryService::prepareIndex(JobControl& job)
{
    job.throwIfCancelled();
    d->requireDatabase();
    store::Catalog catalog(d->options.dbPath);
    const auto key = d->resolve(catalog).answerKey;
    if (!key)
        return 0;
    return d->indexFor(catalog, *key, &job).first->size();
}

size_t LibraryService::liveIndexSize() const
{
    std::lock_guard<std::mutex> lock(d->mu);
    if (d->indexer)
        if (auto live = d->indexer->liveIndex())
            return live->size();
    return 0;
}


} // namespace vop::service
