// The library scan without decoding: which files are candidates, change detection, moves,
// deletions, unmounted roots, files still being written, unreadable files; query parsing and
// moment merging.
#include "LibraryTestSupport.h"

#include "library/ContentHash.h"
#include "library/EmbeddingSpace.h"
#include "library/LibrarySync.h"
#include "library/Scanner.h"
#include "search/Query.h"
#include "search/Searcher.h"
#include "store/Catalog.h"
#include "util/Error.h"

#include <algorithm>
#include <atomic>
#include <set>
#include <sys/wait.h>
#include <thread>

using namespace vop;
using namespace vop::test::library;
using vop::library::listRoot;
using vop::library::syncRoots;
using vop::store::FileStatus;

namespace {

std::set<std::string> names(const vop::library::RootListing& l, const std::string& root)
{
    std::set<std::string> out;
    for (const auto& f : l.files)
        out.insert(f.path.substr(root.size() + 1));
    return out;
}

// A small real video file (bytes only matter for sniffing and hashing here).
const std::string& sampleBytes()
{
    static std::string bytes = readBytes(shared("media/sample.mp4"));
    return bytes;
}

vop::library::SyncOptions quickSync()
{
    vop::library::SyncOptions o;
    o.settleSeconds = 0;
    return o;
}

// Marks a file indexed with one segment and one embedding, as the pipeline would.
void markIndexed(store::Catalog& c, int64_t fileId, int64_t modelId)
{
    store::FileContent content;
    store::SegmentContent seg;
    seg.start = 0;
    seg.end = 4;
    seg.embeddings.push_back({modelId, std::nullopt, std::vector<float>(8, 0.5f)});
    content.segments.push_back(seg);
    c.replaceFileContent(fileId, content);
}

} // namespace

VOP_TEST(classifiesNamesAndSkipsHiddenAndSystemFolders)
{
    const std::string root = freshDir("classify");
    fs::create_directories(root + "/a/b");
    fs::create_directories(root + "/.hidden");
    fs::create_directories(root + "/$RECYCLE.BIN");
    fs::create_directories(root + "/lost+found");
    fs::create_directories(root + "/@eaDir");
    writeBytes(root + "/a/b/clip.MP4", sampleBytes());
    writeBytes(root + "/a/song.mp3", "ID3 not really");
    writeBytes(root + "/a/photo.jpg", sampleBytes()); // an image by name: never opened
    writeBytes(root + "/a/notes.txt", "hello");
    writeBytes(root + "/a/noext", sampleBytes());     // a video by content
    writeBytes(root + "/a/random.dat", randomBytes(5000, 1));
    writeBytes(root + "/a/text.mkv", "this is not a video");
    writeBytes(root + "/.hidden/secret.mp4", sampleBytes());
    writeBytes(root + "/$RECYCLE.BIN/deleted.mp4", sampleBytes());
    writeBytes(root + "/lost+found/x.mp4", sampleBytes());
    writeBytes(root + "/@eaDir/thumb.mp4", sampleBytes());
    writeBytes(root + "/._clip.mp4", sampleBytes()); // macOS resource fork
    VOP_REQUIRE(::mkfifo((root + "/a/pipe.mp4").c_str(), 0644) == 0); // must never be opened (it would block)
    const auto l = listRoot(root);
    VOP_CHECK((names(l, root) == std::set<std::string>{"a/b/clip.MP4", "a/noext", "a/song.mp3", "a/text.mkv"}));
    VOP_CHECK(l.ignored >= 3);
    VOP_CHECK(l.problems.empty());
    VOP_CHECK_EQ(vop::library::classifyByName("x/y.Mkv"), 1);
    VOP_CHECK_EQ(vop::library::classifyByName("x/y.png"), -1);
    VOP_CHECK_EQ(vop::library::classifyByName("x/y"), 0);
    VOP_CHECK_EQ(vop::library::extensionOf("/a.b/c"), std::string());
    VOP_CHECK_EQ(vop::library::extensionOf("/a/.mp4"), std::string());
    VOP_CHECK_THROWS_WITH(listRoot(root + "/nope"), "cannot open folder");
    VOP_CHECK_THROWS_WITH(listRoot(root + "/a/notes.txt"), "is not a folder");
}

VOP_TEST(followsLinksOnceWithoutLooping)
{
    const std::string root = freshDir("links");
    const std::string outside = freshDir("links-outside");
    fs::create_directories(root + "/real/sub");
    writeBytes(root + "/real/sub/v.mp4", sampleBytes());
    writeBytes(outside + "/elsewhere.mp4", sampleBytes());
    fs::create_directory_symlink(root + "/real", root + "/real/sub/loop");   // a loop back up
    fs::create_directory_symlink(root + "/real", root + "/alias");           // a second way in
    fs::create_directory_symlink(outside, root + "/outside");                // a folder outside the root
    fs::create_symlink(root + "/real/sub/v.mp4", root + "/v-link.mp4");      // a file twice
    fs::create_symlink(root + "/nowhere.mp4", root + "/dangling.mp4");        // a dangling link
    fs::create_symlink(root + "/self1.mp4", root + "/self2.mp4");             // a loop of file links
    fs::create_symlink(root + "/self2.mp4", root + "/self1.mp4");
    const auto l = listRoot(root);
    // Each file once, under its real path when the real tree reaches it.
    VOP_CHECK((names(l, root) == std::set<std::string>{"real/sub/v.mp4", "outside/elsewhere.mp4"}));
}

VOP_TEST(contentHashSeesHeadAndTail)
{
    const std::string dir = freshDir("hash");
    std::string big = randomBytes(300000, 7);
    writeBytes(dir + "/a", big);
    writeBytes(dir + "/b", big);
    VOP_CHECK_EQ(vop::library::contentHash(dir + "/a"), vop::library::contentHash(dir + "/b"));
    big[big.size() - 10] ^= 1; // the tail
    writeBytes(dir + "/b", big);
    VOP_CHECK(vop::library::contentHash(dir + "/a") != vop::library::contentHash(dir + "/b"));
    writeBytes(dir + "/empty", "");
    VOP_CHECK_EQ(vop::library::contentHash(dir + "/empty").size(), size_t(64));
    VOP_CHECK_THROWS_WITH(vop::library::contentHash(dir + "/missing"), "cannot open");
}

VOP_TEST(syncFindsNewChangedTouchedMovedAndDeletedFiles)
{
    const std::string root = freshDir("sync");
    fs::create_directories(root + "/sub");
    writeBytes(root + "/a.mp4", sampleBytes());
    writeBytes(root + "/b.mkv", sampleBytes() + "b");
    writeBytes(root + "/sub/c.avi", sampleBytes() + "cc");
    ageTree(root);
    store::Catalog c(tempRoot() + "/sync.sqlite3");
    const int64_t model = c.upsertModel("m", "m", 8);

    auto r = syncRoots(c, {root}, quickSync());
    VOP_CHECK_EQ(r.newFiles, int64_t(3));
    VOP_CHECK_EQ(r.toIndex.size(), size_t(3));
    for (int64_t id : r.toIndex)
        markIndexed(c, id, model);

    // Nothing changed: nothing to do.
    r = syncRoots(c, {root + "/"}, quickSync()); // the same root, spelled differently
    VOP_CHECK_EQ(r.unchanged, int64_t(3));
    VOP_CHECK(r.toIndex.empty());
    VOP_CHECK_EQ(c.roots().size(), size_t(1));

    // Touched (new mtime, same bytes): still indexed, same embeddings.
    const auto before = *c.findFileByPath(root + "/a.mp4");
    ageFile(root + "/a.mp4", 30);
    // Changed content: pending again.
    writeBytes(root + "/b.mkv", sampleBytes() + "B changed");
    ageFile(root + "/b.mkv", 30);
    // Moved and renamed into another folder: keeps its record and embeddings.
    fs::create_directories(root + "/moved");
    fs::rename(root + "/sub/c.avi", root + "/moved/c renamed.avi");
    const auto cBefore = *c.findFileByPath(root + "/sub/c.avi");
    // Deleted: leaves the catalog.
    writeBytes(root + "/gone.mp4", sampleBytes() + "gone");
    ageFile(root + "/gone.mp4");
    r = syncRoots(c, {root}, quickSync());
    VOP_CHECK_EQ(r.toIndex.size(), size_t(2)); // b.mkv (changed) and gone.mp4 (new)
    fs::remove(root + "/gone.mp4");
    r = syncRoots(c, {root}, quickSync());

    const auto a = *c.findFileByPath(root + "/a.mp4");
    VOP_CHECK(a.status == FileStatus::Indexed);
    VOP_CHECK_EQ(a.id, before.id);
    VOP_CHECK(a.mtimeNs != before.mtimeNs);
    VOP_CHECK(c.findFileByPath(root + "/b.mkv")->status == FileStatus::Pending);
    const auto moved = c.findFileByPath(root + "/moved/c renamed.avi");
    VOP_REQUIRE(moved.has_value());
    VOP_CHECK_EQ(moved->id, cBefore.id);
    VOP_CHECK(moved->status == FileStatus::Indexed);
    VOP_CHECK_EQ(c.segmentsOfFile(moved->id).size(), size_t(1));
    VOP_CHECK(!c.findFileByPath(root + "/sub/c.avi"));
    VOP_CHECK(!c.findFileByPath(root + "/gone.mp4"));
    VOP_CHECK((r.removed == std::vector<std::string>{root + "/gone.mp4"}));
    VOP_CHECK_EQ(c.integrityCheck(), std::string("ok"));
}

VOP_TEST(moveAcrossRootsInOneRunIsAMove)
{
    const std::string r1 = freshDir("roots1"), r2 = freshDir("roots2");
    writeBytes(r1 + "/x.mp4", sampleBytes() + "x");
    ageTree(r1);
    store::Catalog c(tempRoot() + "/roots.sqlite3");
    const int64_t model = c.upsertModel("m", "m", 8);
    auto r = syncRoots(c, {r1, r2}, quickSync());
    markIndexed(c, r.toIndex.at(0), model);
    const int64_t id = r.toIndex.at(0);
    fs::rename(r1 + "/x.mp4", r2 + "/x.mp4");
    r = syncRoots(c, {r1, r2}, quickSync()); // r1 is empty now: "not mounted", yet the file moved
    VOP_CHECK_EQ(r.moved.size(), size_t(1));
    VOP_CHECK(r.removed.empty());
    // A named copy: VOP_CHECK_EQ binds a reference, and a member of a temporary optional dies
    // before the comparison (ASan: stack-use-after-scope).
    const auto moved = c.findFileByPath(r2 + "/x.mp4");
    VOP_REQUIRE(moved.has_value());
    VOP_CHECK_EQ(moved->id, id);
    VOP_CHECK(moved->rootId == c.findRoot(r2)->id);
    VOP_CHECK(c.findFileByPath(r2 + "/x.mp4")->status == FileStatus::Indexed);
    // Next time the empty folder holds nothing the catalog knows: an ordinary (mounted) root.
    r = syncRoots(c, {r1, r2}, quickSync());
    VOP_CHECK(r.offlineRoots.empty());
    VOP_CHECK(c.findRoot(r1)->mounted);
}

VOP_TEST(unmountedRootGoesOfflineAndComesBack)
{
    const std::string base = freshDir("mount");
    const std::string root = base + "/drive";
    fs::create_directories(root);
    writeBytes(root + "/v.mp4", sampleBytes());
    ageTree(root);
    store::Catalog c(tempRoot() + "/mount.sqlite3");
    const int64_t model = c.upsertModel("m", "m", 8);
    auto r = syncRoots(c, {root}, quickSync());
    markIndexed(c, r.toIndex.at(0), model);

    // The drive is gone: the mount point is missing.
    fs::rename(root, base + "/elsewhere");
    r = syncRoots(c, {root}, quickSync());
    VOP_CHECK((r.offlineRoots == std::vector<std::string>{root}));
    VOP_CHECK(r.removed.empty());
    VOP_CHECK(c.findFileByPath(root + "/v.mp4")->status == FileStatus::Offline);
    VOP_CHECK(!c.findRoot(root)->mounted);

    // An empty mount point (nothing mounted on it): still offline, nothing deleted.
    fs::create_directories(root);
    r = syncRoots(c, {root}, quickSync());
    VOP_CHECK_EQ(r.offlineRoots.size(), size_t(1));
    VOP_CHECK(c.findFileByPath(root + "/v.mp4").has_value());

    // Mounted again: indexed as before, nothing to redo.
    fs::remove(root);
    fs::rename(base + "/elsewhere", root);
    r = syncRoots(c, {root}, quickSync());
    VOP_CHECK(r.offlineRoots.empty());
    VOP_CHECK(r.toIndex.empty());
    VOP_CHECK(c.findFileByPath(root + "/v.mp4")->status == FileStatus::Indexed);
    VOP_CHECK(c.findRoot(root)->mounted);

    // A folder that was never a root and does not exist is reported, not added.
    r = syncRoots(c, {base + "/never"}, quickSync());
    VOP_CHECK_EQ(r.missingRoots.size(), size_t(1));
    VOP_CHECK(!c.findRoot(base + "/never"));
}

VOP_TEST(fileStillBeingWrittenIsPostponed)
{
    const std::string root = freshDir("growing");
    writeBytes(root + "/done.mp4", sampleBytes());
    ageFile(root + "/done.mp4");
    const std::string growing = root + "/recording.mp4";
    writeBytes(growing, sampleBytes().substr(0, 4096));
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        std::ofstream out(growing, std::ios::binary | std::ios::app);
        while (!stop) {
            out.write(sampleBytes().data(), 1024);
            out.flush();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    store::Catalog c(tempRoot() + "/growing.sqlite3");
    vop::library::SyncOptions o;
    o.settleSeconds = 0.3;
    const auto r = syncRoots(c, {root}, o);
    stop = true;
    writer.join();
    VOP_REQUIRE_EQ(r.postponed.size(), size_t(1));
    VOP_CHECK_EQ(r.postponed[0].path, growing);
    VOP_CHECK(r.postponed[0].reason.find("still being written") != std::string::npos);
    VOP_CHECK_EQ(r.toIndex.size(), size_t(1)); // done.mp4 only
    VOP_CHECK(!c.findFileByPath(growing).has_value());
}

VOP_TEST(deletedDuringScanIsNotAnError)
{
    const std::string root = freshDir("vanish");
    fs::create_directories(root + "/a");
    fs::create_directories(root + "/b");
    writeBytes(root + "/a/one.mp4", sampleBytes());
    writeBytes(root + "/b/two.mp4", sampleBytes() + "2");
    ageTree(root);
    store::Catalog c(tempRoot() + "/vanish.sqlite3");
    vop::library::SyncOptions o = quickSync();
    int folders = 0;
    // Polled once per folder: when the walk reaches the last folder, one.mp4 (listed already) goes.
    o.scan.cancelled = [&] {
        if (++folders == 3)
            fs::remove(root + "/a/one.mp4");
        return false;
    };
    const auto r = syncRoots(c, {root}, o);
    VOP_CHECK(r.failed.empty());
    VOP_CHECK_EQ(r.toIndex.size(), size_t(1));
    VOP_CHECK(!c.findFileByPath(root + "/a/one.mp4").has_value());
}

VOP_TEST(unreadableFileAndFolderAreReportedNotDeleted)
{
    // Permissions do not stop root: run the check as an unprivileged user in a child process.
    const std::string base = freshDir("unreadable");
    ::chmod(tempRoot().c_str(), 0711);
    ::chmod(base.c_str(), 0777);
    const std::string root = base + "/lib";
    fs::create_directories(root + "/locked");
    writeBytes(root + "/ok.mp4", sampleBytes());
    writeBytes(root + "/secret.mp4", sampleBytes() + "s");
    writeBytes(root + "/locked/inside.mp4", sampleBytes() + "i");
    ageTree(root);
    // The unprivileged user owns the library, so that it may take its own permissions away.
    if (::geteuid() == 0) {
        for (auto& e : fs::recursive_directory_iterator(root))
            VOP_REQUIRE(::chown(e.path().c_str(), 65534, 65534) == 0);
        VOP_REQUIRE(::chown(root.c_str(), 65534, 65534) == 0);
    }
    const std::string db = base + "/cat.sqlite3";
    const pid_t pid = ::fork();
    VOP_REQUIRE(pid >= 0);
    if (pid == 0) {
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0))
            ::_exit(10);
        int code = 0;
        try {
            store::Catalog c(db);
            auto r = syncRoots(c, {root}, quickSync()); // everything readable: 3 files
            if (r.toIndex.size() != 3)
                code = 11;
            ::chmod((root + "/secret.mp4").c_str(), 0);
            ::chmod((root + "/locked").c_str(), 0);
            ageFile(root + "/secret.mp4", 10); // a new mtime makes the scan hash it again
            r = syncRoots(c, {root}, quickSync());
            const auto secret = c.findFileByPath(root + "/secret.mp4");
            if (!code && (r.failed.size() != 1 || r.failed[0].reason.find("Permission denied") == std::string::npos))
                code = 12;
            if (!code && (!secret || secret->status != FileStatus::Failed || secret->error.empty()))
                code = 13;
            if (!code && (r.folderProblems.size() != 1 || !c.findFileByPath(root + "/locked/inside.mp4")))
                code = 14; // the unreadable folder's file is kept
            if (!code && !r.removed.empty())
                code = 15;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "unprivileged scan: %s\n", e.what());
            code = 20;
        }
        ::_exit(code);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    VOP_CHECK(WIFEXITED(status));
    VOP_CHECK_EQ(WEXITSTATUS(status), 0);
}

VOP_TEST(fileLockIsExclusive)
{
    const std::string path = tempRoot() + "/locks/x.lock";
    vop::library::FileLock a(path, vop::library::FileLock::Mode::Exclusive);
    VOP_CHECK(a.locked());
    // flock locks belong to the open file description: a second open in this process conflicts too.
    vop::library::FileLock b(path, vop::library::FileLock::Mode::Exclusive, /*wait=*/false);
    VOP_CHECK(!b.locked());
}

VOP_TEST(parsesQueriesWithNegativesAndPhrases)
{
    using vop::search::parseQuery;
    auto q = parseQuery("dog -cat");
    VOP_CHECK_EQ(q.positive, std::string("dog"));
    VOP_CHECK((q.negatives == std::vector<std::string>{"cat"}));
    q = parseQuery("  \"red car\" on a t-shirt -\"blue sky\" - -rain  ");
    VOP_CHECK_EQ(q.positive, std::string("red car on a t-shirt"));
    VOP_CHECK((q.negatives == std::vector<std::string>{"blue sky", "rain"}));
    q = parseQuery("-cat");
    VOP_CHECK(q.positive.empty());
    VOP_CHECK_EQ(q.negatives.size(), size_t(1));
    q = parseQuery("\"unclosed phrase");
    VOP_CHECK_EQ(q.positive, std::string("unclosed phrase"));
    VOP_CHECK(parseQuery("   ").empty());
}

VOP_TEST(mergesAdjacentHitsOfOneFile)
{
    using vop::search::mergeAdjacent;
    using vop::search::ScoredSegment;
    // Windows of 15 s: 0-15 and 15-30 match about as well; 45-60 is a separate moment; 30-45
    // touches the first moment but scores far lower, so it is left out.
    std::vector<ScoredSegment> hits = {{1, 0, 15, 0.30f}, {2, 15, 30, 0.29f}, {3, 30, 45, 0.10f}, {4, 45, 60, 0.28f}};
    auto groups = mergeAdjacent(hits, 1.0, 0.05f);
    VOP_REQUIRE_EQ(groups.size(), size_t(2));
    VOP_CHECK_EQ(groups[0].size(), size_t(2));
    VOP_CHECK_EQ(groups[0][0].segmentId, int64_t(1));
    VOP_CHECK_EQ(groups[0][1].segmentId, int64_t(2));
    VOP_CHECK_EQ(groups[1].size(), size_t(1));
    VOP_CHECK_EQ(groups[1][0].segmentId, int64_t(4));
    // Overlapping windows merge too.
    groups = mergeAdjacent({{1, 0, 15, 0.3f}, {2, 10, 25, 0.3f}}, 0, 0.05f);
    VOP_CHECK_EQ(groups.size(), size_t(1));
}

VOP_TEST_MAIN()
