#include "search/Searcher.h"

#include "library/LibrarySync.h"
#include "library/Scanner.h"
#include "prompts/VopEncoder.h"
#include "search/Query.h"
#include "util/Error.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <unordered_map>

namespace vop::search {

namespace {

std::string normalizedExtension(std::string e)
{
    while (!e.empty() && e.front() == '.')
        e.erase(e.begin());
    for (auto& c : e)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return e;
}

bool under(const std::string& path, const std::string& folder)
{
    if (folder.empty() || folder == "/")
        return true;
    return path.size() > folder.size() && path.compare(0, folder.size(), folder) == 0 && path[folder.size()] == '/';
}

float norm(const std::vector<float>& v)
{
    double s = 0;
    for (float x : v)
        s += double(x) * x;
    return float(std::sqrt(s));
}

bool passes(const store::FileRecord& f, const Filters& filters, const std::vector<std::string>& folders,
            const std::vector<std::string>& exts)
{
    if (!filters.includeOffline && f.status == store::FileStatus::Offline)
        return false;
    if (!folders.empty() &&
        std::none_of(folders.begin(), folders.end(), [&](const std::string& d) { return under(f.path, d); }))
        return false;
    if (!exts.empty() && std::find(exts.begin(), exts.end(), library::extensionOf(f.path)) == exts.end())
        return false;
    const double dur = f.media.durationSeconds;
    if (filters.minDuration && !(dur > 0 && dur >= *filters.minDuration))
        return false;
    if (filters.maxDuration && !(dur > 0 && dur <= *filters.maxDuration))
        return false;
    const double mtime = double(f.mtimeNs) / 1e9;
    if (filters.modifiedAfter && mtime < double(*filters.modifiedAfter))
        return false;
    if (filters.modifiedBefore && mtime >= double(*filters.modifiedBefore))
        return false;
    return true;
}

} // namespace

bool Filters::active() const
{
    return !folders.empty() || minDuration || maxDuration || modifiedAfter || modifiedBefore || !extensions.empty() ||
           !includeOffline;
}

std::vector<std::vector<ScoredSegment>> mergeAdjacent(std::vector<ScoredSegment> hits, double mergeGap,
                                                      float mergeMargin)
{
    // Best first: a hit joins a moment it touches when it scores almost as well; a weaker
    // neighbour is the tail of that moment and is dropped; anything else starts a moment.
    std::sort(hits.begin(), hits.end(), [](const ScoredSegment& a, const ScoredSegment& b) {
        return a.score != b.score ? a.score > b.score : a.start < b.start;
    });
    struct Group {
        double start, end;
        float best;
        std::vector<ScoredSegment> members;
    };
    std::vector<Group> groups;
    for (const auto& h : hits) {
        Group* touching = nullptr;
        for (auto& g : groups)
            if (h.start <= g.end + mergeGap && h.end >= g.start - mergeGap) {
                touching = &g;
                break;
            }
        if (!touching) {
            groups.push_back({h.start, h.end, h.score, {h}});
        } else if (h.score >= touching->best - mergeMargin) {
            touching->start = std::min(touching->start, h.start);
            touching->end = std::max(touching->end, h.end);
            touching->members.push_back(h);
        }
    }
    std::vector<std::vector<ScoredSegment>> out;
    for (auto& g : groups) {
        std::sort(g.members.begin(), g.members.end(),
                  [](const ScoredSegment& a, const ScoredSegment& b) { return a.start < b.start; });
        out.push_back(std::move(g.members));
    }
    return out;
}

Searcher::Searcher(store::Catalog& catalog, std::shared_ptr<const store::VectorIndex> index)
    : m_catalog(catalog), m_index(std::move(index))
{
    if (!m_index)
        throw Error("a Searcher needs an index");
}

std::vector<Moment> Searcher::search(const std::vector<float>& query, const SearchOptions& options) const
{
    if (int(query.size()) != m_index->dim())
        throw InputError("the query has " + std::to_string(query.size()) + " values, the index " +
                         std::to_string(m_index->dim()));
    const float scale = norm(query);
    if (!(scale > 0) || !std::isfinite(scale))
        throw InputError("the query vector is zero or not finite; it matches nothing");
    const size_t total = m_index->size();
    if (total == 0 || options.top == 0)
        return {};
    std::vector<std::string> folders, exts;
    for (const auto& f : options.filters.folders)
        folders.push_back(library::normalizeRoot(f));
    for (const auto& e : options.filters.extensions)
        exts.push_back(normalizedExtension(e));
    std::string excludePath;
    if (options.excludePath)
        excludePath = std::filesystem::absolute(*options.excludePath).lexically_normal().string();

    size_t k = std::min(total, std::max<size_t>(options.top * (options.filters.active() ? 16 : 4), 40));
    std::vector<Moment> moments;
    for (;;) {
        const auto hits = m_index->search(query.data(), k);
        std::unordered_map<int64_t, float> scoreOf;
        std::vector<int64_t> ids;
        for (const auto& h : hits) {
            ids.push_back(h.rowid);
            scoreOf[h.rowid] = h.score * scale;
        }
        moments.clear();
        bool last = false;
        m_catalog.readSnapshot([&] {
            const auto resolved = m_catalog.segmentsForEmbeddings(ids);
            std::map<int64_t, std::vector<ScoredSegment>> byFile;
            std::unordered_map<int64_t, std::optional<store::FileRecord>> files;
            for (const auto& s : resolved) {
                if (options.excludeSegment && s.segmentId == *options.excludeSegment)
                    continue;
                auto it = files.find(s.fileId);
                if (it == files.end()) {
                    auto rec = m_catalog.file(s.fileId);
                    if (rec && (!passes(*rec, options.filters, folders, exts) ||
                                (!excludePath.empty() && rec->path == excludePath)))
                        rec.reset();
                    it = files.emplace(s.fileId, std::move(rec)).first;
                }
                if (!it->second)
                    continue;
                byFile[s.fileId].push_back({s.segmentId, s.start, s.end, scoreOf[s.embeddingId]});
            }
            for (auto& [fileId, segs] : byFile) {
                const auto& rec = *files[fileId];
                std::vector<std::vector<ScoredSegment>> groups;
                if (options.merge) {
                    groups = mergeAdjacent(std::move(segs), options.mergeGap, options.mergeMargin);
                } else {
                    for (const auto& s : segs)
                        groups.push_back({s});
                }
                for (const auto& g : groups) {
                    Moment m;
                    m.fileId = fileId;
                    m.path = rec.path;
                    m.status = rec.status;
                    m.fileDuration = rec.media.durationSeconds;
                    m.start = g.front().start;
                    m.end = g.front().end;
                    m.score = -std::numeric_limits<float>::infinity();
                    for (const auto& s : g) {
                        m.start = std::min(m.start, s.start);
                        m.end = std::max(m.end, s.end);
                        m.segmentIds.push_back(s.segmentId);
                        if (s.score > m.score) {
                            m.score = s.score;
                            m.segmentId = s.segmentId;
                        }
                    }
                    moments.push_back(std::move(m));
                }
            }
            std::sort(moments.begin(), moments.end(), [](const Moment& a, const Moment& b) {
                return a.score != b.score ? a.score > b.score : (a.path != b.path ? a.path < b.path : a.start < b.start);
            });
            last = moments.size() >= options.top || k >= total;
            if (last) {
                if (moments.size() > options.top)
                    moments.resize(options.top);
                if (options.withThumbnails)
                    for (auto& m : moments)
                        m.thumbnailJpeg = m_catalog.thumbnail(m.segmentId);
            }
        });
        if (last)
            break;
        k = std::min(total, k * 4);
    }
    return moments;
}

namespace {

// Embeddings of `texts`, from the cache where it has them; the others encoded in one batch.
Embeddings cachedTextEmbeddings(VopEncoder& encoder, const std::vector<std::string>& texts, TextCacheUse* use)
{
    Embeddings e(texts.size());
    std::vector<std::string> missing;
    std::vector<size_t> where;
    for (size_t i = 0; i < texts.size(); ++i) {
        if (use && use->cache)
            if (auto v = use->cache->find(use->modelKey, texts[i])) {
                e[i] = std::move(*v);
                ++use->hits;
                continue;
            }
        missing.push_back(texts[i]);
        where.push_back(i);
    }
    if (missing.empty())
        return e;
    Embeddings fresh = encoder.encodeTexts(missing); // L2-normalised
    for (size_t j = 0; j < fresh.size(); ++j) {
        if (use && use->cache) {
            use->cache->put(use->modelKey, missing[j], fresh[j]);
            ++use->misses;
        }
        e[where[j]] = std::move(fresh[j]);
    }
    return e;
}

} // namespace

std::vector<float> textQueryVector(VopEncoder& encoder, const std::string& text, float negativeWeight,
                                   TextCacheUse* cache)
{
    const ParsedQuery q = parseQuery(text);
    if (q.positive.empty())
        throw InputError(q.negatives.empty() ? "the query is empty"
                                             : "the query has only negative terms; say what to look for, e.g. 'dog -cat'");
    std::vector<std::string> texts{q.positive};
    texts.insert(texts.end(), q.negatives.begin(), q.negatives.end());
    const Embeddings e = cachedTextEmbeddings(encoder, texts, cache);
    std::vector<float> v = e.front();
    if (!q.negatives.empty()) {
        const float w = negativeWeight / float(q.negatives.size());
        for (size_t i = 1; i < e.size(); ++i)
            for (size_t j = 0; j < v.size(); ++j)
                v[j] -= w * e[i][j];
    }
    return v;
}

std::vector<Moment> Searcher::searchText(VopEncoder& encoder, const std::string& query, const SearchOptions& options) const
{
    return search(textQueryVector(encoder, query, options.negativeWeight), options);
}

std::vector<Moment> Searcher::searchSegment(int64_t segmentId, const SearchOptions& options) const
{
    const auto& key = m_index->key();
    auto v = m_catalog.embeddingOfSegment(segmentId, key.modelId, key.promptSetId);
    if (!v)
        throw InputError("segment " + std::to_string(segmentId) + " has no embedding in " + key.toString() +
                         " (unknown segment, or indexed with another model or prompt set)");
    SearchOptions o = options;
    o.excludeSegment = segmentId;
    return search(*v, o);
}

std::vector<Moment> Searcher::searchVideo(VopEncoder& encoder, const std::string& path, const SearchOptions& options,
                                          const library::SegmentOptions& clipOptions) const
{
    library::SegmentOptions co = clipOptions;
    co.frames = encoder.framesPerClip();
    co.thumbnails = false;
    library::VideoSegments clips(path, co);
    const auto& all = clips.segments();
    std::vector<media::Segment> spans;
    const size_t maxSegments = 16;
    for (size_t i = 0; i < std::min(all.size(), maxSegments); ++i)
        spans.push_back(all[all.size() <= maxSegments ? i : i * all.size() / maxSegments]);
    std::vector<std::vector<RgbImage>> frames;
    for (const auto& s : spans)
        frames.push_back(clips.read(s).frames);
    const Embeddings e = encoder.encodeClips(frames);
    std::vector<float> v(e.front().size(), 0.f);
    for (const auto& row : e)
        for (size_t j = 0; j < v.size(); ++j)
            v[j] += row[j];
    const float n = norm(v);
    for (auto& x : v)
        x /= n;
    SearchOptions o = options;
    if (!o.excludePath)
        o.excludePath = path;
    return search(v, o);
}

} // namespace vop::search
