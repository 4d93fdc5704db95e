#pragma once
// Retrieval metrics (VOP_SPEC.md, "Evaluation protocol"): text-to-video and video-to-text
// R@1/5/10 (percent), median and mean rank (1-based), and mean average precision. No torch here.
//
// A query's rank is that of its best-ranked relevant candidate. Several relevant candidates
// cover both "several captions per video" (v2t counts the best caption) and "many clips share one
// caption" (t2v: a hit at K when any clip with that caption ranks within K). Ties are counted
// against the query: rank = 1 + the number of irrelevant candidates scoring at least as high as
// the best relevant one, so a collapsed model that scores everything alike gets no credit.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace vop {

struct RankMetrics {
    double r1 = 0, r5 = 0, r10 = 0; // percent of queries with a relevant candidate within K
    double medianRank = 0;          // MdR, 1-based (mean of the two middle ranks for an even count)
    double meanRank = 0;            // MnR, 1-based
    double mAP = 0;                 // mean average precision, percent
    size_t queries = 0;

    double recallAt(int k) const { return k == 1 ? r1 : k == 5 ? r5 : r10; }
};

struct RetrievalMetrics {
    RankMetrics t2v, v2t;
    size_t texts = 0, videos = 0;
    bool sharedCaptions = false; // some caption belongs to more than one video
};

// Ranks and average precisions of `queries` queries over `candidates` candidates.
// scores: queries x candidates, row-major; relevant[q]: the candidates that answer query q (at
// least one each). Returns the 1-based rank of each query and fills `averagePrecision` (0..1).
std::vector<size_t> rankQueries(const std::vector<float>& scores, size_t queries, size_t candidates,
                                const std::vector<std::vector<size_t>>& relevant,
                                std::vector<double>* averagePrecision = nullptr);

// R@K, MdR, MnR from ranks, and mAP from average precisions (may be empty).
RankMetrics summarizeRanks(const std::vector<size_t>& ranks, const std::vector<double>& averagePrecision = {});

// Both directions from a text x video similarity matrix (row-major). textVideos[t]: the videos
// that text t describes (at least one each); every video must be described by some text.
// Throws InputError when the relevance lists do not fit the matrix.
RetrievalMetrics computeRetrievalMetrics(const std::vector<float>& textVideoScores, size_t texts, size_t videos,
                                         const std::vector<std::vector<size_t>>& textVideos);

// "t2v R@1 41.2 R@5 ... | v2t ..." for logs and progress lines.
std::string describeMetrics(const RetrievalMetrics& m);

// Flat name -> value map: "t2v.R@1", ..., "v2t.MnR", "t2v.mAP" (for prompt-set provenance).
std::map<std::string, double> metricsMap(const RetrievalMetrics& m);

} // namespace vop
