// LibraryService: model settings and loading, search, notifications.
#include "service/internal/LibraryServiceImpl.h"

namespace vop::service {

LibraryService::LibraryService(LibraryOptions options) : d(std::make_unique<Impl>(std::move(options))) {}

LibraryService::~LibraryService() = default;

bool ModelSettings::operator==(const ModelSettings& o) const
{
    return checkpoint == o.checkpoint && vocab == o.vocab && prompts == o.prompts && device == o.device &&
           frames == o.frames && threads == o.threads && precision == o.precision;
}

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

SearchResponse LibraryService::search(const SearchRequest& request, JobControl* job)
{
    if (request.kind == SearchRequest::Kind::Text && search::parseQuery(request.text).positive.empty())
        throw InputError("type what you remember, e.g. \"kids building a sandcastle at dusk\"");
    d->requireDatabase();
    store::Catalog catalog(d->options.dbPath);
    auto resolved = d->resolve(catalog, /*withCounts=*/false);
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
        search::TextCacheUse cache{&d->queryCache, Impl::queryCacheKey(id, *encoder)};
        std::vector<float> query;
        {
            std::lock_guard<std::mutex> g(d->encoderMu);
            query = search::textQueryVector(*encoder, request.text, request.options.negativeWeight, &cache);
        }
        r.textFromCache = cache.misses == 0;
        r.moments = searcher.search(query, request.options);
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
