// The indexing pipeline and search, in process, with the tiny CLIP fixture: every bad input the
// issue lists, pause / resume / cancel, files deleted during the scan and while indexing, search
// with filters, negative terms and examples, and searching while the indexer writes.
#include "LibraryTestSupport.h"

#include "library/Indexer.h"
#include "library/internal/IndexerImpl.h"
#include "media/ImageCodec.h"
#include "search/Searcher.h"
#include "store/Catalog.h"
#include "store/IndexSync.h"
#include "util/Error.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace vop;
using namespace vop::test::library;
using vop::library::IndexProgress;
using vop::store::FileStatus;

namespace {

VopEncoder& encoder()
{
    static VopEncoder e = tinyEncoder(4);
    return e;
}

vop::library::IndexerOptions quickOptions()
{
    vop::library::IndexerOptions o;
    o.sync.settleSeconds = 0;
    o.decodeWorkers = 2;
    return o;
}

std::set<std::string> pathsOf(const std::vector<vop::library::PathProblem>& list)
{
    std::set<std::string> s;
    for (const auto& p : list)
        s.insert(p.path);
    return s;
}

// A library of `n` short videos (the first is 40 s: three segments), made once per name.
std::string smallLibrary(const std::string& name, int n)
{
    const std::string dir = freshDir(name);
    for (int i = 0; i < n; ++i) {
        char file[32];
        std::snprintf(file, sizeof file, "/v%02d.%s", i, i % 3 == 2 ? "mkv" : "mp4");
        makeVideo(dir + file, i == 0 ? 40 : 2, i, "64x36", i == 0 ? 1 : 4);
    }
    ageTree(dir);
    return dir;
}

struct Opened {
    std::unique_ptr<store::Catalog> catalog;
    std::shared_ptr<store::VectorIndex> index;
    store::IndexKey key;
};

Opened openSearch(const std::string& db)
{
    Opened o;
    o.catalog = std::make_unique<store::Catalog>(db);
    const auto id = vop::library::identifySpace(encoder(), vop::library::hashCacheFor(db));
    o.key = *vop::library::findSpace(*o.catalog, id);
    o.index = store::ensureIndex(*o.catalog, o.key, vop::library::indexDirFor(db)).index;
    return o;
}

float dot(const std::vector<float>& a, const std::vector<float>& b)
{
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i)
        s += double(a[i]) * b[i];
    return float(s);
}

} // namespace

VOP_TEST(badInputsAreIndexedOrReportedWithAReason)
{
    const std::string lib = freshDir("bad");
    for (const auto& e : fs::directory_iterator(shared("media")))
        if (e.path().filename() != "README.md")
            fs::copy_file(e.path(), lib + "/" + e.path().filename().string());
    // Generated at test time: tiny, short, low frame rates.
    makeVideo(lib + "/good.mp4", 2, 1);
    writeBytes(lib + "/zero.mp4", "");
    writeBytes(lib + "/random.mp4", randomBytes(20000, 3));
    writeBytes(lib + "/text.mkv", "This is a text file that claims to be a Matroska video.\n");
    ffmpeg("-f lavfi -i sine=frequency=440:duration=1 -c:a aac " + shellQuote(lib + "/audio-only.mp4"));
    ffmpeg("-f lavfi -i sine=frequency=440:duration=1 -c:a libvorbis " + shellQuote(lib + "/audio-only.mka"));
    makeVideo(lib + "/truncated.mp4", 3, 2, "96x54", 5);
    {
        const std::string whole = readBytes(lib + "/truncated.mp4");
        writeBytes(lib + "/truncated.mp4", whole.substr(0, whole.size() * 2 / 5));
    }
    makeVideo(lib + "/garbled.mp4", 2, 3);
    {
        std::string bytes = readBytes(lib + "/garbled.mp4");
        const std::string junk = randomBytes(64, 9);
        std::copy(junk.begin(), junk.end(), bytes.begin());
        writeBytes(lib + "/garbled.mp4", bytes);
    }
    makeVideo(lib + "/unreadable.mp4", 1, 4);
    ::chmod((lib + "/unreadable.mp4").c_str(), 0); // root reads it anyway; anyone else gets a reason
    const std::string nonUtf8 = lib + "/bad-\xff\xfe-name.mp4";
    makeVideo(nonUtf8, 1, 5);
    const std::string longName = lib + "/" + std::string(240, 'x') + ".mp4";
    makeVideo(longName, 1, 6);
    const std::string odd = lib + "/commas, #hash & ünïcödé 日本語 'quote'.mp4";
    makeVideo(odd, 1, 7);
    fs::create_directories(lib + "/nested/deeper");
    fs::create_directory_symlink(lib + "/nested", lib + "/nested/deeper/loop");
    makeVideo(lib + "/nested/portrait.mp4", 1, 8, "1080x1920", 2);
    makeVideo(lib + "/nested/long70.mp4", 70, 9, "64x36", 1);
    ffmpeg("-f lavfi -i testsrc=size=64x36:rate=5 -frames:v 1 -c:v libx264 -pix_fmt yuv420p " +
           shellQuote(lib + "/single-frame.mp4"));
    ageTree(lib);
    const std::string db = tempRoot() + "/bad.sqlite3";

    vop::library::Indexer indexer(db, encoder(), quickOptions());
    const auto r = indexer.run({lib});
    VOP_CHECK(!r.cancelled);
    const std::set<std::string> indexed(r.indexed.begin(), r.indexed.end());
    const auto skipped = pathsOf(r.skipped), failed = pathsOf(r.failed);
    auto reasonOf = [&](const std::string& name) {
        for (const auto* list : {&r.skipped, &r.failed})
            for (const auto& p : *list)
                if (p.path == lib + "/" + name)
                    return p.reason;
        return std::string();
    };
    for (const char* name : {"sample.mp4", "sample.mkv", "sample.ts", "sample.avi", "sample.mpg", "white.mp4",
                             "minimal.mp4", "video_rotation_90.mp4", "good.mp4", "nested/portrait.mp4",
                             "nested/long70.mp4", "single-frame.mp4"})
        if (!indexed.count(lib + "/" + name))
            vop::test::fail(__FILE__, __LINE__, std::string(name) + " was not indexed: " + reasonOf(name), false);
    VOP_CHECK(indexed.count(nonUtf8));
    VOP_CHECK(indexed.count(longName));
    VOP_CHECK(indexed.count(odd));
    if (::geteuid() != 0)
        VOP_CHECK(reasonOf("unreadable.mp4").find("ermission") != std::string::npos);
    // Reported as skipped with a reason a person understands.
    const std::map<std::string, std::string> expectSkipped = {
        {"zero.mp4", "empty"},            {"random.mp4", ""},          {"text.mkv", ""},
        {"audio-only.mp4", "no video"},   {"audio-only.mka", "no video"}, {"sample.mp3", "no video"},
        {"sample.ogg", "no video"},       {"bipbop_audioinit.mp4", "no video"}, {"chunk_out_of_range.mp4", ""},
        {"short-cenc.mp4", "ncrypt"}};
    for (const auto& [name, words] : expectSkipped) {
        const std::string reason = reasonOf(name);
        if (!skipped.count(lib + "/" + name) || reason.empty() || reason.find(words) == std::string::npos)
            vop::test::fail(__FILE__, __LINE__, name + ": expected skipped (" + words + "), got '" + reason + "'", false);
    }
    // Damaged files: indexed from what decodes, or a reason.
    for (const char* name : {"truncated.mp4", "garbled.mp4", "bipbop_nonfragment_header.mp4"})
        if (!indexed.count(lib + "/" + name) && reasonOf(name).empty())
            vop::test::fail(__FILE__, __LINE__, std::string(name) + ": neither indexed nor reported", false);
    for (const auto* list : {&r.skipped, &r.failed})
        for (const auto& p : *list)
            std::printf("  %s: %s\n", p.path.substr(lib.size() + 1).c_str(), p.reason.c_str());
    // Every file once, and the catalog agrees.
    VOP_CHECK_EQ(indexed.size() + skipped.size() + failed.size(), r.indexed.size() + r.skipped.size() + r.failed.size());
    store::Catalog c(db);
    VOP_CHECK_EQ(c.integrityCheck(), std::string("ok"));
    const auto counts = c.counts();
    VOP_CHECK_EQ(counts.pendingFiles, int64_t(0));
    VOP_CHECK_EQ(counts.indexedFiles, int64_t(indexed.size()));
    VOP_CHECK_EQ(counts.files, int64_t(indexed.size() + skipped.size() + failed.size()));
    VOP_CHECK_EQ(counts.embeddings, counts.segments);
    VOP_CHECK_EQ(r.indexVectors, size_t(counts.embeddings));
    for (const auto& p : r.skipped) {
        const auto f = c.findFileByPath(p.path);
        VOP_CHECK(f && f->status == FileStatus::Skipped && f->error == p.reason && c.segmentsOfFile(f->id).empty());
    }
    // The 70-second video has several segments covering it; thumbnails are upright.
    const auto long70 = c.findFileByPath(lib + "/nested/long70.mp4");
    VOP_REQUIRE(long70.has_value());
    const auto segs = c.segmentsOfFile(long70->id);
    VOP_CHECK(segs.size() >= 4);
    VOP_CHECK_NEAR(segs.front().start, 0.0, 1e-6);
    VOP_CHECK_NEAR(segs.back().end, 70.0, 0.5);
    for (const char* name : {"nested/portrait.mp4", "video_rotation_90.mp4"}) {
        const auto f = c.findFileByPath(lib + "/" + name);
        VOP_REQUIRE(f.has_value());
        const auto s = c.segmentsOfFile(f->id);
        VOP_REQUIRE(!s.empty() && s.front().hasThumbnail);
        const auto img = media::decodeImage(c.thumbnail(s.front().id));
        VOP_CHECK(img.height > img.width);
    }

    // A second run has nothing to do and reports nothing twice.
    vop::library::Indexer again(db, encoder(), quickOptions());
    const auto r2 = again.run({lib});
    VOP_CHECK(r2.indexed.empty());
    VOP_CHECK(r2.skipped.empty());
    VOP_CHECK(r2.sync.removed.empty());
    VOP_CHECK_EQ(r2.sync.unchanged, int64_t(counts.files));
    VOP_CHECK_EQ(r2.indexVectors, size_t(counts.embeddings));
}

VOP_TEST(pausesResumesAndSeesFilesDeletedDuringScanAndIndexing)
{
    const std::string lib = smallLibrary("pause", 5);
    const std::string duringScan = lib + "/v04.mp4", duringIndexing = lib + "/v03.mp4";
    const std::string db = tempRoot() + "/pause.sqlite3";
    vop::library::Indexer indexer(db, encoder(), quickOptions());
    int pausedCalls = 0;
    bool scanned = false;
    int64_t doneWhilePaused = -1;
    const auto r = indexer.run({lib}, [&](const IndexProgress& p) {
        if (p.phase == IndexProgress::Phase::Scanning && !scanned) {
            scanned = true;               // the listing is complete: this file is in it
            fs::remove(duringScan);
            indexer.pause();
        } else if (p.phase == IndexProgress::Phase::Indexing && indexer.isPaused()) {
            VOP_CHECK(p.paused);
            if (doneWhilePaused < 0)
                doneWhilePaused = p.filesDone;
            VOP_CHECK_EQ(p.filesDone, doneWhilePaused); // nothing moves while paused
            if (++pausedCalls == 4) {
                fs::remove(duringIndexing);
                indexer.resume();
            }
        }
    });
    VOP_CHECK(scanned);
    VOP_CHECK_EQ(pausedCalls, 4);
    VOP_CHECK(!r.cancelled);
    VOP_CHECK_EQ(r.indexed.size(), size_t(3));
    VOP_CHECK(r.failed.empty());
    VOP_REQUIRE_EQ(r.skipped.size(), size_t(1));
    VOP_CHECK_EQ(r.skipped[0].path, duringIndexing);
    VOP_CHECK(r.skipped[0].reason.find("deleted") != std::string::npos);
    store::Catalog c(db);
    VOP_CHECK(!c.findFileByPath(duringScan));
    VOP_CHECK(!c.findFileByPath(duringIndexing));
    VOP_CHECK_EQ(c.counts().files, int64_t(3));
    VOP_CHECK_EQ(c.integrityCheck(), std::string("ok"));
}

VOP_TEST(cancelLeavesTheRestPendingAndTheNextRunFinishes)
{
    const std::string lib = smallLibrary("cancel", 16);
    const std::string db = tempRoot() + "/cancel.sqlite3";
    auto o = quickOptions();
    o.decodeWorkers = 1;
    o.segmentsPerBatch = 1;
    vop::library::Indexer indexer(db, encoder(), o);
    const auto r = indexer.run({lib}, [&](const IndexProgress& p) {
        if (p.filesDone >= 2)
            indexer.cancel();
    });
    VOP_CHECK(r.cancelled);
    // The callback runs after every file: the cancel lands after the second; files finished by
    // then are still committed.
    VOP_CHECK(r.indexed.size() >= 2 && r.indexed.size() < 16);
    {
        store::Catalog c(db);
        const auto counts = c.counts();
        VOP_CHECK_EQ(counts.indexedFiles, int64_t(r.indexed.size()));
        VOP_CHECK_EQ(counts.pendingFiles, int64_t(16 - r.indexed.size()));
        VOP_CHECK_EQ(c.integrityCheck(), std::string("ok"));
        VOP_CHECK_EQ(r.indexVectors, size_t(counts.embeddings));
    }
    vop::library::Indexer again(db, encoder(), o);
    const auto r2 = again.run({lib});
    VOP_CHECK(!r2.cancelled);
    VOP_CHECK_EQ(r.indexed.size() + r2.indexed.size(), size_t(16));
    store::Catalog c(db);
    const auto counts = c.counts();
    VOP_CHECK_EQ(counts.indexedFiles, int64_t(16));
    VOP_CHECK_EQ(counts.segments, int64_t(3 + 15)); // the 40-second video has three segments
    VOP_CHECK_EQ(counts.embeddings, counts.segments);
    VOP_CHECK_EQ(r2.indexVectors, size_t(counts.embeddings));
    VOP_CHECK_EQ(c.integrityCheck(), std::string("ok"));
}

VOP_TEST(searchRanksFiltersMergesAndTakesExamples)
{
    const std::string lib = smallLibrary("search", 6);
    const std::string db = tempRoot() + "/search.sqlite3";
    vop::library::Indexer indexer(db, encoder(), quickOptions());
    VOP_REQUIRE_EQ(indexer.run({lib}).indexed.size(), size_t(6));
    auto s = openSearch(db);
    search::Searcher searcher(*s.catalog, s.index);
    search::SearchOptions o;
    o.top = 20;
    o.withThumbnails = true;

    auto moments = searcher.searchText(encoder(), "a colourful test pattern", o);
    VOP_REQUIRE(!moments.empty());
    for (size_t i = 0; i < moments.size(); ++i) {
        VOP_CHECK(moments[i].path.rfind(lib + "/", 0) == 0);
        VOP_CHECK(moments[i].start <= moments[i].end);
        VOP_CHECK(!moments[i].thumbnailJpeg.empty());
        if (i)
            VOP_CHECK(moments[i - 1].score >= moments[i].score);
    }
    // Unmerged, every segment is its own moment: 3 + 5.
    o.merge = false;
    VOP_CHECK_EQ(searcher.searchText(encoder(), "a colourful test pattern", o).size(), size_t(8));
    o.merge = true;

    // A negative term: score = p.v - w * n.v, exactly.
    o.negativeWeight = 0.5f;
    moments = searcher.searchText(encoder(), "stripes -\"a red circle\"", o);
    VOP_REQUIRE(!moments.empty());
    const auto t = encoder().encodeTexts({"stripes", "a red circle"});
    const auto v = *s.catalog->embeddingOfSegment(moments[0].segmentId, s.key.modelId, s.key.promptSetId);
    std::vector<float> vn = v;
    float n = std::sqrt(dot(v, v));
    for (auto& x : vn)
        x /= n;
    VOP_CHECK_NEAR(moments[0].score, dot(t[0], vn) - 0.5f * dot(t[1], vn), 1e-4);
    VOP_CHECK_THROWS_WITH(searcher.searchText(encoder(), "-cat", o), "only negative");

    // Filters.
    search::SearchOptions f;
    f.top = 20;
    f.filters.extensions = {".MKV"};
    for (const auto& m : searcher.searchText(encoder(), "pattern", f))
        VOP_CHECK(m.path.size() > 4 && m.path.substr(m.path.size() - 4) == ".mkv");
    VOP_CHECK_EQ(searcher.searchText(encoder(), "pattern", f).size(), size_t(2));
    f = {};
    f.filters.minDuration = 30;
    moments = searcher.searchText(encoder(), "pattern", f);
    VOP_REQUIRE(!moments.empty());
    for (const auto& m : moments)
        VOP_CHECK_EQ(m.path, lib + "/v00.mp4");
    f = {};
    f.filters.modifiedBefore = 1000; // 1970
    VOP_CHECK(searcher.searchText(encoder(), "pattern", f).empty());
    f = {};
    f.filters.folders = {lib + "/elsewhere"};
    VOP_CHECK(searcher.searchText(encoder(), "pattern", f).empty());
    f.filters.folders = {lib + "/"};
    VOP_CHECK(!searcher.searchText(encoder(), "pattern", f).empty());

    // Query by example: a stored segment (left out of its own results) ...
    const auto file = *s.catalog->findFileByPath(lib + "/v01.mp4");
    const int64_t seg = s.catalog->segmentsOfFile(file.id).front().id;
    search::SearchOptions e;
    e.top = 20;
    for (const auto& m : searcher.searchSegment(seg, e))
        VOP_CHECK(std::find(m.segmentIds.begin(), m.segmentIds.end(), seg) == m.segmentIds.end());
    VOP_CHECK_THROWS_WITH(searcher.searchSegment(999999, e), "no embedding");
    // ... and a video file: a copy outside the library finds the original first.
    const std::string copy = freshDir("example") + "/copy.mp4";
    fs::copy_file(lib + "/v01.mp4", copy);
    moments = searcher.searchVideo(encoder(), copy, e, {});
    VOP_REQUIRE(!moments.empty());
    VOP_CHECK_EQ(moments[0].path, lib + "/v01.mp4");
    VOP_CHECK(moments[0].score > 0.999f);
    // The file itself, when it is in the library, is left out.
    for (const auto& m : searcher.searchVideo(encoder(), lib + "/v01.mp4", e, {}))
        VOP_CHECK(m.path != lib + "/v01.mp4");
}

VOP_TEST(searchWhileIndexingSeesOnlyWholeFiles)
{
    const std::string lib = smallLibrary("concurrent", 12);
    const std::string db = tempRoot() + "/concurrent.sqlite3";
    auto o = quickOptions();
    o.decodeWorkers = 1;
    o.segmentsPerBatch = 1;
    vop::library::Indexer indexer(db, encoder(), o);
    std::atomic<bool> done{false};
    std::thread worker([&] {
        try {
            indexer.run({lib});
        } catch (const std::exception& e) {
            vop::test::fail(__FILE__, __LINE__, std::string("indexer: ") + e.what(), false);
        }
        done = true;
    });
    int searches = 0, nonEmpty = 0;
    double slowest = 0;
    std::vector<float> q(size_t(encoder().config().embedDim), 0.1f);
    std::unique_ptr<store::Catalog> catalog;
    while (!done) {
        auto index = indexer.liveIndex();
        if (!index) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            continue;
        }
        if (!catalog)
            catalog = std::make_unique<store::Catalog>(db);
        const auto t0 = std::chrono::steady_clock::now();
        search::Searcher searcher(*catalog, index);
        search::SearchOptions so;
        so.top = 50;
        so.merge = false;
        const auto moments = searcher.search(q, so);
        slowest = std::max(slowest, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        ++searches;
        nonEmpty += !moments.empty();
        // No torn results: a file that shows up is indexed with all its segments.
        std::map<int64_t, size_t> perFile;
        for (const auto& m : moments)
            ++perFile[m.fileId];
        for (const auto& [fileId, n] : perFile) {
            const auto f = catalog->file(fileId);
            VOP_CHECK(f && f->status == FileStatus::Indexed);
            const size_t expected = f && f->path == lib + "/v00.mp4" ? 3 : 1;
            VOP_CHECK_EQ(catalog->segmentsOfFile(fileId).size(), expected);
            VOP_CHECK(n <= expected);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    worker.join();
    VOP_CHECK(searches > 5);
    VOP_CHECK(nonEmpty > 0);
    VOP_CHECK(slowest < 1.0);
    std::printf("  %d searches while indexing, %d with results, slowest %.1f ms\n", searches, nonEmpty, slowest * 1e3);
}

// Segments whose frames equal those of the file's previous encoded segment (a still picture, a
// slide) take its embedding instead of going through the encoder; moving pictures never do; the
// stored embeddings stay within cosine 0.99 of encoding every segment. Off: every segment encoded.
VOP_TEST(staticSegmentsReuseTheEmbeddingOfTheSegmentBefore)
{
    const std::string lib = freshDir("static");
    ffmpeg("-f lavfi -i smptebars=size=96x54:rate=5 -t 12 -c:v libx264 -preset ultrafast -g 10 -pix_fmt yuv420p " +
           shellQuote(lib + "/still.mp4"));                  // 3 segments of 4 s, all alike
    ffmpeg("-f lavfi -i smptebars=size=96x54:rate=5 -t 12 -vf 'hue=h=90*floor(t/8)' -c:v libx264 -preset ultrafast "
           "-g 10 -pix_fmt yuv420p " + shellQuote(lib + "/slides.mp4")); // the colours change at 8 s
    makeVideo(lib + "/moving.mp4", 12, 0, "96x54", 5);
    ageTree(lib);
    auto run = [&](const std::string& db, double reuse) {
        auto o = quickOptions();
        o.segments.segmentMax = 4;
        o.segments.window = 4;
        o.reuseMaxDiff = reuse;
        return vop::library::Indexer(db, encoder(), o).run({lib});
    };
    const auto on = run(tempRoot() + "/static-on.sqlite3", 1.0);
    const auto off = run(tempRoot() + "/static-off.sqlite3", -1);
    VOP_REQUIRE_EQ(on.indexed.size(), size_t(3));
    VOP_REQUIRE_EQ(off.indexed.size(), size_t(3));
    VOP_CHECK_EQ(on.segments, int64_t(9));
    // still: segments 1, 2 reuse 0; slides: 1 reuses 0, 2 is new; moving: none.
    VOP_CHECK_EQ(on.segmentsReused, int64_t(3));
    VOP_CHECK_EQ(on.framesEncoded, int64_t(6 * 4));
    VOP_CHECK_EQ(off.segmentsReused, int64_t(0));
    VOP_CHECK_EQ(off.framesEncoded, int64_t(9 * 4));

    auto a = openSearch(tempRoot() + "/static-on.sqlite3");
    auto b = openSearch(tempRoot() + "/static-off.sqlite3");
    float worst = 1;
    int same = 0;
    for (const char* name : {"/still.mp4", "/slides.mp4", "/moving.mp4"}) {
        const auto fa = a.catalog->findFileByPath(lib + name), fb = b.catalog->findFileByPath(lib + name);
        VOP_REQUIRE(fa && fb);
        const auto sa = a.catalog->segmentsOfFile(fa->id), sb = b.catalog->segmentsOfFile(fb->id);
        VOP_REQUIRE_EQ(sa.size(), sb.size());
        std::vector<std::vector<float>> va;
        for (size_t k = 0; k < sa.size(); ++k) {
            va.push_back(*a.catalog->embeddingOfSegment(sa[k].id, a.key.modelId, a.key.promptSetId));
            const auto vb = *b.catalog->embeddingOfSegment(sb[k].id, b.key.modelId, b.key.promptSetId);
            worst = std::min(worst, dot(va[k], vb));
            same += k > 0 && va[k] == va[k - 1];
        }
    }
    std::cout << "  worst cosine of a stored embedding to encoding its own segment: " << worst << std::endl;
    VOP_CHECK_EQ(same, 3); // the reused ones are their source's, bit for bit
    VOP_CHECK(worst >= 0.99f);
}

VOP_TEST(sameFramesComparesEveryFrameWithTheBound)
{
    auto image = [](uint8_t v) { return RgbImage{4, 2, std::vector<uint8_t>(4 * 2 * 3, v)}; };
    using vop::library::detail::meanAbsDiff;
    using vop::library::detail::sameFrames;
    VOP_CHECK_EQ(meanAbsDiff(image(10), image(12)), 2.0);
    VOP_CHECK(std::isinf(meanAbsDiff(image(1), RgbImage{2, 4, std::vector<uint8_t>(24, 1)})));
    const std::vector<RgbImage> a{image(10), image(10)}, b{image(11), image(10)}, c{image(10), image(13)};
    VOP_CHECK(sameFrames(a, a, 0));
    VOP_CHECK(!sameFrames(a, b, 0));
    VOP_CHECK(sameFrames(a, b, 1.0));
    VOP_CHECK(!sameFrames(a, c, 1.0)); // every frame must be within the bound
    VOP_CHECK(!sameFrames(a, a, -1));  // off
    VOP_CHECK(!sameFrames(a, {image(10)}, 1.0));
}

VOP_TEST(secondIndexerOnTheSameCatalogIsTurnedAway)
{
    const std::string db = tempRoot() + "/locked.sqlite3";
    vop::library::FileLock held(vop::library::indexerLockPath(vop::library::indexDirFor(db)),
                                vop::library::FileLock::Mode::Exclusive);
    vop::library::Indexer indexer(db, encoder(), quickOptions());
    VOP_CHECK_THROWS_WITH(indexer.run({freshDir("locked-lib")}), "another vopsearch indexer");
}

VOP_TEST_MAIN()
