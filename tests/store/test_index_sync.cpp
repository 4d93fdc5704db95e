// IndexSync: the index follows the catalog; anything wrong with its file means a rebuild.
#include "StoreTestUtil.h"
#include "TestMain.h"

#include "store/IndexSync.h"

#include <filesystem>
#include <limits>

using namespace vop;
using namespace vop::store;
using vop::test::TempDir;

namespace {

constexpr int kDim = 32;

// A catalog file with `files` indexed files of 3 segments, zero-shot and with a prompt set.
struct Library {
    TempDir dir;
    std::string dbPath = dir.file("library.sqlite3");
    std::string indexDir = dir.file("indexes");
    std::unique_ptr<Catalog> catalog = std::make_unique<Catalog>(dbPath);
    int64_t model = catalog->upsertModel("model-sha", "ViT-B/32", kDim);
    int64_t promptSet = catalog->upsertPromptSet("ps-sha", "vop-f+p", model, "fitted");
    int nextFile = 0;

    std::vector<int64_t> addFiles(int n)
    {
        std::vector<int64_t> ids;
        for (int i = 0; i < n; ++i, ++nextFile) {
            int64_t f = catalog->upsertFile(test::testFile("/lib/" + std::to_string(nextFile) + ".mp4")).fileId;
            FileContent c = test::testContent(model, std::nullopt, kDim, 3, nextFile + 1);
            for (auto& s : c.segments)
                s.embeddings.push_back({model, promptSet, test::testVector(kDim, 100000 + nextFile * 10 + s.embeddings.size())});
            catalog->replaceFileContent(f, c);
            ids.push_back(f);
        }
        return ids;
    }
    IndexKey zeroShot() const { return {model, std::nullopt}; }
    IndexKey withSet() const { return {model, promptSet}; }
    std::vector<int64_t> rows(const IndexKey& k)
    {
        return catalog->embeddingIds(k.modelId, k.promptSetId, std::numeric_limits<int64_t>::max());
    }
};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

} // namespace

VOP_TEST(syncFirstEnsureBuildsThenLoads)
{
    Library lib;
    lib.addFiles(20);
    auto first = ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
    VOP_CHECK(first.rebuilt);
    VOP_CHECK(contains(first.reason, "missing"));
    VOP_CHECK(first.saved);
    VOP_CHECK_EQ(first.index->size(), 60u);
    VOP_CHECK(first.index->labels() == lib.rows(lib.zeroShot()));
    VOP_CHECK(std::filesystem::exists(indexFilePath(lib.indexDir, lib.zeroShot())));
    VOP_CHECK(contains(indexFilePath(lib.indexDir, lib.withSet()), "-p"));

    auto second = ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
    VOP_CHECK(!second.rebuilt);
    VOP_CHECK(second.reason.empty());
    VOP_CHECK_EQ(second.added, 0u);
    VOP_CHECK(!second.saved);
    VOP_CHECK_EQ(second.index->size(), 60u);
    VOP_CHECK_EQ(checkIndexConsistency(*lib.catalog, *second.index), std::string("ok"));

    // The two spaces are separate indexes.
    auto other = ensureIndex(*lib.catalog, lib.withSet(), lib.indexDir);
    VOP_CHECK(other.rebuilt);
    VOP_CHECK(other.index->labels() == lib.rows(lib.withSet()));
}

VOP_TEST(syncAddsOnlyNewRowsAndNeverTwice)
{
    Library lib;
    lib.addFiles(10);
    auto r = ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
    VectorIndex& index = *r.index;
    lib.addFiles(5);
    VOP_CHECK_EQ(syncIndex(*lib.catalog, index), 15u);
    VOP_CHECK_EQ(index.size(), 45u);
    VOP_CHECK_EQ(syncIndex(*lib.catalog, index), 0u); // the same rows again: nothing
    VOP_CHECK_EQ(index.size(), 45u);
    // Replaying every row explicitly changes nothing either.
    lib.catalog->forEachEmbedding(lib.model, std::nullopt, 0, [&](int64_t id, const float* v, int) {
        VOP_CHECK(!index.add(id, v));
    });
    VOP_CHECK_EQ(index.size(), 45u);
    VOP_CHECK_EQ(index.deletedCount(), 0u);
    VOP_CHECK_EQ(checkIndexConsistency(*lib.catalog, index), std::string("ok"));

    // A stale file on disk (saved before the last 5 files) is loaded and caught up.
    auto again = ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
    VOP_CHECK(!again.rebuilt);
    VOP_CHECK_EQ(again.added, 15u);
    VOP_CHECK(again.saved);
    VOP_CHECK_EQ(again.index->size(), 45u);
    VOP_CHECK(again.index->labels() == lib.rows(lib.zeroShot()));
}

VOP_TEST(syncDeletedFilesLeaveTheIndex)
{
    Library lib;
    auto files = lib.addFiles(12);
    auto r = ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
    std::vector<float> q = test::testVector(kDim, 5 * 1000 + 1); // file 4's second segment
    auto hit = r.index->search(q.data(), 1);
    VOP_REQUIRE_EQ(hit.size(), 1u);
    auto moment = lib.catalog->segmentsForEmbeddings({hit[0].rowid});
    VOP_REQUIRE_EQ(moment.size(), 1u);
    VOP_CHECK_EQ(moment[0].path, std::string("/lib/4.mp4"));
    VOP_CHECK_NEAR(moment[0].start, 15.0, 1e-9);

    auto removed = lib.catalog->deleteFile(files[4]);
    VOP_CHECK_EQ(removed.size(), 6u); // 3 zero-shot + 3 prompt set
    // In a live index: pruneIndex. On the next start: ensureIndex does it.
    auto loaded = ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
    VOP_CHECK(!loaded.rebuilt);
    VOP_CHECK_EQ(loaded.removed, 3u);
    VOP_CHECK_EQ(loaded.index->size(), 33u);
    for (const auto& h : loaded.index->search(q.data(), 33))
        VOP_CHECK(std::find(removed.begin(), removed.end(), h.rowid) == removed.end());
    VOP_CHECK_EQ(checkIndexConsistency(*lib.catalog, *loaded.index), std::string("ok"));
    VOP_CHECK_EQ(pruneIndex(*lib.catalog, *r.index), 3u);
    VOP_CHECK_EQ(pruneIndex(*lib.catalog, *r.index), 0u);
    VOP_CHECK(r.index->labels() == loaded.index->labels());

    // Re-indexing a file replaces its rows: old labels deleted, new ones added, none twice.
    lib.catalog->replaceFileContent(files[0], test::testContent(lib.model, std::nullopt, kDim, 2, 4242));
    VOP_CHECK_EQ(pruneIndex(*lib.catalog, *r.index), 3u);
    VOP_CHECK_EQ(syncIndex(*lib.catalog, *r.index), 2u);
    VOP_CHECK_EQ(checkIndexConsistency(*lib.catalog, *r.index), std::string("ok"));
    VOP_CHECK(contains(checkIndexConsistency(*lib.catalog, *loaded.index), "not indexed"));
}

VOP_TEST(syncCorruptIndexFilesAreRebuilt)
{
    Library lib;
    lib.addFiles(15);
    const std::string path = indexFilePath(lib.indexDir, lib.zeroShot());
    ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
    const std::string good = test::readBytes(path);

    std::string flipped = good;
    for (size_t i = 100; i < flipped.size(); i += 997)
        flipped[i] = static_cast<char>(~flipped[i]);
    test::writeBytes(path, flipped);
    auto r1 = ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
    VOP_CHECK(r1.rebuilt);
    VOP_CHECK(contains(r1.reason, "damaged"));
    VOP_CHECK(r1.index->labels() == lib.rows(lib.zeroShot()));

    for (size_t len : {good.size() - 1, good.size() / 3, size_t(10), size_t(0)}) {
        test::writeBytes(path, good.substr(0, len));
        auto r = ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
        VOP_CHECK(r.rebuilt);
        VOP_CHECK(contains(r.reason, "truncated"));
        VOP_CHECK_EQ(r.index->size(), 45u);
    }
    // After the rebuilds the file is good again.
    auto ok = ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
    VOP_CHECK(!ok.rebuilt);
    VOP_CHECK_EQ(ok.index->size(), 45u);

    std::filesystem::remove(VectorIndex::metaPath(path));
    auto noMeta = ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
    VOP_CHECK(noMeta.rebuilt);
    VOP_CHECK(contains(noMeta.reason, "metadata"));
}

VOP_TEST(syncMismatchedIndexFilesAreRebuilt)
{
    Library lib;
    lib.addFiles(8);
    const std::string zsPath = indexFilePath(lib.indexDir, lib.zeroShot());
    const std::string psPath = indexFilePath(lib.indexDir, lib.withSet());
    ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);

    // The zero-shot file put where the prompt set's index belongs.
    std::filesystem::create_directories(lib.indexDir);
    std::filesystem::copy_file(zsPath, psPath, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(VectorIndex::metaPath(zsPath), VectorIndex::metaPath(psPath),
                               std::filesystem::copy_options::overwrite_existing);
    auto r = ensureIndex(*lib.catalog, lib.withSet(), lib.indexDir);
    VOP_CHECK(r.rebuilt);
    VOP_CHECK(contains(r.reason, "built for model " + std::to_string(lib.model) + ", zero-shot"));
    VOP_CHECK(r.index->labels() == lib.rows(lib.withSet()));

    // A sidecar that claims another dimension.
    std::string meta = test::readBytes(VectorIndex::metaPath(zsPath));
    auto pos = meta.find("\"dim\": 32");
    VOP_REQUIRE(pos != std::string::npos);
    meta.replace(pos, 9, "\"dim\": 64");
    test::writeBytes(VectorIndex::metaPath(zsPath), meta);
    auto d = ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
    VOP_CHECK(d.rebuilt);
    VOP_CHECK(contains(d.reason, "dimension 64, expected 32"));

    // Another catalog using the same index folder.
    Catalog other(lib.dir.file("other.sqlite3"));
    int64_t m = other.upsertModel("model-sha", "ViT-B/32", kDim);
    VOP_CHECK_EQ(m, lib.model);
    auto o = ensureIndex(other, lib.zeroShot(), lib.indexDir);
    VOP_CHECK(o.rebuilt);
    VOP_CHECK(contains(o.reason, "another catalog"));
    VOP_CHECK_EQ(o.index->size(), 0u);
    VOP_CHECK_THROWS_WITH(ensureIndex(other, IndexKey{77, std::nullopt}, lib.indexDir), "no model");
}

VOP_TEST(syncIndexAheadOfARestoredCatalogIsRebuilt)
{
    Library lib;
    lib.addFiles(5);
    lib.catalog.reset(); // closing checkpoints the WAL into the file
    const std::string backup = lib.dir.file("backup.sqlite3");
    std::filesystem::copy_file(lib.dbPath, backup);
    lib.catalog = std::make_unique<Catalog>(lib.dbPath);
    lib.addFiles(5);
    auto r = ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
    VOP_CHECK_EQ(r.index->size(), 30u);

    // The user restores the older catalog; it will hand out rowids the index already used.
    lib.catalog.reset();
    std::filesystem::remove(lib.dbPath + "-wal");
    std::filesystem::remove(lib.dbPath + "-shm");
    std::filesystem::copy_file(backup, lib.dbPath, std::filesystem::copy_options::overwrite_existing);
    lib.catalog = std::make_unique<Catalog>(lib.dbPath);
    auto restored = ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
    VOP_CHECK(restored.rebuilt);
    VOP_CHECK(contains(restored.reason, "ahead of the catalog"));
    VOP_CHECK_EQ(restored.index->size(), 15u);
    VOP_CHECK(restored.index->labels() == lib.rows(lib.zeroShot()));
}

VOP_TEST(syncHeavilyDeletedIndexIsCompacted)
{
    Library lib;
    auto files = lib.addFiles(10);
    ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
    for (int i = 0; i < 2; ++i)
        lib.catalog->deleteFile(files[i]);
    auto few = ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
    VOP_CHECK(!few.rebuilt);
    VOP_CHECK_EQ(few.removed, 6u);
    VOP_CHECK_EQ(few.index->deletedCount(), 6u);
    for (int i = 2; i < 6; ++i)
        lib.catalog->deleteFile(files[i]);
    auto many = ensureIndex(*lib.catalog, lib.zeroShot(), lib.indexDir);
    VOP_CHECK(many.rebuilt);
    VOP_CHECK(contains(many.reason, "compact"));
    VOP_CHECK_EQ(many.index->deletedCount(), 0u);
    VOP_CHECK_EQ(many.index->size(), 12u);
    VOP_CHECK_EQ(lib.catalog->integrityCheck(), std::string("ok"));
}

VOP_TEST(syncBuildReportsProgressAndCancels)
{
    Library lib;
    lib.addFiles(4);
    size_t calls = 0, lastDone = 0;
    auto index = buildIndex(*lib.catalog, lib.zeroShot(), {}, [&](size_t done, size_t total) {
        ++calls;
        lastDone = done;
        VOP_CHECK_EQ(total, 12u);
        return true;
    });
    VOP_CHECK(calls >= 1);
    VOP_CHECK_EQ(lastDone, 12u);
    VOP_CHECK_EQ(index->size(), 12u);
    VOP_CHECK_THROWS_WITH(buildIndex(*lib.catalog, lib.zeroShot(), {}, [](size_t, size_t) { return false; }),
                          "cancelled");
}
