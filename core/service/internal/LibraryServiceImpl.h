#pragma once
// LibraryService's state and its internal helpers, shared by the service's source files
// (LibraryService.cpp: model, search, notifications; LibraryJobs.cpp: index and rebuild jobs;
// LibraryStatus.cpp: status, roots, thumbnails, export). Not a public header.
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
namespace detail {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
inline constexpr const char* kArea = "service";

inline double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

inline std::string keyString(const store::IndexKey& key) { return key.toString(); }

} // namespace detail

using namespace detail;

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
    search::QueryEmbeddingCache queryCache; // recent text embeddings (issue 12), keyed by queryCacheKey

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
        o.imagePrecision = o.textPrecision = s.precision;
        if (s.precision == Precision::Auto && options.fewTextQueries)
            o.textPrecision = Precision::Fp32;
        o.lazyImageTower = true; // text queries never need it; indexing loads it with the first clip
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

    // What a cached text embedding depends on: checkpoint and prompt set digests, device, precision.
    static std::string queryCacheKey(const library::SpaceIdentity& id, VopEncoder& encoder)
    {
        return id.modelSha256 + "|" + id.promptsSha256 + "|" + encoder.clip().deviceName() + "|" +
               precisionName(encoder.clip().textPrecision());
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
    // space is complete. `withCounts` false (a search): without a fallback nothing needs the
    // catalog's counts, which cost a scan of big tables on every query, so status stays unfilled.
    struct Resolution {
        ActiveSetStatus status;
        library::SpaceIdentity activeId, answerId;
        std::optional<store::IndexKey> activeKey, answerKey;
        std::optional<ModelSettings> previousSettings; // set when the previous set answers
    };

    Resolution resolve(store::Catalog& catalog, bool withCounts = true)
    {
        Resolution r;
        const ModelSettings s = settings();
        r.activeId = activeSpace();
        r.activeKey = library::findSpace(catalog, r.activeId);
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
        auto& st = r.status;
        st.description = r.activeId.describe();
        st.textOnly = r.activeId.textOnly;
        if (!withCounts && !previous)
            return r;
        st.known = true;
        st.embeddings = r.activeKey ? catalog.embeddingStats(r.activeKey->modelId, r.activeKey->promptSetId).count : 0;
        st.segments = catalog.counts().segments;
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
            catalog.requireWritable("indexing"); // said before a model loads
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



} // namespace vop::service
