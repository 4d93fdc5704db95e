#pragma once
// The ANN search benchmark behind `vopsearch-cli bench search --vectors N`: synthetic
// embeddings shaped like a video library's (topics -> videos -> segments, L2-normalised,
// seeded), an HNSW index built with the production parameters, single-query latency, and
// recall@k against exact brute-force search. Not a test: it measures this machine.
#include "store/VectorIndex.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace vop::bench {

struct SearchBenchOptions {
    size_t vectors = 100000;
    int dim = 512;
    size_t latencyQueries = 1000; // timed one at a time
    size_t recallQueries = 200;   // compared with exact search
    size_t k = 10;
    uint64_t seed = 42;
    store::IndexParams params;    // production defaults unless overridden
    std::string workDir;          // where the index is saved to measure its size; "" = temp dir
    bool keepFile = false;        // keep the saved index (and sidecar) instead of deleting it
    // Further ef_search values to measure on the same index (latency and recall), for tuning.
    std::vector<size_t> efSweep;
    // Called with a line of progress text ("building: 40000/100000"); may be empty.
    std::function<void(const std::string&)> progress;
};

// Latency and recall at one ef_search.
struct EfPoint {
    size_t efSearch = 0;
    double p50Ms = 0;
    double p95Ms = 0;
    double recallAtK = 0;
    double minRecallAtK = 0;
};

struct SearchBenchResult {
    SearchBenchOptions options;
    std::string cpu;               // model name from /proc/cpuinfo
    unsigned cores = 0;
    std::string kernel;            // dot-product kernel: avx512, avx2, portable
    unsigned buildThreads = 0;
    double generateSeconds = 0;
    double buildSeconds = 0;
    double buildVectorsPerSecond = 0;
    double queryP50Ms = 0;
    double queryP95Ms = 0;
    double queryP99Ms = 0;
    double queryMeanMs = 0;
    double exactQueryMs = 0;       // brute force, one query, for comparison
    double recallAtK = 0;          // mean over recallQueries
    double minRecallAtK = 0;       // worst single query
    size_t memoryBytes = 0;        // index heap, approximate
    uint64_t fileBytes = 0;        // index file on disk (sidecar excluded)
    double saveSeconds = 0;
    double loadSeconds = 0;        // load with full validation (checksum)
    std::vector<EfPoint> sweep;    // options.efSweep, measured
};

// Runs the benchmark. Throws vop::Error when the work folder is not writable.
SearchBenchResult runSearchBench(const SearchBenchOptions& options);

std::string formatSearchBenchText(const SearchBenchResult& r);
std::string formatSearchBenchJson(const SearchBenchResult& r); // one JSON object, pretty-printed

} // namespace vop::bench
