#include "service/LibraryService.h"

#include "library/LibrarySync.h"
#include "service/ModelSwitch.h"
#include "prompts/VopEncoder.h"
#include "search/Query.h"
#include "store/Catalog.h"
#include "store/IndexSync.h"
#include "store/VectorIndex.h"
#include "util/Error.h"
#include "util/Log.h"
#include "util/Paths.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>

namespace vop::service {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
constexpr const char* kArea = "service";

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string keyString(const store::IndexKey& key) { return key.toString(); }

} // namespace

bool ModelSettings::operator==(const ModelSettings& o) const
{
    return checkpoint == o.checkpoint && vocab == o.vocab && prompts == o.prompts && device == o.device &&
           frames == o.frames && threads == o.threads;
}

struct LibraryService::Impl {
    explicit Impl(LibraryOptions o) : options(std::move(o))
    {
        if (options.dbPath.empty())
            options.dbPath = paths::defaultDatabasePath();
        indexDir = library::indexDirFor(options.dbPath);
        if (!options.previousModel)
            if (auto rec = readSwitchRecord(indexDir); rec && rec->active == options.model)
                options.previousModel = rec->previous;
    }

    LibraryOptions options;
    std::string indexDir;

    mutable std::mutex mu;               // options, encoder pointer, space cache, indexes, listeners
    std::shared_ptr<VopEncoder> encoder; // loaded lazily
    std::optional<library::SpaceIdentity> space; // of the loaded encoder / the configured files
    std::mutex loadMu;                   // one model load at a time
    std::mutex encoderMu;                // one encoder call at a time (index batches, queries)
    std::map<std::string, std::shared_ptr<store::VectorIndex>> indexes; // by IndexKey::toString

    // The previous set's encoder while it answers searches (options.previousModel's).
    std::shared_ptr<VopEncoder> fallbackEncoder;
    std::optional<ModelSettings> fallbackSettings;
    std::optional<library::SpaceIdentity> fallbackSpace;
    std::optional<bool> activeComplete; // what the last search or status found (nullopt: not known)

    std::atomic<bool> indexing{false};
    std::shared_ptr<library::Indexer> indexer; // the running one (guarded by mu)
    std::optional<store::IndexKey> indexingKey;

    // A listener runs under its own (recursive) mutex, so that unsubscribe() can wait for a call
    // in flight on another thread, while a listener may still unsubscribe itself.
    struct Subscription {
        Listener fn;
        std::recursive_mutex callMu;
        bool active = true;
    };
    std::map<int, std::shared_ptr<Subscription>> listeners;
    int nextListener = 1;

    void notify(const LibraryEvent& e)
    {
        std::vector<std::shared_ptr<Subscription>> copy;
        {
            std::lock_guard<std::mutex> lock(mu);
            for (auto& [id, l] : listeners)
                copy.push_back(l);
        }
        for (auto& l : copy) {
            std::lock_guard<std::recursive_mutex> call(l->callMu);
            if (!l->active)
                continue;
            try {
                l->fn(e);
            } catch (const std::exception& ex) {
                VOP_LOG_WARN(kArea, "a library listener failed: {}", ex.what());
            } catch (...) {
                VOP_LOG_WARN(kArea, "a library listener failed");
            }
        }
    }

    void requireDatabase() const
    {
        if (!paths::fileExists(options.dbPath))
            throw InputError("no library catalog at '" + options.dbPath +
                             "' yet; add a folder and index it first (vopsearch-cli index FOLDER, or the Library tab)");
    }

    ModelSettings settings() const
    {
        std::lock_guard<std::mutex> lock(mu);
        return options.model;
    }

    std::shared_ptr<VopEncoder> loadedEncoder() const
    {
        std::lock_guard<std::mutex> lock(mu);
        return encoder;
    }

    std::shared_ptr<VopEncoder> ensureEncoder(JobControl* job)
    {
        if (auto e = loadedEncoder())
            return e;
        std::lock_guard<std::mutex> loading(loadMu);
        if (auto e = loadedEncoder())
            return e;
        const ModelSettings s = settings();
        auto [e, id] = loadEncoder(s, job);
        {
            std::lock_guard<std::mutex> lock(mu);
            if (options.model != s)
                throw Error("the model settings changed while the model was loading; try again");
            encoder = e;
            space = id;
        }
        notify({LibraryEvent::Kind::ModelChanged, 1, "loaded"});
        return e;
    }

    // The previous set's encoder (see LibraryOptions::previousModel), loaded when needed.
    std::shared_ptr<VopEncoder> ensureFallbackEncoder(const ModelSettings& s, JobControl* job)
    {
        auto current = [&]() -> std::shared_ptr<VopEncoder> {
            std::lock_guard<std::mutex> lock(mu);
            return fallbackSettings && *fallbackSettings == s ? fallbackEncoder : nullptr;
        };
        if (auto e = current())
            return e;
        std::lock_guard<std::mutex> loading(loadMu);
        if (auto e = current())
            return e;
        auto [e, id] = loadEncoder(s, job);
        std::lock_guard<std::mutex> lock(mu);
        fallbackEncoder = e;
        fallbackSettings = s;
        fallbackSpace = id;
        return e;
    }

    std::pair<std::shared_ptr<VopEncoder>, library::SpaceIdentity> loadEncoder(const ModelSettings& s, JobControl* job)
    {
        if (job) {
            job->throwIfCancelled();
            JobProgress p;
            p.phase = phase::LoadingModel;
            p.total = 1000;
            p.unit = "permille";
            job->report(p);
        }
        ClipEncoder::Options o;
        o.checkpoint = paths::resolveCheckpoint(s.checkpoint);
        o.vocab = s.vocab;
        o.device = s.device.empty() ? "auto" : s.device;
        o.threads = s.threads;
        if (job) {
            o.progress = [job](double f) {
                JobProgress p;
                p.phase = phase::LoadingModel;
                p.done = int64_t(f * 1000);
                p.total = 1000;
                p.unit = "permille";
                job->report(p);
                return !job->isCancelled();
            };
        }
        const auto t0 = Clock::now();
        auto e = std::make_shared<VopEncoder>(ClipEncoder(o), s.prompts, s.frames < 1 ? 12 : s.frames);
        if (job)
            job->throwIfCancelled();
        auto id = library::identifySpace(*e, library::hashCacheFor(options.dbPath));
        VOP_LOG_INFO(kArea, "model loaded in {:.1f} s: {}", since(t0), id.describe());
        return {e, id};
    }

    // The active space: from the loaded encoder, else from the files' hashes (no model load).
    library::SpaceIdentity activeSpace()
    {
        {
            std::lock_guard<std::mutex> lock(mu);
            if (space)
                return *space;
        }
        return spaceOfSettings(settings(), library::hashCacheFor(options.dbPath));
    }

    // Which space answers a search now: the active one, or the previous set's while the active
    // one is incomplete and the previous one holds more. Drops the fallback once the active
    // space is complete.
    struct Resolution {
        ActiveSetStatus status;
        library::SpaceIdentity activeId, answerId;
        std::optional<store::IndexKey> activeKey, answerKey;
        std::optional<ModelSettings> previousSettings; // set when the previous set answers
    };

    Resolution resolve(store::Catalog& catalog)
    {
        Resolution r;
        const ModelSettings s = settings();
        r.activeId = activeSpace();
        r.activeKey = library::findSpace(catalog, r.activeId);
        auto& st = r.status;
        st.known = true;
        st.description = r.activeId.describe();
        st.textOnly = r.activeId.textOnly;
        st.embeddings = r.activeKey ? catalog.embeddingStats(r.activeKey->modelId, r.activeKey->promptSetId).count : 0;
        st.segments = catalog.counts().segments;
        r.answerId = r.activeId;
        r.answerKey = r.activeKey;
        std::optional<ModelSettings> previous;
        std::optional<library::SpaceIdentity> previousSpace;
        {
            std::lock_guard<std::mutex> lock(mu);
            previous = options.previousModel;
            if (previous && fallbackSettings && *fallbackSettings == *previous)
                previousSpace = fallbackSpace;
        }
        if (previous) {
            try {
                const library::SpaceIdentity pid =
                    previousSpace ? *previousSpace : spaceOfSettings(*previous, library::hashCacheFor(options.dbPath));
                st.previous = pid.describe();
                const auto pkey = library::findSpace(catalog, pid);
                const int64_t pcount = pkey ? catalog.embeddingStats(pkey->modelId, pkey->promptSetId).count : 0;
                if (!st.complete() && pkey && pkey != r.activeKey && pcount > st.embeddings) {
                    r.answerId = pid;
                    r.answerKey = pkey;
                    r.previousSettings = previous;
                    st.fromPreviousSet = true;
                }
            } catch (const std::exception& e) {
                VOP_LOG_WARN(kArea, "the previous model settings cannot answer searches: {}", e.what());
            }
        }
        st.answeredBy = r.answerId.describe();
        std::lock_guard<std::mutex> lock(mu);
        if (options.model == s) {
            activeComplete = st.complete();
            if (st.complete() && options.previousModel) {
                VOP_LOG_INFO(kArea, "the active space is complete ({} embeddings): {} no longer answers searches",
                             st.embeddings, st.previous);
                options.previousModel.reset();
                fallbackEncoder.reset();
                fallbackSettings.reset();
                fallbackSpace.reset();
                writeSwitchRecord(indexDir, std::nullopt);
            }
        }
        return r;
    }

    // Whether `s`'s space holds an embedding for every segment (nullopt: cannot tell).
    std::optional<bool> isComplete(const ModelSettings& s)
    {
        try {
            if (!paths::fileExists(options.dbPath))
                return std::nullopt;
            store::Catalog catalog(options.dbPath);
            const auto key = library::findSpace(catalog, spaceOfSettings(s, library::hashCacheFor(options.dbPath)));
            const int64_t n = key ? catalog.embeddingStats(key->modelId, key->promptSetId).count : 0;
            return n >= catalog.counts().segments;
        } catch (const std::exception& e) {
            VOP_LOG_WARN(kArea, "cannot tell whether the replaced model settings' space is complete: {}", e.what());
            return std::nullopt;
        }
    }

    // The index to search for `key`: the running index job's live index when it fills this
    // space, else the cached one brought up to date with the catalog, else loaded or built.
    std::pair<std::shared_ptr<store::VectorIndex>, bool> indexFor(store::Catalog& catalog, const store::IndexKey& key,
                                                                  JobControl* job = nullptr)
    {
        {
            std::lock_guard<std::mutex> lock(mu);
            if (indexer && indexingKey && *indexingKey == key)
                if (auto live = indexer->liveIndex())
                    return {live, true};
            auto it = indexes.find(keyString(key));
            if (it != indexes.end()) {
                auto idx = it->second;
                // Rows another process added since (never a label twice: syncIndex uses the watermark).
                if (catalog.embeddingSequence() > idx->watermark())
                    store::syncIndex(catalog, *idx);
                return {idx, false};
            }
        }
        if (job) {
            JobProgress p;
            p.phase = phase::LoadingIndex;
            job->report(p);
        }
        library::FileLock lock(library::indexLockPath(indexDir), library::FileLock::Mode::Exclusive);
        auto ensured = store::ensureIndex(catalog, key, indexDir, {}, buildProgress(job));
        if (ensured.rebuilt)
            VOP_LOG_INFO(kArea, "index {} rebuilt: {}", key.toString(), ensured.reason);
        std::lock_guard<std::mutex> g(mu);
        indexes[keyString(key)] = ensured.index;
        return {ensured.index, false};
    }

    // Reports an index build as phase BuildingIndex on `job` and lets it cancel the build.
    static store::BuildProgress buildProgress(JobControl* job)
    {
        if (!job)
            return {};
        const auto t0 = Clock::now();
        return [job, t0](size_t done, size_t total) {
            JobProgress p;
            p.phase = phase::BuildingIndex;
            p.done = int64_t(done);
            p.total = int64_t(total);
            p.unit = "vectors";
            const double el = since(t0);
            p.rate = el > 0 ? double(done) / el : 0;
            p.rateUnit = "vectors/s";
            p.etaSeconds = done > 0 ? el * double(total - done) / double(done) : -1;
            job->report(p);
            return job->checkpoint();
        };
    }

    void checkRoots(std::vector<std::string>& roots)
    {
        std::vector<std::string> known;
        if (paths::fileExists(options.dbPath)) {
            store::Catalog catalog(options.dbPath);
            for (const auto& r : catalog.roots())
                known.push_back(r.path);
        }
        if (roots.empty()) {
            roots = known;
            if (roots.empty())
                throw InputError("no folder to index yet: add the folder that holds your videos first "
                                 "(vopsearch-cli index FOLDER, or Add folder in the Library tab)");
            return;
        }
        bool any = false;
        for (const auto& r : roots) {
            std::error_code ec;
            if (fs::is_directory(r, ec) ||
                std::find(known.begin(), known.end(), library::normalizeRoot(r)) != known.end())
                any = true;
            else if (fs::exists(r, ec))
                throw InputError("'" + r + "' is not a folder; give the folder that holds your videos");
        }
        if (!any)
            throw InputError(roots.size() == 1 ? "no such folder: '" + roots.front() + "'"
                                               : "none of the given folders exists");
    }
};

LibraryService::LibraryService(LibraryOptions options) : d(std::make_unique<Impl>(std::move(options))) {}

LibraryService::~LibraryService() = default;

const std::string& LibraryService::dbPath() const { return d->options.dbPath; }

bool LibraryService::databaseExists() const { return paths::fileExists(d->options.dbPath); }

ModelSettings LibraryService::modelSettings() const { return d->settings(); }

void LibraryService::setModelSettings(const ModelSettings& settings)
{
    // Do the replaced settings answer searches well (their space complete)? Asked of the catalog
    // only when a fallback exists already and no search or status has said it since the last
    // change (hashes come from the hash cache: milliseconds once the files were used).
    std::optional<bool> oldComplete;
    {
        std::unique_lock<std::mutex> lock(d->mu);
        if (d->options.model == settings)
            return;
        oldComplete = d->activeComplete;
        if (!oldComplete && d->options.previousModel && *d->options.previousModel != settings) {
            const ModelSettings old = d->options.model;
            lock.unlock();
            oldComplete = d->isComplete(old);
        }
    }
    {
        std::lock_guard<std::mutex> lock(d->mu);
        if (d->options.model == settings)
            return;
        if (d->indexing)
            throw InputError("the library is being indexed; pause is not enough: cancel the scan, then change the model");
        const ModelSettings old = d->options.model;
        auto& previous = d->options.previousModel;
        std::shared_ptr<VopEncoder> oldEncoder = d->encoder;
        std::optional<library::SpaceIdentity> oldSpace = d->space;
        if (previous && *previous == settings) {
            // Back to the set that answered meanwhile: its encoder, if loaded, is the active one again.
            if (d->fallbackSettings && *d->fallbackSettings == settings) {
                d->encoder = d->fallbackEncoder;
                d->space = d->fallbackSpace;
            } else {
                d->encoder.reset();
                d->space.reset();
            }
            previous.reset();
            d->fallbackEncoder.reset();
            d->fallbackSettings.reset();
            d->fallbackSpace.reset();
        } else {
            // The replaced settings answer searches until the new space is complete, unless they
            // were themselves waiting for theirs (or cannot tell): then the older fallback stays.
            if (!previous || oldComplete.value_or(false)) {
                previous = old;
                d->fallbackEncoder = oldEncoder;
                d->fallbackSettings = oldEncoder ? std::optional<ModelSettings>(old) : std::nullopt;
                d->fallbackSpace = oldEncoder ? oldSpace : std::nullopt;
            }
            d->encoder.reset();
            d->space.reset();
        }
        d->options.model = settings;
        d->activeComplete.reset();
        writeSwitchRecord(d->indexDir, previous ? std::optional<SwitchRecord>(SwitchRecord{settings, *previous})
                                                : std::nullopt);
    }
    d->notify({LibraryEvent::Kind::ModelChanged, 0, "settings"});
}

std::optional<ModelSettings> LibraryService::previousModelSettings() const
{
    std::lock_guard<std::mutex> lock(d->mu);
    return d->options.previousModel;
}

ActiveSetStatus LibraryService::activeSetStatus()
{
    if (!databaseExists()) {
        ActiveSetStatus st;
        const auto id = d->activeSpace();
        st.known = true;
        st.description = st.answeredBy = id.describe();
        st.textOnly = id.textOnly;
        return st;
    }
    store::Catalog catalog(d->options.dbPath);
    return d->resolve(catalog).status;
}

library::IndexerOptions LibraryService::indexerOptions() const
{
    std::lock_guard<std::mutex> lock(d->mu);
    return d->options.indexing;
}

void LibraryService::setIndexerOptions(const library::IndexerOptions& options)
{
    std::lock_guard<std::mutex> lock(d->mu);
    d->options.indexing = options;
}

std::optional<std::string> LibraryService::modelProblem() const
{
    const ModelSettings s = d->settings();
    try {
        const std::string checkpoint = paths::resolveCheckpoint(s.checkpoint);
        if (!s.vocab.empty()) {
            if (!paths::fileExists(s.vocab))
                return "the BPE vocabulary '" + s.vocab + "' does not exist";
        } else {
            paths::resolveBpeVocab(checkpoint);
        }
        if (!s.prompts.empty() && !paths::fileExists(s.prompts))
            return "the prompt set '" + s.prompts + "' does not exist; choose another one or zero-shot CLIP";
    } catch (const std::exception& e) {
        return std::string(e.what());
    }
    return std::nullopt;
}

bool LibraryService::isModelLoaded() const { return d->loadedEncoder() != nullptr; }

void LibraryService::loadModel(JobControl* job) { d->ensureEncoder(job); }

library::SpaceIdentity LibraryService::activeSpace() { return d->activeSpace(); }

PromptSetInfo LibraryService::checkPromptSet(const std::string& path)
{
    if (!paths::fileExists(path))
        throw InputError("no such file: '" + path + "'");
    auto encoder = d->ensureEncoder(nullptr);
    std::lock_guard<std::mutex> g(d->encoderMu);
    return vop::checkPromptSet(path, encoder->config(), encoder->backbone());
}

LibraryStatus LibraryService::status(const StatusOptions& options)
{
    LibraryStatus st;
    st.dbPath = d->options.dbPath;
    st.exists = databaseExists();
    if (!st.exists)
        return st;
    store::Catalog catalog(d->options.dbPath);
    st.schemaVersion = catalog.schemaVersion();
    catalog.readSnapshot([&] {
        st.counts = catalog.counts();
        for (const auto& r : catalog.roots()) {
            RootStatus rs;
            rs.path = r.path;
            rs.mounted = r.mounted;
            for (const auto& f : catalog.filesUnderRoot(r.id)) {
                ++rs.files;
                switch (f.status) {
                case store::FileStatus::Indexed: ++rs.indexed; break;
                case store::FileStatus::Pending: ++rs.pending; break;
                case store::FileStatus::Skipped: ++rs.skipped; break;
                case store::FileStatus::Failed: ++rs.failed; break;
                case store::FileStatus::Offline: ++rs.offline; break;
                }
            }
            st.roots.push_back(std::move(rs));
        }
    });
    std::optional<store::IndexKey> activeKey;
    try {
        auto r = d->resolve(catalog);
        activeKey = r.activeKey;
        st.active = r.status;
    } catch (const std::exception&) {
        // no model configured: no space is active
    }
    for (const auto& s : library::listSpaces(catalog)) {
        SpaceStatus ss;
        ss.key = s.key;
        ss.modelName = s.modelName;
        ss.variant = s.variant;
        ss.promptsName = s.promptsName;
        ss.dim = s.dim;
        ss.embeddings = s.embeddings;
        ss.active = activeKey && *activeKey == s.key;
        {
            std::lock_guard<std::mutex> lock(d->mu);
            auto it = d->indexes.find(keyString(s.key));
            if (it != d->indexes.end()) {
                ss.indexVectors = int64_t(it->second->size());
                ss.indexState = "loaded";
            }
        }
        if (options.inspectIndexes) {
            const std::string path = store::indexFilePath(d->indexDir, s.key);
            if (!fs::exists(path)) {
                ss.indexVectors = 0;
                ss.indexState = "missing (built on the next search or index run)";
            } else {
                try {
                    library::FileLock lock(library::indexLockPath(d->indexDir), library::FileLock::Mode::Shared);
                    auto index = store::VectorIndex::load(path, catalog.catalogId(), s.key, s.dim);
                    ss.indexVectors = int64_t(index->size());
                    const std::string c = store::checkIndexConsistency(catalog, *index);
                    ss.indexState =
                        c == "ok" ? "ok" : "stale: " + c + " (brought up to date on the next search or index run)";
                } catch (const std::exception& e) {
                    ss.indexVectors = 0;
                    ss.indexState = std::string("rejected: ") + e.what() + " (rebuilt on the next search or index run)";
                }
            }
        }
        st.spaces.push_back(std::move(ss));
    }
    if (options.integrity)
        st.integrity = catalog.integrityCheck();
    return st;
}

std::vector<FileProblem> LibraryService::fileProblems(size_t limit)
{
    std::vector<FileProblem> out;
    if (!databaseExists())
        return out;
    store::Catalog catalog(d->options.dbPath);
    for (auto status : {store::FileStatus::Failed, store::FileStatus::Skipped})
        for (const auto& f : catalog.filesWithStatus(status)) {
            if (out.size() >= limit)
                return out;
            out.push_back({f.path, f.status, f.error, f.rootId});
        }
    return out;
}

std::vector<store::RootRecord> LibraryService::roots()
{
    if (!databaseExists())
        return {};
    store::Catalog catalog(d->options.dbPath);
    return catalog.roots();
}

std::string LibraryService::addRoot(const std::string& path)
{
    std::error_code ec;
    if (path.empty() || !fs::is_directory(path, ec))
        throw InputError(fs::exists(path, ec) ? "'" + path + "' is not a folder; choose the folder that holds your videos"
                                              : "no such folder: '" + path + "'");
    const std::string root = library::normalizeRoot(path);
    {
        store::Catalog catalog(d->options.dbPath);
        catalog.addRoot(root);
    }
    d->notify({LibraryEvent::Kind::RootsChanged, 1, root});
    return root;
}

void LibraryService::removeRoot(const std::string& path)
{
    if (d->indexing)
        throw InputError("the library is being indexed; cancel the scan first, then remove the folder");
    d->requireDatabase();
    {
        store::Catalog catalog(d->options.dbPath);
        const auto root = catalog.findRoot(library::normalizeRoot(path));
        if (!root)
            throw InputError("'" + path + "' is not one of the library's folders");
        catalog.removeRoot(root->id);
    }
    {
        // The cached indexes still hold the removed rows: the next search brings them up to date.
        std::lock_guard<std::mutex> lock(d->mu);
        d->indexes.clear();
    }
    d->notify({LibraryEvent::Kind::RootsChanged, -1, path});
    d->notify({LibraryEvent::Kind::FilesChanged, 0, {}});
}

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
        JobProgress jp;
        jp.paused = p.paused;
        jp.detail = p.currentPath;
        if (p.phase == library::IndexProgress::Phase::Scanning) {
            jp.phase = phase::Scanning;
            jp.done = p.filesFound;
            jp.unit = "files";
        } else {
            jp.phase = p.phase == library::IndexProgress::Phase::Finishing ? phase::SavingIndex : phase::Indexing;
            jp.done = p.filesDone;
            jp.total = p.filesTotal;
            jp.unit = "files";
            jp.rate = p.framesPerSecond;
            jp.rateUnit = "frames/s";
            jp.etaSeconds = p.etaSeconds;
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

SearchResponse LibraryService::search(const SearchRequest& request, JobControl* job)
{
    if (request.kind == SearchRequest::Kind::Text && search::parseQuery(request.text).positive.empty())
        throw InputError("type what you remember, e.g. \"kids building a sandcastle at dusk\"");
    d->requireDatabase();
    store::Catalog catalog(d->options.dbPath);
    auto resolved = d->resolve(catalog);
    std::shared_ptr<VopEncoder> encoder;
    if (request.kind != SearchRequest::Kind::Segment)
        encoder = resolved.previousSettings ? d->ensureFallbackEncoder(*resolved.previousSettings, job)
                                            : d->ensureEncoder(job);
    const auto t0 = Clock::now();
    const library::SpaceIdentity& id = resolved.answerId;
    const auto key = resolved.answerKey;
    if (!key || catalog.embeddingStats(key->modelId, key->promptSetId).count == 0)
        throw InputError("nothing in '" + d->options.dbPath + "' was indexed with " + id.modelName +
                         (id.promptsName.empty() ? std::string(" (zero-shot)") : " and " + id.promptsName) +
                         " yet; index your folders with this model first (Library tab: Scan now, or vopsearch-cli "
                         "index FOLDER with the same --checkpoint and --prompts)");
    auto [index, live] = d->indexFor(catalog, *key, job);
    search::Searcher searcher(catalog, index);
    SearchResponse r;
    r.liveIndex = live;
    r.answeredBy = id.describe();
    r.fromPreviousSet = resolved.previousSettings.has_value();
    switch (request.kind) {
    case SearchRequest::Kind::Segment:
        r.moments = searcher.searchSegment(request.segmentId, request.options);
        break;
    case SearchRequest::Kind::Text: {
        std::lock_guard<std::mutex> g(d->encoderMu);
        r.moments = searcher.searchText(*encoder, request.text, request.options);
        break;
    }
    case SearchRequest::Kind::Video: {
        std::lock_guard<std::mutex> g(d->encoderMu);
        library::SegmentOptions co = indexerOptions().segments;
        r.moments = searcher.searchVideo(*encoder, request.videoPath, request.options, co);
        break;
    }
    }
    r.indexVectors = index->size();
    r.seconds = since(t0);
    return r;
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

std::string LibraryService::thumbnail(int64_t segmentId)
{
    if (!databaseExists())
        return {};
    // One connection per thread and catalog: thumbnails are asked for by a pool, many at a time.
    thread_local std::map<std::string, std::unique_ptr<store::Catalog>> catalogs;
    auto& c = catalogs[d->options.dbPath];
    if (!c)
        c = std::make_unique<store::Catalog>(d->options.dbPath);
    return c->thumbnail(segmentId);
}

std::optional<store::FileRecord> LibraryService::file(int64_t fileId)
{
    if (!databaseExists())
        return std::nullopt;
    store::Catalog catalog(d->options.dbPath);
    return catalog.file(fileId);
}

void LibraryService::exportPlaylist(const std::vector<search::Moment>& moments, const std::string& path,
                                    const search::PlaylistOptions& options)
{
    search::writePlaylist(moments, path, options);
}

int LibraryService::subscribe(Listener listener)
{
    auto sub = std::make_shared<Impl::Subscription>();
    sub->fn = std::move(listener);
    std::lock_guard<std::mutex> lock(d->mu);
    const int id = d->nextListener++;
    d->listeners[id] = std::move(sub);
    return id;
}

void LibraryService::unsubscribe(int handle)
{
    std::shared_ptr<Impl::Subscription> sub;
    {
        std::lock_guard<std::mutex> lock(d->mu);
        auto it = d->listeners.find(handle);
        if (it == d->listeners.end())
            return;
        sub = it->second;
        d->listeners.erase(it);
    }
    std::lock_guard<std::recursive_mutex> call(sub->callMu); // waits for a call in flight
    sub->active = false;
}

} // namespace vop::service
