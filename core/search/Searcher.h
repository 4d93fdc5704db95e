#pragma once
// From a query to ranked moments of the library:
//
//   text -> text embedding (through the prompt set's text prompts) -> HNSW top-k ->
//   segments (SQLite, one snapshot) -> filters -> adjacent hits of one file merged -> moments.
//
// Negative terms: the query vector is p - w * mean(n_i) for the positive embedding p and the
// negatives n_i, so the score of a segment v is p.v - w * mean(n_i).v; that score is linear in
// v, so the ANN search ranks by it exactly (the index normalises the query; the score is scaled
// back by |p - w*mean(n)|).
//
// Filters are applied after the ANN search (hnswlib 0.6 has no filter hook): the search
// widens k until enough moments pass or the whole index was searched.
//
// Threads: a Searcher uses its Catalog (one per thread) and shares the index, whose searches may
// run while an indexer adds to it.
#include "library/VideoSegments.h"
#include "search/Moment.h"
#include "search/QueryCache.h"
#include "store/Catalog.h"
#include "store/VectorIndex.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vop {
class VopEncoder;
}

namespace vop::search {

struct Filters {
    std::vector<std::string> folders;       // a file must lie under one of them (any, when empty)
    std::optional<double> minDuration;      // file duration, seconds (unknown durations fail)
    std::optional<double> maxDuration;
    std::optional<int64_t> modifiedAfter;   // file mtime, Unix seconds, inclusive
    std::optional<int64_t> modifiedBefore;  // exclusive
    std::vector<std::string> extensions;    // "mp4", ".MKV", ... (any, when empty)
    bool includeOffline = true;             // files on a drive that is not mounted
    bool active() const;
};

struct SearchOptions {
    size_t top = 10;
    Filters filters;
    bool merge = true;             // merge adjacent hits of one file into one moment
    double mergeGap = 1.0;         // seconds between two hits of one file that still merge ...
    float mergeMargin = 0.05f;     // ... when the weaker scores at most this much below the best
    float negativeWeight = 1.0f;   // w above
    bool withThumbnails = false;   // fill Moment::thumbnailJpeg
    std::optional<int64_t> excludeSegment;
    std::optional<std::string> excludePath;
};


class Searcher {
public:
    Searcher(store::Catalog& catalog, std::shared_ptr<const store::VectorIndex> index);

    // A query vector (need not be normalised: its length scales the scores).
    std::vector<Moment> search(const std::vector<float>& query, const SearchOptions& options) const;
    // Text with negative terms (parseQuery). Throws InputError for a query without positive text.
    std::vector<Moment> searchText(VopEncoder& encoder, const std::string& query, const SearchOptions& options) const;
    // Moments like a stored segment (the segment itself is left out).
    std::vector<Moment> searchSegment(int64_t segmentId, const SearchOptions& options) const;
    // Moments like a video file: the mean of its segments' embeddings (at most 16 segments).
    // The file itself is left out when it is in the library.
    std::vector<Moment> searchVideo(VopEncoder& encoder, const std::string& path, const SearchOptions& options,
                                    const library::SegmentOptions& clipOptions) const;

    const store::VectorIndex& index() const { return *m_index; }

private:
    store::Catalog& m_catalog;
    std::shared_ptr<const store::VectorIndex> m_index;
};

// A cache of recent text embeddings for textQueryVector, and what it did for one query.
struct TextCacheUse {
    QueryEmbeddingCache* cache = nullptr;
    std::string modelKey; // see QueryCache.h for what it must name
    size_t hits = 0;      // texts answered by the cache
    size_t misses = 0;    // texts encoded (and put into it)
};

// The query vector of a text (see above); empty positive text throws InputError. With a cache,
// the embedding of each text (positive part, every negative term) comes from it when it holds it,
// and goes into it otherwise.
std::vector<float> textQueryVector(VopEncoder& encoder, const std::string& query, float negativeWeight,
                                   TextCacheUse* cache = nullptr);

// The hits of one file grouped into moments, best first: a hit joins a moment it touches or
// overlaps (gap <= mergeGap) when it scores at least the moment's best - mergeMargin; a weaker
// touching hit is dropped (the moment already covers it); any other hit starts a moment.
// Members of a group come in time order. Exposed for tests.
struct ScoredSegment {
    int64_t segmentId = 0;
    double start = 0;
    double end = 0;
    float score = 0;
};
std::vector<std::vector<ScoredSegment>> mergeAdjacent(std::vector<ScoredSegment> hits, double mergeGap,
                                                      float mergeMargin);

} // namespace vop::search
