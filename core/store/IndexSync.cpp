#include "store/IndexSync.h"

#include "util/Error.h"
#include "util/Log.h"

#include <algorithm>
#include <filesystem>
#include <limits>

namespace vop::store {

namespace {

const char* kArea = "store";
constexpr int64_t kChunkRows = 16384;     // rows per read transaction while building
constexpr double kMaxDeletedFraction = 0.3;

int modelDim(Catalog& catalog, const IndexKey& key)
{
    auto model = catalog.model(key.modelId);
    if (!model)
        throw InputError("no model with id " + std::to_string(key.modelId) + " in the catalog '" + catalog.path() + "'");
    return model->dim;
}

// Streams rows above `after` into the index in chunks; each chunk is one short read
// transaction, so a long build never holds back the writer's WAL checkpoints.
size_t addRowsAbove(Catalog& catalog, VectorIndex& index, int64_t after, size_t total, const BuildProgress& progress)
{
    const IndexKey& key = index.key();
    const size_t dim = static_cast<size_t>(index.dim());
    std::vector<int64_t> ids;
    std::vector<float> vecs;
    size_t added = 0, seen = 0;
    for (;;) {
        ids.clear();
        vecs.clear();
        int64_t n = catalog.forEachEmbedding(key.modelId, key.promptSetId, after,
            [&](int64_t rowid, const float* v, int) {
                ids.push_back(rowid);
                vecs.insert(vecs.end(), v, v + dim);
            }, kChunkRows);
        if (n == 0)
            break;
        added += index.addBatch(ids.data(), vecs.data(), ids.size());
        seen += ids.size();
        after = ids.back();
        if (progress && !progress(seen, std::max(total, seen)))
            throw Cancelled();
    }
    return added;
}

} // namespace

std::string indexFilePath(const std::string& indexDir, const IndexKey& key)
{
    std::string name = "m" + std::to_string(key.modelId) +
                       (key.promptSetId ? "-p" + std::to_string(*key.promptSetId) : std::string("-zs")) + ".hnsw";
    return (std::filesystem::path(indexDir) / name).string();
}

std::unique_ptr<VectorIndex> buildIndex(Catalog& catalog, const IndexKey& key, const IndexParams& params,
                                        const BuildProgress& progress)
{
    const int dim = modelDim(catalog, key);
    const EmbeddingStats stats = catalog.embeddingStats(key.modelId, key.promptSetId);
    auto index = std::make_unique<VectorIndex>(catalog.catalogId(), key, dim, params, static_cast<size_t>(stats.count));
    addRowsAbove(catalog, *index, 0, static_cast<size_t>(stats.count), progress);
    return index;
}

size_t syncIndex(Catalog& catalog, VectorIndex& index)
{
    if (index.catalogId() != catalog.catalogId())
        throw Error("the index of " + index.key().toString() + " belongs to another catalog");
    return addRowsAbove(catalog, index, index.watermark(), 0, {});
}

size_t pruneIndex(Catalog& catalog, VectorIndex& index)
{
    const IndexKey& key = index.key();
    const std::vector<int64_t> rows = catalog.embeddingIds(key.modelId, key.promptSetId, index.watermark());
    if (rows.size() == index.size())
        return 0; // every row <= watermark was added, so equal counts mean equal sets
    size_t removed = 0;
    for (int64_t label : index.labels())
        if (!std::binary_search(rows.begin(), rows.end(), label) && index.remove(label))
            ++removed;
    return removed;
}

std::string checkIndexConsistency(Catalog& catalog, const VectorIndex& index)
{
    const IndexKey& key = index.key();
    const std::vector<int64_t> rows =
        catalog.embeddingIds(key.modelId, key.promptSetId, std::numeric_limits<int64_t>::max());
    const std::vector<int64_t> labels = index.labels();
    if (rows == labels)
        return "ok";
    std::vector<int64_t> missing, extra;
    std::set_difference(rows.begin(), rows.end(), labels.begin(), labels.end(), std::back_inserter(missing));
    std::set_difference(labels.begin(), labels.end(), rows.begin(), rows.end(), std::back_inserter(extra));
    return "the index of " + key.toString() + " has " + std::to_string(labels.size()) + " vectors, the catalog " +
           std::to_string(rows.size()) + " embeddings (" + std::to_string(missing.size()) + " not indexed, " +
           std::to_string(extra.size()) + " no longer in the catalog)";
}

namespace {
// The index answers from memory even when its file cannot be written (a full disk, a read-only
// folder); the file on disk stays as it was, and a later search or index run saves it again.
void saveOrWarn(const VectorIndex& index, const std::string& path, EnsureResult& r)
{
    try {
        index.save(path);
        r.saved = true;
    } catch (const std::exception& e) {
        r.saveError = e.what();
        VOP_LOG_WARN(kArea, "the index is used from memory, its file was not updated: {}", e.what());
    }
}
} // namespace

EnsureResult ensureIndex(Catalog& catalog, const IndexKey& key, const std::string& indexDir, const IndexParams& params,
                         const BuildProgress& progress)
{
    const int dim = modelDim(catalog, key);
    const std::string path = indexFilePath(indexDir, key);
    EnsureResult r;
    std::unique_ptr<VectorIndex> index;
    try {
        index = VectorIndex::load(path, catalog.catalogId(), key, dim, params);
    } catch (const IndexRejected& e) {
        r.reason = e.what();
    } catch (const std::exception& e) { // e.g. out of memory: rebuilding may still work
        r.reason = std::string("the index '") + path + "' could not be read: " + e.what();
    }

    if (index && index->watermark() > catalog.embeddingSequence()) {
        // The catalog was replaced by an older copy: rows above its sequence would get rowids
        // the index already used.
        r.reason = "the index '" + path + "' is ahead of the catalog (watermark " + std::to_string(index->watermark()) +
                   ", catalog sequence " + std::to_string(catalog.embeddingSequence()) + ")";
        index.reset();
    }
    if (index) {
        const std::vector<int64_t> rows = catalog.embeddingIds(key.modelId, key.promptSetId, index->watermark());
        if (rows.size() != index->size()) {
            const std::vector<int64_t> labels = index->labels();
            std::vector<int64_t> missing;
            std::set_difference(rows.begin(), rows.end(), labels.begin(), labels.end(), std::back_inserter(missing));
            if (!missing.empty()) {
                r.reason = "the index '" + path + "' lacks " + std::to_string(missing.size()) +
                           " embeddings at or below its watermark";
                index.reset();
            } else {
                for (int64_t label : labels)
                    if (!std::binary_search(rows.begin(), rows.end(), label) && index->remove(label))
                        ++r.removed;
            }
        }
    }
    if (index) {
        const size_t elements = index->size() + index->deletedCount();
        if (elements > 0 && index->deletedCount() > kMaxDeletedFraction * elements) {
            r.reason = "the index '" + path + "' has " + std::to_string(index->deletedCount()) + " of " +
                       std::to_string(elements) + " vectors deleted; rebuilt to compact it";
            index.reset();
        }
    }
    if (index) {
        r.added = syncIndex(catalog, *index);
        if (r.added || r.removed)
            saveOrWarn(*index, path, r);
        VOP_LOG_INFO(kArea, "index {}: loaded '{}', {} added, {} removed", key.toString(), path, r.added, r.removed);
    } else {
        VOP_LOG_INFO(kArea, "index {}: rebuilding ({})", key.toString(), r.reason);
        index = buildIndex(catalog, key, params, progress);
        r.rebuilt = true;
        saveOrWarn(*index, path, r);
    }
    r.index = std::move(index);
    return r;
}

} // namespace vop::store
