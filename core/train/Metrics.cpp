#include "train/Metrics.h"

#include "util/Error.h"

#include <algorithm>
#include <cstdio>
#include <functional>

namespace vop {

std::vector<size_t> rankQueries(const std::vector<float>& scores, size_t queries, size_t candidates,
                                const std::vector<std::vector<size_t>>& relevant,
                                std::vector<double>* averagePrecision)
{
    if (scores.size() != queries * candidates)
        throw InputError("score matrix has " + std::to_string(scores.size()) + " values, expected " +
                         std::to_string(queries) + " x " + std::to_string(candidates));
    if (relevant.size() != queries)
        throw InputError("relevance lists for " + std::to_string(relevant.size()) + " queries, expected " +
                         std::to_string(queries));
    std::vector<size_t> ranks(queries);
    if (averagePrecision)
        averagePrecision->assign(queries, 0.0);
    std::vector<char> isRelevant(candidates);
    std::vector<float> relScores, irrelevant;
    for (size_t q = 0; q < queries; ++q) {
        const float* row = scores.data() + q * candidates;
        const auto& rel = relevant[q];
        if (rel.empty())
            throw InputError("query " + std::to_string(q) + " has no relevant candidate");
        std::fill(isRelevant.begin(), isRelevant.end(), 0);
        relScores.clear();
        for (size_t c : rel) {
            if (c >= candidates)
                throw InputError("query " + std::to_string(q) + " names candidate " + std::to_string(c) + " of " +
                                 std::to_string(candidates));
            if (!isRelevant[c]) relScores.push_back(row[c]);
            isRelevant[c] = 1;
        }
        std::sort(relScores.begin(), relScores.end(), std::greater<float>()); // best first
        // Ties go against the query: an irrelevant candidate with an equal score ranks first.
        if (relScores.size() == 1) {
            size_t ahead = 0;
            for (size_t c = 0; c < candidates; ++c)
                if (!isRelevant[c] && row[c] >= relScores[0]) ++ahead;
            ranks[q] = 1 + ahead;
            if (averagePrecision) (*averagePrecision)[q] = 1.0 / double(ranks[q]);
            continue;
        }
        irrelevant.clear();
        for (size_t c = 0; c < candidates; ++c)
            if (!isRelevant[c]) irrelevant.push_back(row[c]);
        std::sort(irrelevant.begin(), irrelevant.end(), std::greater<float>());
        auto aheadOf = [&](float s) { // irrelevant candidates scoring >= s
            return size_t(std::upper_bound(irrelevant.begin(), irrelevant.end(), s, std::greater<float>()) -
                          irrelevant.begin());
        };
        ranks[q] = 1 + aheadOf(relScores[0]);
        if (averagePrecision) {
            double sum = 0;
            for (size_t i = 0; i < relScores.size(); ++i)
                sum += double(i + 1) / double(i + 1 + aheadOf(relScores[i])); // precision at the i-th hit
            (*averagePrecision)[q] = sum / double(relScores.size());
        }
    }
    return ranks;
}

RankMetrics summarizeRanks(const std::vector<size_t>& ranks, const std::vector<double>& ap)
{
    RankMetrics m;
    m.queries = ranks.size();
    if (ranks.empty())
        return m;
    const double n = double(ranks.size());
    size_t h1 = 0, h5 = 0, h10 = 0;
    double sum = 0;
    for (size_t r : ranks) {
        h1 += r <= 1;
        h5 += r <= 5;
        h10 += r <= 10;
        sum += double(r);
    }
    m.r1 = 100.0 * double(h1) / n;
    m.r5 = 100.0 * double(h5) / n;
    m.r10 = 100.0 * double(h10) / n;
    m.meanRank = sum / n;
    auto sorted = ranks;
    std::sort(sorted.begin(), sorted.end());
    const size_t mid = sorted.size() / 2;
    m.medianRank = sorted.size() % 2 ? double(sorted[mid]) : 0.5 * double(sorted[mid - 1] + sorted[mid]);
    if (!ap.empty()) {
        double s = 0;
        for (double a : ap) s += a;
        m.mAP = 100.0 * s / double(ap.size());
    }
    return m;
}

RetrievalMetrics computeRetrievalMetrics(const std::vector<float>& scores, size_t texts, size_t videos,
                                         const std::vector<std::vector<size_t>>& textVideos)
{
    if (textVideos.size() != texts)
        throw InputError("relevance lists for " + std::to_string(textVideos.size()) + " texts, expected " +
                         std::to_string(texts));
    std::vector<std::vector<size_t>> videoTexts(videos);
    RetrievalMetrics m;
    m.texts = texts;
    m.videos = videos;
    for (size_t t = 0; t < texts; ++t) {
        if (textVideos[t].empty())
            throw InputError("text " + std::to_string(t) + " describes no video");
        if (textVideos[t].size() > 1) m.sharedCaptions = true;
        for (size_t v : textVideos[t]) {
            if (v >= videos)
                throw InputError("text " + std::to_string(t) + " names video " + std::to_string(v) + " of " +
                                 std::to_string(videos));
            videoTexts[v].push_back(t);
        }
    }
    for (size_t v = 0; v < videos; ++v)
        if (videoTexts[v].empty())
            throw InputError("video " + std::to_string(v) + " has no caption among the texts");
    std::vector<double> ap;
    auto ranks = rankQueries(scores, texts, videos, textVideos, &ap);
    m.t2v = summarizeRanks(ranks, ap);
    std::vector<float> transposed(scores.size());
    for (size_t t = 0; t < texts; ++t)
        for (size_t v = 0; v < videos; ++v) transposed[v * texts + t] = scores[t * videos + v];
    ranks = rankQueries(transposed, videos, texts, videoTexts, &ap);
    m.v2t = summarizeRanks(ranks, ap);
    return m;
}

std::string describeMetrics(const RetrievalMetrics& m)
{
    char buf[256];
    std::snprintf(buf, sizeof buf, "t2v R@1 %.1f R@5 %.1f R@10 %.1f MdR %.1f MnR %.1f | v2t R@1 %.1f R@5 %.1f R@10 %.1f MdR %.1f MnR %.1f",
                  m.t2v.r1, m.t2v.r5, m.t2v.r10, m.t2v.medianRank, m.t2v.meanRank, m.v2t.r1, m.v2t.r5, m.v2t.r10,
                  m.v2t.medianRank, m.v2t.meanRank);
    std::string s = buf;
    if (m.sharedCaptions) {
        std::snprintf(buf, sizeof buf, " | mAP t2v %.1f v2t %.1f", m.t2v.mAP, m.v2t.mAP);
        s += buf;
    }
    return s;
}

std::map<std::string, double> metricsMap(const RetrievalMetrics& m)
{
    std::map<std::string, double> out;
    for (const auto& [dir, r] : {std::pair<const char*, const RankMetrics&>{"t2v", m.t2v}, {"v2t", m.v2t}}) {
        const std::string d = dir;
        out[d + ".R@1"] = r.r1;
        out[d + ".R@5"] = r.r5;
        out[d + ".R@10"] = r.r10;
        out[d + ".MdR"] = r.medianRank;
        out[d + ".MnR"] = r.meanRank;
        out[d + ".mAP"] = r.mAP;
    }
    return out;
}

} // namespace vop
