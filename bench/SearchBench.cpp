#include "bench/SearchBench.h"

#include "util/Dot.h"
#include "util/Error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace vop::bench {

using store::IndexKey;
using store::VectorIndex;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string cpuModel()
{
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            auto pos = line.find(':');
            return pos == std::string::npos ? line : line.substr(pos + 2);
        }
    return "unknown";
}

// Scales v to unit length (the synthetic data never has a zero or non-finite row).
void normalize(float* v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; ++i)
        s += double(v[i]) * v[i];
    const float inv = s > 0 ? float(1.0 / std::sqrt(s)) : 0.f;
    for (size_t i = 0; i < n; ++i)
        v[i] *= inv;
}

// A random direction: gaussian components, normalised.
void randomUnit(std::mt19937_64& rng, float* v, size_t dim)
{
    std::normal_distribution<float> g(0.f, 1.f);
    for (size_t i = 0; i < dim; ++i)
        v[i] = g(rng);
    normalize(v, dim);
}

// out = normalise(base + scale * random unit direction)
void around(std::mt19937_64& rng, const float* base, float scale, float* out, size_t dim)
{
    randomUnit(rng, out, dim);
    for (size_t i = 0; i < dim; ++i)
        out[i] = base[i] + scale * out[i];
    normalize(out, dim);
}

// Library-shaped data, loosely calibrated on CLIP ViT-B/32 embeddings:
//  - they have a low intrinsic dimension (a few dozen), so the structure is made in a 64-d
//    latent space and mapped into 512-d by a fixed random projection, plus a small full-rank
//    residual. (Isotropic 512-d noise instead makes "lucky" neighbours that no graph can
//    reach, and recall of any ANN index collapses at 1M: an artefact, not CLIP.)
//  - every image embedding shares a common direction (CLIP's embeddings fill a narrow cone);
//  - topics -> videos -> ~20 segments per video; the number of topics grows with N (about
//    2000 moments per topic): a bigger library holds more kinds of content;
//  - queries come from another cone (text embeddings sit apart from image ones: the
//    "modality gap") and lie near a video but not on it, so they are out-of-distribution
//    for the graph, as real text queries are, and their top 10 spans several videos.
struct Synthetic {
    std::vector<float> data;
    std::vector<float> queries;
};

Synthetic makeData(size_t n, size_t nQueries, size_t dim, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    const size_t latent = std::min<size_t>(64, dim);
    const size_t nTopics = std::max<size_t>(64, n / 2000);
    const size_t nVideos = std::max<size_t>(1, n / 20);
    const float videoSpread = 1.0f;
    const float segmentNoise = 0.6f;
    const float queryNoise = 1.0f;
    const float residual = 0.15f;
    const float cone = 1.0f;

    std::normal_distribution<float> g(0.f, 1.f);
    const float invSqrtDim = 1.0f / std::sqrt(static_cast<float>(dim));
    std::vector<float> proj(dim * latent); // [dim, latent], columns ~ unit length, ~ orthogonal
    for (auto& x : proj)
        x = g(rng) * invSqrtDim;
    std::vector<float> imageAxis(dim), textAxis(dim);
    randomUnit(rng, imageAxis.data(), dim);
    randomUnit(rng, textAxis.data(), dim);
    for (size_t d = 0; d < dim; ++d) // the two cones are apart, not orthogonal
        textAxis[d] += 0.3f * imageAxis[d];
    normalize(textAxis.data(), dim);

    std::vector<float> topics(nTopics * latent), videos(nVideos * latent), z(latent);
    for (size_t t = 0; t < nTopics; ++t)
        randomUnit(rng, &topics[t * latent], latent);
    std::uniform_int_distribution<size_t> pickTopic(0, nTopics - 1), pickVideo(0, nVideos - 1);
    for (size_t v = 0; v < nVideos; ++v)
        around(rng, &topics[pickTopic(rng) * latent], videoSpread, &videos[v * latent], latent);

    // out = normalise(proj * z + residual * noise + cone * axis)
    auto embed = [&](const float* zv, const std::vector<float>& axis, float* out) {
        for (size_t d = 0; d < dim; ++d) {
            const float* row = &proj[d * latent];
            float acc = 0;
            for (size_t l = 0; l < latent; ++l)
                acc += row[l] * zv[l];
            out[d] = acc + residual * g(rng) * invSqrtDim + cone * axis[d]; 
        }
        normalize(out, dim);
    };
    Synthetic s;
    s.data.resize(n * dim);
    for (size_t i = 0; i < n; ++i) {
        around(rng, &videos[std::min(i / 20, nVideos - 1) * latent], segmentNoise, z.data(), latent);
        embed(z.data(), imageAxis, &s.data[i * dim]);
    }
    s.queries.resize(nQueries * dim);
    for (size_t q = 0; q < nQueries; ++q) {
        around(rng, &videos[pickVideo(rng) * latent], queryNoise, z.data(), latent);
        embed(z.data(), textAxis, &s.queries[q * dim]);
    }
    return s;
}

// Exact top-k labels (rowid = index + 1) by brute force. The data is streamed once (each
// thread takes a slice and scores it against every query, which stay in cache), then the
// per-thread candidates are merged.
std::vector<std::vector<int64_t>> exactTopK(const std::vector<float>& data, const float* queries, size_t nq, size_t dim,
                                            size_t k, unsigned threads)
{
    using Heap = std::vector<std::pair<float, int64_t>>; // min-heap of the best k
    auto push = [k](Heap& heap, float s, int64_t id) {
        if (heap.size() < k) {
            heap.emplace_back(s, id);
            std::push_heap(heap.begin(), heap.end(), std::greater<>());
        } else if (s > heap.front().first) {
            std::pop_heap(heap.begin(), heap.end(), std::greater<>());
            heap.back() = {s, id};
            std::push_heap(heap.begin(), heap.end(), std::greater<>());
        }
    };
    const size_t n = data.size() / dim;
    std::vector<std::vector<Heap>> partial(threads, std::vector<Heap>(nq));
    std::vector<std::thread> pool;
    const size_t per = (n + threads - 1) / threads;
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            const size_t i0 = t * per, i1 = std::min(n, i0 + per);
            for (size_t i = i0; i < i1; ++i)
                for (size_t q = 0; q < nq; ++q)
                    push(partial[t][q], vop::dot(queries + q * dim, &data[i * dim], dim), static_cast<int64_t>(i + 1));
        });
    }
    for (auto& th : pool)
        th.join();
    std::vector<std::vector<int64_t>> out(nq);
    for (size_t q = 0; q < nq; ++q) {
        Heap merged;
        for (unsigned t = 0; t < threads; ++t)
            for (auto& [s, id] : partial[t][q])
                push(merged, s, id);
        for (auto& [s, id] : merged)
            out[q].push_back(id);
    }
    return out;
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    size_t i = static_cast<size_t>(std::ceil(p / 100.0 * v.size())) - 1;
    return v[std::min(i, v.size() - 1)];
}

} // namespace

SearchBenchResult runSearchBench(const SearchBenchOptions& o)
{
    namespace fs = std::filesystem;
    SearchBenchResult r;
    r.options = o;
    r.options.progress = nullptr;
    r.cpu = cpuModel();
    r.cores = std::max(1u, std::thread::hardware_concurrency());
    r.kernel = vop::dotKernelName();
    r.buildThreads = o.params.threads ? o.params.threads : r.cores;
    const size_t dim = static_cast<size_t>(o.dim);
    const size_t n = std::max<size_t>(o.vectors, 1);
    const size_t nq = std::max(o.latencyQueries, o.recallQueries);
    auto say = [&](const std::string& s) {
        if (o.progress)
            o.progress(s);
    };

    say("generating " + std::to_string(n) + " vectors of " + std::to_string(dim) + " dimensions");
    auto t0 = Clock::now();
    Synthetic syn = makeData(n, nq, dim, o.seed);
    r.generateSeconds = secondsSince(t0);

    VectorIndex index("bench", IndexKey{1, std::nullopt}, o.dim, o.params, n);
    const size_t chunk = 50000;
    std::vector<int64_t> ids(chunk);
    t0 = Clock::now();
    for (size_t start = 0; start < n; start += chunk) {
        const size_t m = std::min(chunk, n - start);
        std::iota(ids.begin(), ids.begin() + m, static_cast<int64_t>(start + 1)); // rowids start at 1
        index.addBatch(ids.data(), &syn.data[start * dim], m);
        say("building: " + std::to_string(start + m) + "/" + std::to_string(n) + " (" +
            std::to_string(static_cast<int>(secondsSince(t0))) + " s)");
    }
    r.buildSeconds = secondsSince(t0);
    r.buildVectorsPerSecond = n / std::max(r.buildSeconds, 1e-9);
    r.memoryBytes = index.memoryBytes();

    say("exact search for " + std::to_string(o.recallQueries) + " queries");
    t0 = Clock::now();
    auto truth = exactTopK(syn.data, syn.queries.data(), o.recallQueries, dim, o.k, r.cores);
    // Batched over all recall queries on every core; reported per query and per core.
    r.exactQueryMs = o.recallQueries ? secondsSince(t0) * 1000.0 * r.cores / o.recallQueries : 0;

    std::vector<size_t> efs = {o.params.efSearch};
    efs.insert(efs.end(), o.efSweep.begin(), o.efSweep.end());
    for (size_t e = 0; e < efs.size(); ++e) {
        const size_t ef = efs[e];
        index.setEfSearch(ef);
        say("timing " + std::to_string(o.latencyQueries) + " single queries at ef " + std::to_string(ef));
        std::vector<double> lat;
        lat.reserve(o.latencyQueries);
        for (size_t q = 0; q < o.latencyQueries; ++q) {
            auto tq = Clock::now();
            auto hits = index.search(&syn.queries[q * dim], o.k);
            lat.push_back(secondsSince(tq) * 1000.0);
        }
        double sum = 0, worst = 1;
        for (size_t q = 0; q < o.recallQueries; ++q) {
            auto hits = index.search(&syn.queries[q * dim], o.k);
            size_t found = 0;
            for (const auto& h : hits)
                found += std::find(truth[q].begin(), truth[q].end(), h.rowid) != truth[q].end();
            double rec = truth[q].empty() ? 1.0 : double(found) / truth[q].size();
            sum += rec;
            worst = std::min(worst, rec);
        }
        EfPoint p{ef, percentile(lat, 50), percentile(lat, 95), o.recallQueries ? sum / o.recallQueries : 0,
                  o.recallQueries ? worst : 0};
        if (e == 0) {
            r.queryP50Ms = p.p50Ms;
            r.queryP95Ms = p.p95Ms;
            r.queryP99Ms = percentile(lat, 99);
            r.queryMeanMs = lat.empty() ? 0 : std::accumulate(lat.begin(), lat.end(), 0.0) / lat.size();
            r.recallAtK = p.recallAtK;
            r.minRecallAtK = p.minRecallAtK;
        } else {
            r.sweep.push_back(p);
        }
    }
    index.setEfSearch(o.params.efSearch);

    fs::path dir = o.workDir.empty() ? fs::temp_directory_path() : fs::path(o.workDir);
    const std::string file = (dir / ("vopsearch-bench-" + std::to_string(::getpid()) + ".hnsw")).string();
    say("saving to " + file);
    t0 = Clock::now();
    index.save(file);
    r.saveSeconds = secondsSince(t0);
    r.fileBytes = fs::file_size(file);
    t0 = Clock::now();
    auto loaded = VectorIndex::load(file, "bench", IndexKey{1, std::nullopt}, o.dim, o.params);
    r.loadSeconds = secondsSince(t0);
    if (loaded->size() != index.size())
        throw Error("benchmark: the reloaded index has " + std::to_string(loaded->size()) + " vectors, expected " +
                    std::to_string(index.size()));
    if (!o.keepFile) {
        std::error_code ec;
        fs::remove(file, ec);
        fs::remove(VectorIndex::metaPath(file), ec);
    }
    return r;
}

std::string formatSearchBenchText(const SearchBenchResult& r)
{
    const auto& o = r.options;
    std::ostringstream s;
    s.setf(std::ios::fixed);
    s.precision(3);
    s << "ANN search benchmark: " << o.vectors << " vectors x " << o.dim << " dims (synthetic, seed " << o.seed << ")\n"
      << "  machine       " << r.cpu << ", " << r.cores << " cores, kernel " << r.kernel << "\n"
      << "  hnsw          M=" << o.params.M << " ef_construction=" << o.params.efConstruction
      << " ef_search=" << o.params.efSearch << ", built on " << r.buildThreads << " threads\n";
    s.precision(1);
    s << "  build         " << r.buildSeconds << " s (" << static_cast<long long>(r.buildVectorsPerSecond) << " vectors/s)\n";
    s.precision(3);
    s << "  query         p50 " << r.queryP50Ms << " ms, p95 " << r.queryP95Ms << " ms, p99 " << r.queryP99Ms
      << " ms, mean " << r.queryMeanMs << " ms (" << o.latencyQueries << " single queries, k=" << o.k << ")\n"
      << "  exact         " << r.exactQueryMs << " ms of one core per query (batched brute force)\n"
      << "  recall@" << o.k << "     " << r.recallAtK << " mean, " << r.minRecallAtK << " worst (" << o.recallQueries
      << " queries)\n";
    for (const auto& p : r.sweep)
        s << "  ef_search " << p.efSearch << "  p50 " << p.p50Ms << " ms, p95 " << p.p95Ms << " ms, recall@" << o.k << " "
          << p.recallAtK << " mean, " << p.minRecallAtK << " worst\n";
    s.precision(1);
    s << "  memory        " << r.memoryBytes / 1048576.0 << " MiB (approx.)\n"
      << "  file          " << r.fileBytes / 1048576.0 << " MiB, saved in " << r.saveSeconds << " s, loaded+verified in "
      << r.loadSeconds << " s\n";
    return s.str();
}

std::string formatSearchBenchJson(const SearchBenchResult& r)
{
    const auto& o = r.options;
    nlohmann::json j = {
        {"vectors", o.vectors},
        {"dim", o.dim},
        {"seed", o.seed},
        {"k", o.k},
        {"cpu", r.cpu},
        {"cores", r.cores},
        {"kernel", r.kernel},
        {"build_threads", r.buildThreads},
        {"M", o.params.M},
        {"ef_construction", o.params.efConstruction},
        {"ef_search", o.params.efSearch},
        {"generate_s", r.generateSeconds},
        {"build_s", r.buildSeconds},
        {"build_vectors_per_s", r.buildVectorsPerSecond},
        {"query_p50_ms", r.queryP50Ms},
        {"query_p95_ms", r.queryP95Ms},
        {"query_p99_ms", r.queryP99Ms},
        {"query_mean_ms", r.queryMeanMs},
        {"latency_queries", o.latencyQueries},
        {"exact_query_ms", r.exactQueryMs},
        {"recall_at_k", r.recallAtK},
        {"min_recall_at_k", r.minRecallAtK},
        {"recall_queries", o.recallQueries},
        {"memory_bytes", r.memoryBytes},
        {"file_bytes", r.fileBytes},
        {"save_s", r.saveSeconds},
        {"load_s", r.loadSeconds},
    };
    nlohmann::json sweep = nlohmann::json::array();
    for (const auto& p : r.sweep)
        sweep.push_back({{"ef_search", p.efSearch}, {"query_p50_ms", p.p50Ms}, {"query_p95_ms", p.p95Ms},
                         {"recall_at_k", p.recallAtK}, {"min_recall_at_k", p.minRecallAtK}});
    j["ef_sweep"] = sweep;
    return j.dump(2);
}

} // namespace vop::bench
