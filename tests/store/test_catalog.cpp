// Catalog: schema and migrations, refusal of foreign files, files/segments/embeddings.
#include "StoreTestUtil.h"
#include "TestMain.h"

#include "store/Catalog.h"
#include "store/Migrations.h"
#include "util/Error.h"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>

using namespace vop;
using namespace vop::store;
using vop::test::TempDir;

namespace {

// Direct SQL on a catalog file, to look behind the API or to break things on purpose.
struct RawDb {
    sqlite3* db = nullptr;
    explicit RawDb(const std::string& path) { sqlite3_open(path.c_str(), &db); }
    ~RawDb() { sqlite3_close(db); }
    void exec(const std::string& sql) { sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr); }
    int64_t scalar(const std::string& sql)
    {
        sqlite3_stmt* st = nullptr;
        int64_t v = -1;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
    }
    std::string text(const std::string& sql)
    {
        sqlite3_stmt* st = nullptr;
        std::string v;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return v;
    }
};

constexpr int kDim = 8;

// By value, so that VOP_CHECK_EQ's reference does not outlive a temporary optional.
FileRecord fileOf(Catalog& c, int64_t id)
{
    return c.file(id).value_or(FileRecord{});
}

} // namespace

// --- schema, migrations, refusal ----------------------------------------------------------------

VOP_TEST(catalogFreshDatabaseIsAtLatestVersionInWal)
{
    TempDir dir;
    const std::string path = dir.file("sub/folder/library.sqlite3"); // parent folders are created
    {
        Catalog c(path);
        VOP_CHECK_EQ(c.schemaVersion(), latestSchemaVersion());
        VOP_CHECK_EQ(c.catalogId().size(), 32u);
        VOP_CHECK_EQ(c.integrityCheck(), std::string("ok"));
    }
    RawDb raw(path);
    VOP_CHECK_EQ(raw.scalar("PRAGMA user_version"), int64_t(latestSchemaVersion()));
    VOP_CHECK_EQ(raw.scalar("PRAGMA application_id"), int64_t(kCatalogApplicationId));
    VOP_CHECK_EQ(raw.text("PRAGMA journal_mode"), std::string("wal"));
    for (const char* table : {"roots", "files", "segments", "models", "prompt_sets", "embeddings"})
        VOP_CHECK_EQ(raw.scalar(std::string("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='") + table + "'"),
                     int64_t(1));
}

VOP_TEST(catalogReopenKeepsData)
{
    TempDir dir;
    const std::string path = dir.file("c.sqlite3");
    std::string id;
    int64_t fileId = 0;
    {
        Catalog c(path);
        id = c.catalogId();
        int64_t model = c.upsertModel("sha-model", "ViT-B/32", kDim);
        int64_t root = c.addRoot("/videos");
        fileId = c.upsertFile(test::testFile("/videos/a.mp4", root)).fileId;
        c.replaceFileContent(fileId, test::testContent(model, std::nullopt, kDim, 3, 1));
    }
    Catalog c(path);
    VOP_CHECK_EQ(c.catalogId(), id);
    auto counts = c.counts();
    VOP_CHECK_EQ(counts.files, int64_t(1));
    VOP_CHECK_EQ(counts.indexedFiles, int64_t(1));
    VOP_CHECK_EQ(counts.segments, int64_t(3));
    VOP_CHECK_EQ(counts.embeddings, int64_t(3));
    auto f = c.file(fileId);
    VOP_REQUIRE(f.has_value());
    VOP_CHECK_EQ(f->media.codec, std::string("h264"));
    VOP_CHECK_EQ(f->media.width, 640);
    VOP_CHECK(f->indexedAt > 0);
}

VOP_TEST(catalogFailingMigrationChangesNothing)
{
    TempDir dir;
    const std::string path = dir.file("c.sqlite3");
    { Catalog c(path); }
    std::vector<Migration> broken = catalogMigrations();
    const int next = latestSchemaVersion() + 1;
    broken.push_back({next, "broken on purpose", "CREATE TABLE half_done(x INTEGER); CREATE TABLE oops(;"});
    CatalogOptions opts;
    opts.migrations = &broken;
    VOP_CHECK_THROWS_WITH(Catalog(path, opts), "schema version " + std::to_string(next));
    {
        RawDb raw(path);
        VOP_CHECK_EQ(raw.scalar("PRAGMA user_version"), int64_t(latestSchemaVersion()));
        VOP_CHECK_EQ(raw.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name='half_done'"), int64_t(0));
    }
    Catalog c(path); // still opens with the real migrations
    VOP_CHECK_EQ(c.schemaVersion(), latestSchemaVersion());

    // A brand-new file whose first migration fails stays empty (version 0, no tables).
    const std::string fresh = dir.file("fresh.sqlite3");
    std::vector<Migration> brokenFirst = {{1, "broken first", "CREATE TABLE a(x); CREATE TABLE b(x); SELEC 1;"}};
    opts.migrations = &brokenFirst;
    VOP_CHECK_THROWS_WITH(Catalog(fresh, opts), "schema version 1");
    RawDb raw(fresh);
    VOP_CHECK_EQ(raw.scalar("PRAGMA user_version"), int64_t(0));
    VOP_CHECK_EQ(raw.scalar("SELECT COUNT(*) FROM sqlite_master"), int64_t(0));
}

VOP_TEST(catalogMigratesAnOlderVersionStepByStep)
{
    TempDir dir;
    const std::string path = dir.file("c.sqlite3");
    std::vector<Migration> v1 = catalogMigrations();
    std::vector<Migration> v2 = v1;
    v2.push_back({latestSchemaVersion() + 1, "add notes", "CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT);"});
    CatalogOptions opts;
    opts.migrations = &v1;
    { Catalog c(path, opts); c.addRoot("/kept"); }
    opts.migrations = &v2;
    Catalog c(path, opts);
    VOP_CHECK_EQ(c.schemaVersion(), latestSchemaVersion() + 1);
    VOP_CHECK_EQ(c.roots().size(), 1u);
}

VOP_TEST(catalogNewerVersionIsRefusedUntouched)
{
    TempDir dir;
    const std::string path = dir.file("c.sqlite3");
    { Catalog c(path); }
    { RawDb raw(path); raw.exec("PRAGMA user_version = " + std::to_string(latestSchemaVersion() + 5)); }
    const std::string before = test::readBytes(path);
    try {
        Catalog c(path);
        VOP_CHECK(!"a newer catalog was opened");
    } catch (const InputError& e) {
        std::string msg = e.what();
        VOP_CHECK(msg.find("newer vopsearch") != std::string::npos);
        VOP_CHECK(msg.find(path) != std::string::npos);
    }
    VOP_CHECK(test::readBytes(path) == before);
}

VOP_TEST(catalogCorruptFileIsRefusedUntouched)
{
    TempDir dir;
    const std::string path = dir.file("not-a-db.sqlite3");
    std::string junk = test::readBytes("/dev/null");
    std::mt19937 rng(7);
    for (int i = 0; i < 16384; ++i)
        junk.push_back(static_cast<char>(rng()));
    test::writeBytes(path, junk);
    try {
        Catalog c(path);
        VOP_CHECK(!"random bytes were opened as a catalog");
    } catch (const InputError& e) {
        std::string msg = e.what();
        VOP_CHECK(msg.find(path) != std::string::npos);
        VOP_CHECK(msg.find("not a vopsearch catalog") != std::string::npos);
    }
    VOP_CHECK(test::readBytes(path) == junk);
    VOP_CHECK(!std::filesystem::exists(path + "-wal"));
}

VOP_TEST(catalogOtherProgramsDatabaseIsRefused)
{
    TempDir dir;
    const std::string path = dir.file("other.sqlite3");
    { RawDb raw(path); raw.exec("CREATE TABLE contacts(name TEXT); INSERT INTO contacts VALUES('x');"); }
    const std::string before = test::readBytes(path);
    VOP_CHECK_THROWS_WITH(Catalog(path), "not a vopsearch catalog");
    VOP_CHECK(test::readBytes(path) == before);
    { RawDb raw(path); raw.exec("DROP TABLE contacts; PRAGMA application_id = 1234;"); }
    VOP_CHECK_THROWS_WITH(Catalog(path), "another program");
}

VOP_TEST(catalogInMemoryWorks)
{
    Catalog c(":memory:");
    VOP_CHECK_EQ(c.schemaVersion(), latestSchemaVersion());
    VOP_CHECK_EQ(c.addRoot("/a"), c.addRoot("/a"));
    VOP_CHECK_EQ(c.integrityCheck(), std::string("ok"));
}

// --- roots and files ----------------------------------------------------------------------------

VOP_TEST(catalogRootsAddListRemoveCascades)
{
    Catalog c(":memory:");
    int64_t model = c.upsertModel("m", "model", kDim);
    int64_t a = c.addRoot("/a");
    int64_t b = c.addRoot("/b");
    VOP_CHECK_EQ(c.addRoot("/a"), a);
    VOP_CHECK_EQ(c.roots().size(), 2u);
    VOP_CHECK(c.findRoot("/b").has_value());
    int64_t f = c.upsertFile(test::testFile("/a/x.mp4", a)).fileId;
    c.replaceFileContent(f, test::testContent(model, std::nullopt, kDim, 2, 1));
    c.upsertFile(test::testFile("/b/y.mp4", b));
    c.removeRoot(a);
    VOP_CHECK_EQ(c.roots().size(), 1u);
    auto n = c.counts();
    VOP_CHECK_EQ(n.files, int64_t(1));
    VOP_CHECK_EQ(n.segments, int64_t(0));
    VOP_CHECK_EQ(n.embeddings, int64_t(0));
    VOP_CHECK_EQ(c.integrityCheck(), std::string("ok"));
}

VOP_TEST(catalogUpsertFileTracksChanges)
{
    Catalog c(":memory:");
    int64_t model = c.upsertModel("m", "model", kDim);
    auto r = c.upsertFile(test::testFile("/v/a.mp4"));
    VOP_CHECK(r.created);
    VOP_CHECK_EQ(fileOf(c, r.fileId).status, FileStatus::Pending);
    c.replaceFileContent(r.fileId, test::testContent(model, std::nullopt, kDim, 1, 1));

    auto same = c.upsertFile(test::testFile("/v/a.mp4"));
    VOP_CHECK_EQ(same.fileId, r.fileId);
    VOP_CHECK(!same.created);
    VOP_CHECK(!same.changed);
    VOP_CHECK_EQ(fileOf(c, r.fileId).status, FileStatus::Indexed);

    FileInfo noHash = test::testFile("/v/a.mp4");
    noHash.contentHash.clear(); // not computed this time: keeps the stored hash
    VOP_CHECK(!c.upsertFile(noHash).changed);
    VOP_CHECK_EQ(fileOf(c, r.fileId).contentHash, std::string("hash-of-/v/a.mp4"));

    FileInfo grown = test::testFile("/v/a.mp4", std::nullopt, 2000, "new-hash");
    auto changed = c.upsertFile(grown);
    VOP_CHECK(changed.changed);
    auto f = c.file(r.fileId);
    VOP_CHECK_EQ(f->status, FileStatus::Pending);
    VOP_CHECK_EQ(f->size, int64_t(2000));
    VOP_CHECK_EQ(f->contentHash, std::string("new-hash"));
    VOP_CHECK_EQ(c.segmentsOfFile(r.fileId).size(), 1u); // old moments stay until re-indexed
}

VOP_TEST(catalogMoveKeepsSegmentsAndEmbeddings)
{
    Catalog c(":memory:");
    int64_t model = c.upsertModel("m", "model", kDim);
    int64_t root = c.addRoot("/v");
    int64_t f = c.upsertFile(test::testFile("/v/old.mp4", root, 4242, "h1")).fileId;
    auto content = c.replaceFileContent(f, test::testContent(model, std::nullopt, kDim, 3, 5));
    // A stale pending record sits where the file moves to.
    int64_t stale = c.upsertFile(test::testFile("/v/new.mp4", root, 1, "other")).fileId;

    auto candidates = c.findFilesBySizeAndHash(4242, "h1");
    VOP_REQUIRE_EQ(candidates.size(), 1u);
    VOP_CHECK_EQ(candidates[0].id, f);
    VOP_CHECK(c.findFilesBySizeAndHash(4242, "").empty());

    c.moveFile(f, "/v/new.mp4", root, 99);
    VOP_CHECK(!c.findFileByPath("/v/old.mp4"));
    auto moved = c.findFileByPath("/v/new.mp4");
    VOP_REQUIRE(moved.has_value());
    VOP_CHECK_EQ(moved->id, f);
    VOP_CHECK_EQ(moved->status, FileStatus::Indexed);
    VOP_CHECK_EQ(moved->mtimeNs, int64_t(99));
    VOP_CHECK(!c.file(stale).has_value());
    std::vector<int64_t> segIds;
    for (const auto& s : c.segmentsOfFile(f))
        segIds.push_back(s.id);
    VOP_CHECK(segIds == content.segmentIds);
    VOP_CHECK(c.embeddingIds(model, std::nullopt, 1 << 30) == content.embeddingIds);
    auto hits = c.segmentsForEmbeddings(content.embeddingIds);
    VOP_REQUIRE_EQ(hits.size(), 3u);
    VOP_CHECK_EQ(hits[0].path, std::string("/v/new.mp4"));
    VOP_CHECK_THROWS_WITH(c.moveFile(12345, "/v/z.mp4", root, 1), "no longer in the catalog");
}

VOP_TEST(catalogReplaceFileContentIsAllOrNothing)
{
    Catalog c(":memory:");
    int64_t model = c.upsertModel("m", "model", kDim);
    int64_t f = c.upsertFile(test::testFile("/v/a.mp4")).fileId;
    auto first = c.replaceFileContent(f, test::testContent(model, std::nullopt, kDim, 4, 1));
    VOP_CHECK_EQ(first.segmentIds.size(), 4u);
    VOP_CHECK_EQ(first.embeddingIds.size(), 4u);
    VOP_CHECK(first.removedEmbeddingIds.empty());
    VOP_CHECK_EQ(c.thumbnail(first.segmentIds[1]), std::string("\xFF\xD8 thumb 1/1"));

    // A bad vector in the last segment: nothing of the new content, all of the old one stays.
    FileContent bad = test::testContent(model, std::nullopt, kDim, 3, 2);
    bad.segments.back().embeddings[0].vector.resize(kDim - 1);
    VOP_CHECK_THROWS_WITH(c.replaceFileContent(f, bad), "expected 8");
    FileContent zero = test::testContent(model, std::nullopt, kDim, 2, 2);
    std::fill(zero.segments[1].embeddings[0].vector.begin(), zero.segments[1].embeddings[0].vector.end(), 0.f);
    VOP_CHECK_THROWS_WITH(c.replaceFileContent(f, zero), "all zeros");
    FileContent dup = test::testContent(model, std::nullopt, kDim, 1, 2);
    dup.segments[0].embeddings.push_back(dup.segments[0].embeddings[0]); // same (segment, model, zero-shot)
    VOP_CHECK_THROWS_WITH(c.replaceFileContent(f, dup), "UNIQUE");
    VOP_CHECK_THROWS_WITH(c.replaceFileContent(f, FileContent{}), "skipped");
    VOP_CHECK_EQ(c.segmentsOfFile(f).size(), 4u);
    VOP_CHECK(c.embeddingIds(model, std::nullopt, 1 << 30) == first.embeddingIds);
    VOP_CHECK_EQ(fileOf(c, f).status, FileStatus::Indexed);

    auto second = c.replaceFileContent(f, test::testContent(model, std::nullopt, kDim, 2, 3));
    VOP_CHECK(second.removedEmbeddingIds == first.embeddingIds);
    VOP_CHECK_EQ(c.segmentsOfFile(f).size(), 2u);
    VOP_CHECK(c.embeddingIds(model, std::nullopt, 1 << 30) == second.embeddingIds);
    VOP_CHECK(second.embeddingIds.front() > first.embeddingIds.back()); // rowids never reused
    VOP_CHECK_EQ(c.integrityCheck(), std::string("ok"));

    c.deleteFile(f);
    VOP_CHECK_THROWS_WITH(c.replaceFileContent(f, test::testContent(model, std::nullopt, kDim, 1, 4)),
                          "no longer in the catalog");
}

VOP_TEST(catalogDeleteFileCascades)
{
    Catalog c(":memory:");
    int64_t model = c.upsertModel("m", "model", kDim);
    int64_t ps = c.upsertPromptSet("ps-sha", "vop-f+p", model, "my set");
    int64_t f = c.upsertFile(test::testFile("/v/a.mp4")).fileId;
    int64_t g = c.upsertFile(test::testFile("/v/b.mp4")).fileId;
    FileContent content = test::testContent(model, std::nullopt, kDim, 3, 1);
    for (auto& s : content.segments)
        s.embeddings.push_back({model, ps, test::testVector(kDim, 77)});
    auto r = c.replaceFileContent(f, content);
    VOP_CHECK_EQ(r.embeddingIds.size(), 6u);
    c.replaceFileContent(g, test::testContent(model, std::nullopt, kDim, 1, 2));
    auto removed = c.deleteFile(f);
    std::sort(r.embeddingIds.begin(), r.embeddingIds.end());
    VOP_CHECK(removed == r.embeddingIds);
    auto n = c.counts();
    VOP_CHECK_EQ(n.files, int64_t(1));
    VOP_CHECK_EQ(n.segments, int64_t(1));
    VOP_CHECK_EQ(n.embeddings, int64_t(1));
    VOP_CHECK(c.segmentsForEmbeddings(r.embeddingIds).empty());
    VOP_CHECK_EQ(c.integrityCheck(), std::string("ok"));
}

VOP_TEST(catalogOfflineMarking)
{
    Catalog c(":memory:");
    int64_t model = c.upsertModel("m", "model", kDim);
    int64_t root = c.addRoot("/media/usb");
    int64_t indexed = c.upsertFile(test::testFile("/media/usb/a.mp4", root)).fileId;
    c.replaceFileContent(indexed, test::testContent(model, std::nullopt, kDim, 1, 1));
    int64_t pending = c.upsertFile(test::testFile("/media/usb/b.mp4", root)).fileId;

    c.setRootMounted(root, false);
    VOP_CHECK(!c.findRoot("/media/usb")->mounted);
    VOP_CHECK_EQ(c.filesWithStatus(FileStatus::Offline).size(), 2u);
    VOP_CHECK_EQ(c.counts().embeddings, int64_t(1)); // offline is not deleted
    c.setRootMounted(root, true);
    VOP_CHECK_EQ(fileOf(c, indexed).status, FileStatus::Indexed);
    VOP_CHECK_EQ(fileOf(c, pending).status, FileStatus::Pending);

    c.markFileOffline(indexed);
    VOP_CHECK_EQ(fileOf(c, indexed).status, FileStatus::Offline);
    c.upsertFile(test::testFile("/media/usb/a.mp4", root)); // seen again, unchanged
    VOP_CHECK_EQ(fileOf(c, indexed).status, FileStatus::Indexed);

    c.setFileStatus(pending, FileStatus::Failed, "cannot decode: invalid data");
    VOP_CHECK_EQ(fileOf(c, pending).error, std::string("cannot decode: invalid data"));
    VOP_CHECK_EQ(c.counts().failedFiles, int64_t(1));
    VOP_CHECK_THROWS_WITH(c.setFileStatus(pending, FileStatus::Indexed), "no segments");
    c.setFileStatus(pending, FileStatus::Pending);
    VOP_CHECK(c.file(pending)->error.empty());
    c.setFileStatus(987654, FileStatus::Skipped, "gone"); // an unknown id is a no-op
}

// --- embeddings ---------------------------------------------------------------------------------

VOP_TEST(catalogEmbeddingEnumerationBySpaceAndWatermark)
{
    Catalog c(":memory:");
    int64_t model = c.upsertModel("m", "model", kDim);
    int64_t other = c.upsertModel("m2", "model 2", 4);
    int64_t ps = c.upsertPromptSet("ps", "vop-p", model, "set");
    VOP_CHECK_EQ(c.upsertModel("m", "renamed", kDim), model);
    VOP_CHECK_THROWS_WITH(c.upsertModel("m", "model", 16), "dimension");
    VOP_CHECK_EQ(c.model(model).value_or(ModelRecord{}).name, std::string("renamed"));
    VOP_CHECK_THROWS_WITH(c.upsertPromptSet("ps", "vop-p", other, "set"), "for model");

    std::vector<int64_t> zeroShot, withSet;
    for (int i = 0; i < 5; ++i) {
        int64_t f = c.upsertFile(test::testFile("/v/" + std::to_string(i) + ".mp4")).fileId;
        FileContent content = test::testContent(model, std::nullopt, kDim, 2, 10 + i);
        for (auto& s : content.segments)
            s.embeddings.push_back({model, ps, test::testVector(kDim, 500 + i)});
        auto r = c.replaceFileContent(f, content);
        for (size_t k = 0; k < r.embeddingIds.size(); ++k)
            (k % 2 == 0 ? zeroShot : withSet).push_back(r.embeddingIds[k]);
    }
    auto stats = c.embeddingStats(model, std::nullopt);
    VOP_CHECK_EQ(stats.count, int64_t(10));
    VOP_CHECK_EQ(stats.maxRowid, zeroShot.back());
    VOP_CHECK_EQ(c.embeddingStats(model, ps).count, int64_t(10));
    VOP_CHECK_EQ(c.embeddingStats(other, std::nullopt).count, int64_t(0));

    std::vector<int64_t> seen;
    int64_t n = c.forEachEmbedding(model, ps, withSet[3], [&](int64_t id, const float* v, int dim) {
        VOP_CHECK_EQ(dim, kDim);
        VOP_CHECK(v != nullptr);
        seen.push_back(id);
    });
    VOP_CHECK_EQ(n, int64_t(6));
    VOP_CHECK(seen == std::vector<int64_t>(withSet.begin() + 4, withSet.end()));
    seen.clear();
    c.forEachEmbedding(model, std::nullopt, 0, [&](int64_t id, const float*, int) { seen.push_back(id); }, 3);
    VOP_CHECK(seen == std::vector<int64_t>(zeroShot.begin(), zeroShot.begin() + 3));
    VOP_CHECK(c.embeddingIds(model, std::nullopt, zeroShot[4]) == std::vector<int64_t>(zeroShot.begin(), zeroShot.begin() + 5));

    // The stored vector comes back bit for bit.
    auto segs = c.segmentsOfFile(c.findFileByPath("/v/0.mp4")->id);
    auto v = c.embeddingOfSegment(segs[1].id, model, std::nullopt);
    VOP_REQUIRE(v.has_value());
    VOP_CHECK(*v == test::testVector(kDim, 10 * 1000 + 1));

    // Re-embedding a segment for a prompt set replaces the row under a new rowid.
    auto added = c.addEmbeddings({{segs[0].id, {model, ps, test::testVector(kDim, 999)}}});
    VOP_REQUIRE_EQ(added.size(), 1u);
    VOP_CHECK(added[0] > c.embeddingStats(model, std::nullopt).maxRowid);
    VOP_CHECK_EQ(c.embeddingStats(model, ps).count, int64_t(10));
    VOP_CHECK_EQ(c.embeddingSequence(), added[0]);
    VOP_CHECK_THROWS_WITH(c.addEmbeddings({{segs[0].id, {other, ps, test::testVector(4, 1)}}}), "belongs to model");

    c.removePromptSet(ps);
    VOP_CHECK_EQ(c.embeddingStats(model, ps).count, int64_t(0));
    VOP_CHECK_EQ(c.embeddingStats(model, std::nullopt).count, int64_t(10));
    VOP_CHECK_EQ(c.integrityCheck(), std::string("ok"));
}

VOP_TEST(catalogSegmentsForEmbeddingsKeepsOrder)
{
    Catalog c(":memory:");
    int64_t model = c.upsertModel("m", "model", kDim);
    int64_t a = c.upsertFile(test::testFile("/v/a.mp4")).fileId;
    int64_t b = c.upsertFile(test::testFile("/v/b.mp4")).fileId;
    auto ra = c.replaceFileContent(a, test::testContent(model, std::nullopt, kDim, 2, 1));
    auto rb = c.replaceFileContent(b, test::testContent(model, std::nullopt, kDim, 2, 2, 100.0));
    auto hits = c.segmentsForEmbeddings({rb.embeddingIds[1], 999999, ra.embeddingIds[0]});
    VOP_REQUIRE_EQ(hits.size(), 2u);
    VOP_CHECK_EQ(hits[0].path, std::string("/v/b.mp4"));
    VOP_CHECK_NEAR(hits[0].start, 115.0, 1e-9);
    VOP_CHECK_NEAR(hits[0].end, 130.0, 1e-9);
    VOP_CHECK_EQ(hits[0].fileStatus, FileStatus::Indexed);
    VOP_CHECK_EQ(hits[1].path, std::string("/v/a.mp4"));
    VOP_CHECK_EQ(hits[1].segmentId, ra.segmentIds[0]);
}

VOP_TEST(catalogIntegrityCheckReportsProblems)
{
    TempDir dir;
    const std::string path = dir.file("c.sqlite3");
    {
        Catalog c(path);
        int64_t model = c.upsertModel("m", "model", kDim);
        int64_t f = c.upsertFile(test::testFile("/v/a.mp4")).fileId;
        c.replaceFileContent(f, test::testContent(model, std::nullopt, kDim, 1, 1));
        VOP_CHECK_EQ(c.integrityCheck(), std::string("ok"));
    }
    {
        RawDb raw(path); // foreign keys are off on this connection: break them
        raw.exec("INSERT INTO segments(file_id, start_s, end_s) VALUES (4242, 0, 1);"
                 "UPDATE files SET status = 'indexed'; INSERT INTO files(path, size, mtime_ns, status)"
                 " VALUES ('/v/empty.mp4', 1, 1, 'indexed');");
    }
    Catalog c(path);
    std::string report = c.integrityCheck();
    VOP_CHECK(report.find("foreign key violation: segments") != std::string::npos);
    VOP_CHECK(report.find("1 indexed files have no segments") != std::string::npos);
}

VOP_TEST(catalogTransactionsRollBackAndNest)
{
    Catalog c(":memory:");
    try {
        c.transaction([&] {
            c.addRoot("/a");
            c.transaction([&] { c.addRoot("/b"); });
            throw std::runtime_error("stop");
        });
    } catch (const std::runtime_error&) {
    }
    VOP_CHECK(c.roots().empty());
    c.transaction([&] {
        c.addRoot("/a");
        try {
            c.transaction([&] {
                c.addRoot("/b");
                throw std::runtime_error("inner only");
            });
        } catch (const std::runtime_error&) {
        }
    });
    auto roots = c.roots();
    VOP_REQUIRE_EQ(roots.size(), 1u);
    VOP_CHECK_EQ(roots[0].path, std::string("/a"));
    VOP_CHECK_THROWS_WITH(c.readSnapshot([&] { c.addRoot("/c"); }), "readSnapshot");
}
