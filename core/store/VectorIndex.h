#pragma once
// An HNSW index (hnswlib) over the embeddings of one (model, prompt set). It is derived data:
// the catalog is the truth and IndexSync rebuilds the index whenever its file is missing,
// stale or corrupt.
//
//  - Cosine similarity as inner product on L2-normalised vectors; vectors are normalised on
//    add and on query, whatever the caller did.
//  - Label = the embedding's SQLite rowid. A label is never added twice, not even after it was
//    deleted (a duplicate corrupts hnswlib's graph; rowids are never reused by the catalog).
//  - Deletion marks the element deleted; it stays in the graph (and the file) until a rebuild.
//  - save() is atomic (temp file, fsync, rename) and writes a metadata sidecar
//    "<path>.meta.json" with catalog id, model id, prompt set id, dimension, counts, the
//    watermark (largest label ever added), the HNSW parameters and an XXH64 checksum of the
//    index file. load() checks all of them before hnswlib reads a byte, and throws
//    IndexRejected saying why.
//
// Threads: search() and the other const calls may run concurrently with each other and with
// add/remove (an internal reader-writer lock; writers wait for running searches). addBatch()
// inserts on several threads.
#include "util/Error.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vop::store {

// Which embedding space an index covers.
struct IndexKey {
    int64_t modelId = 0;
    std::optional<int64_t> promptSetId; // none = zero-shot
    bool operator==(const IndexKey& o) const { return modelId == o.modelId && promptSetId == o.promptSetId; }
    bool operator!=(const IndexKey& o) const { return !(*this == o); }
    std::string toString() const; // "model 3, prompt set 7" / "model 3, zero-shot"
};

struct IndexParams {
    // Chosen with SearchBench (512-d, library-shaped synthetic vectors, text-like queries) on
    // a 2-core Xeon: at 1M vectors ef_search 320 gives recall@10 0.988 at p50 1.5 ms (256:
    // 0.981 / 1.2 ms; 128: 0.959 / 0.7 ms); at 100k it gives 0.999 at well under 1 ms.
    // M=16 / ef_construction=200 builds 1M in ~15 min on 2 cores; ef_construction=100 is 4x
    // faster to build but lost 6 points of recall at 100k.
    size_t M = 16;
    size_t efConstruction = 200;
    size_t efSearch = 320;
    unsigned threads = 0; // for addBatch; 0 = hardware concurrency
};

struct SearchHit {
    int64_t rowid = 0;
    float score = 0; // cosine similarity, higher is closer
};

// What a saved index file says about itself (the sidecar).
struct IndexFileMeta {
    int formatVersion = 0;
    std::string catalogId;
    IndexKey key;
    int dim = 0;
    size_t count = 0;    // live vectors
    size_t elements = 0; // live + marked deleted
    int64_t watermark = 0;
    size_t M = 0;
    size_t efConstruction = 0;
    uint64_t fileSize = 0;
    std::string checksum; // XXH64 of the index file, hex
};

// Thrown by VectorIndex::load when a file is missing, damaged or for another space.
class IndexRejected : public Error {
public:
    using Error::Error;
};

class VectorIndex {
public:
    // An empty index for `key` in the catalog `catalogId`, with room for `capacity` vectors
    // (it grows by itself).
    VectorIndex(std::string catalogId, IndexKey key, int dim, const IndexParams& params = {}, size_t capacity = 0);
    ~VectorIndex();
    VectorIndex(const VectorIndex&) = delete;
    VectorIndex& operator=(const VectorIndex&) = delete;

    const std::string& catalogId() const;
    const IndexKey& key() const;
    int dim() const;
    const IndexParams& params() const;
    size_t size() const;         // live vectors
    size_t deletedCount() const; // marked deleted, still in the graph
    size_t capacity() const;
    int64_t watermark() const;   // largest label ever added; 0 when none

    bool contains(int64_t rowid) const; // live
    bool everAdded(int64_t rowid) const; // live or deleted

    // Adds one vector (dim floats). Returns false, changing nothing, when the label was ever
    // added before.
    bool add(int64_t rowid, const float* vec);
    // Adds count vectors (rowids[i] -> vecs + i*dim) on params().threads threads, skipping
    // labels already present and repeated ones. Returns how many were added.
    size_t addBatch(const int64_t* rowids, const float* vecs, size_t count);
    // Marks a label deleted. Returns false when it is not live.
    bool remove(int64_t rowid);
    std::vector<int64_t> labels() const; // live labels, ascending

    // The k nearest live vectors by cosine similarity, best first.
    std::vector<SearchHit> search(const float* query, size_t k) const;
    void setEfSearch(size_t ef);
    size_t efSearch() const;

    // Approximate heap bytes held by the graph, the vectors and the label map.
    size_t memoryBytes() const;

    void save(const std::string& path) const;
    // Loads and validates `path` against the expected space. Throws IndexRejected with the
    // reason when anything does not match; nothing is loaded then.
    static std::unique_ptr<VectorIndex> load(const std::string& path, const std::string& catalogId,
                                             const IndexKey& key, int dim, const IndexParams& params = {});
    // The sidecar of `path` (throws IndexRejected when missing or unreadable).
    static IndexFileMeta readMeta(const std::string& path);
    static std::string metaPath(const std::string& path) { return path + ".meta.json"; }

    struct Impl;

private:
    explicit VectorIndex(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace vop::store
