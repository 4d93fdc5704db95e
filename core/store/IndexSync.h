#pragma once
// Keeps the derived HNSW indexes in step with the catalog (the truth).
//
//   auto r = ensureIndex(catalog, {modelId, promptSetId}, indexDir);
//   ... index a file (Catalog::replaceFileContent) ...
//   syncIndex(catalog, *r.index);           // adds the new rows only
//   r.index->save(indexFilePath(indexDir, r.index->key()));
//
// The watermark logic relies on the catalog never reusing an embedding rowid (AUTOINCREMENT)
// and on rows committing in rowid order (one writer at a time): every row above the index's
// watermark is new to it, every row at or below it was seen at build time.
#include "store/Catalog.h"
#include "store/VectorIndex.h"

#include <functional>
#include <memory>
#include <string>

namespace vop::store {

// progress(done, total) during a (re)build; returning false cancels (throws vop::Cancelled).
using BuildProgress = std::function<bool(size_t done, size_t total)>;

struct EnsureResult {
    std::shared_ptr<VectorIndex> index;
    bool rebuilt = false;
    std::string reason;  // why the file was not used as it was ("" when it was)
    size_t added = 0;    // rows above the file's watermark, added after loading
    size_t removed = 0;  // labels marked deleted because their rows left the catalog
    bool saved = false;  // the file was (re)written
    std::string saveError; // why the file could not be written ("" when it was or had not to be)
};

// "<indexDir>/m<model>-p<promptSet>.hnsw", or "...-zs.hnsw" for zero-shot.
std::string indexFilePath(const std::string& indexDir, const IndexKey& key);

// Loads the index file of `key` when it is valid and consistent with the catalog, brings it up
// to date (adds rows above its watermark, marks rows deleted since as deleted) and saves it
// when that changed anything. Otherwise (missing, damaged, other catalog/model/prompt
// set/dimension, ahead of the catalog, lacking rows, or more than 30% deleted) rebuilds it
// from the catalog and saves it. Throws InputError when the model is not in the catalog.
EnsureResult ensureIndex(Catalog& catalog, const IndexKey& key, const std::string& indexDir,
                         const IndexParams& params = {}, const BuildProgress& progress = {});

// A new index built from every embedding of `key` in the catalog (read in chunks).
std::unique_ptr<VectorIndex> buildIndex(Catalog& catalog, const IndexKey& key, const IndexParams& params = {},
                                        const BuildProgress& progress = {});

// Adds the catalog's rows above the index's watermark. Never adds a label twice. Returns the
// number added.
size_t syncIndex(Catalog& catalog, VectorIndex& index);

// Marks deleted the labels whose rows are no longer in the catalog. Returns how many.
size_t pruneIndex(Catalog& catalog, VectorIndex& index);

// "ok", or how the index and the catalog differ (for `status`).
std::string checkIndexConsistency(Catalog& catalog, const VectorIndex& index);

} // namespace vop::store
