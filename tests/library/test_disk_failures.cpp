// The disk fails under vopsearch-cli: the catalog folder on a full file system (during indexing,
// an index save, a prompt-set write and a playlist write), a read-only catalog location, and a
// library root that is unmounted while it is being indexed. Each case runs on a real file system
// of its own: a small tmpfs (or a bind mount) mounted by this test in a private mount namespace,
// which it enters at start (root: unshare(CLONE_NEWNS); any other user: a user namespace too).
// Where that is impossible the whole test is reported as skipped (exit 77) with the reason.
//
// After each failure: the command ends with a message that names the problem, nothing stored is
// lost (PRAGMA integrity_check, the same search results), and the next run continues.
#include "LibraryTestSupport.h"

#include "CliRunner.h"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <csignal>
#include <fstream>
#include <set>
#include <sstream>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <thread>

using namespace vop::test::library;
using nlohmann::json;
using Run = vop::test::CliRun;

namespace {

// ---- mounts ---------------------------------------------------------------------------------

std::string sysError(const std::string& what)
{
    return what + ": " + std::strerror(errno);
}

bool writeProc(const std::string& path, const std::string& text)
{
    std::ofstream out(path);
    out << text;
    out.flush();
    return bool(out);
}

// "" when this process now has a private mount namespace in which it may mount, else why not.
// Must run while the process has one thread (unshare of a user namespace needs that).
std::string enterMountNamespace()
{
    if (::geteuid() == 0) {
        if (::unshare(CLONE_NEWNS) != 0)
            return sysError("unshare(CLONE_NEWNS)");
    } else {
        const uid_t uid = ::getuid();
        const gid_t gid = ::getgid();
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
            return sysError("unshare(CLONE_NEWUSER | CLONE_NEWNS) (unprivileged user namespaces disabled?)");
        if (!writeProc("/proc/self/setgroups", "deny") ||
            !writeProc("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
            !writeProc("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))
            return "cannot map this user into the new user namespace";
    }
    if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return sysError("making the mounts private");
    return "";
}

// A tmpfs of `bytes` mounted on a fresh folder `name`; unmounted when it goes.
class Mount {
public:
    static Mount tmpfs(const std::string& name, size_t bytes)
    {
        Mount m(freshDir(name));
        const std::string opts = "size=" + std::to_string(bytes) + ",mode=0755";
        if (::mount("tmpfs", m.m_dir.c_str(), "tmpfs", 0, opts.c_str()) != 0)
            vop::test::fail(__FILE__, __LINE__, sysError("mount tmpfs on " + m.m_dir), true);
        m.m_mounted = true;
        return m;
    }
    static Mount bind(const std::string& from, const std::string& name)
    {
        Mount m(freshDir(name));
        m.bindAgain(from);
        return m;
    }
    Mount(Mount&& o) noexcept : m_dir(o.m_dir), m_mounted(o.m_mounted) { o.m_mounted = false; }
    ~Mount()
    {
        if (m_mounted)
            ::umount2(m_dir.c_str(), MNT_DETACH);
    }
    const std::string& dir() const { return m_dir; }
    void bindAgain(const std::string& from)
    {
        if (::mount(from.c_str(), m_dir.c_str(), nullptr, MS_BIND, nullptr) != 0)
            vop::test::fail(__FILE__, __LINE__, sysError("bind " + from + " on " + m_dir), true);
        m_mounted = true;
    }
    void setReadOnly(bool ro)
    {
        const unsigned long flags = MS_REMOUNT | (ro ? MS_RDONLY : 0);
        if (::mount("tmpfs", m_dir.c_str(), nullptr, flags, nullptr) != 0)
            vop::test::fail(__FILE__, __LINE__, sysError("remount " + m_dir), true);
    }
    void detach() // as a USB drive pulled out: open files stay readable, paths are gone
    {
        if (::umount2(m_dir.c_str(), MNT_DETACH) != 0)
            vop::test::fail(__FILE__, __LINE__, sysError("umount " + m_dir), true);
        m_mounted = false;
    }

private:
    explicit Mount(std::string dir) : m_dir(std::move(dir)) {}
    std::string m_dir;
    bool m_mounted = false;
};

// Fills the file system that holds `dir` with one file, but for about `leave` bytes; returns its path.
std::string fillDisk(const std::string& dir, size_t leave)
{
    const std::string path = dir + "/filler";
    FILE* f = std::fopen(path.c_str(), "wb");
    VOP_REQUIRE(f != nullptr);
    std::setvbuf(f, nullptr, _IONBF, 0);
    const std::string chunk(4096, 'x');
    while (std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size()) {
    }
    std::fclose(f);
    if (leave > 0)
        fs::resize_file(path, fs::file_size(path) - std::min<uintmax_t>(leave, fs::file_size(path)));
    return path;
}

// ---- the command line -----------------------------------------------------------------------

std::string model()
{
    return "--checkpoint " + tinyCheckpoint() + " --vocab " + vocabFile() + " --device cpu --frames 4";
}

Run cli(const std::string& args)
{
    return vop::test::runCommand(VOPSEARCH_CLI, args, true); // stderr merged: the message is the point
}

Run cliJson(const std::string& args)
{
    return vop::test::runCommand(VOPSEARCH_CLI, args + " --json"); // stdout only (warnings go to stderr)
}

bool mentions(const Run& r, const std::string& text)
{
    return r.out.find(text) != std::string::npos;
}

void expectOk(const Run& r, const std::string& what)
{
    if (r.code != 0)
        vop::test::fail(__FILE__, __LINE__, what + ": exit " + std::to_string(r.code) + "\n" + r.out, true);
}

// A command that must fail cleanly: an exit code (no crash), and a message naming `text`.
void expectFailure(const Run& r, const std::string& text, const std::string& what)
{
    std::cout << "  " << what << " -> exit " << r.code << ":\n" << r.out; // what the user sees
    if (r.code <= 0 || r.code > 2 || !mentions(r, text))
        vop::test::fail(__FILE__, __LINE__,
                        what + ": expected a failure that mentions '" + text + "', got exit " + std::to_string(r.code) +
                            "\n" + r.out,
                        false);
}

std::string indexCmd(const std::string& root, const std::string& db)
{
    return "index " + shellQuote(root) + " --db " + shellQuote(db) + " " + model() + " --settle 0 --quiet";
}

// The search's moments as "path@start" lines, sorted (scores left out: same moments, same order).
std::string searchMoments(const std::string& db, const std::string& query = "colour bars")
{
    const Run r = cliJson("search " + shellQuote(query) + " --db " + shellQuote(db) + " " + model() + " --top 50");
    expectOk(r, "search");
    std::vector<std::string> lines;
    for (const auto& m : json::parse(r.out))
        lines.push_back(m["path"].get<std::string>() + "@" + std::to_string(m["start"].get<double>()));
    std::sort(lines.begin(), lines.end());
    std::string s;
    for (const auto& l : lines)
        s += l + "\n";
    return s;
}

// Every line of `part` is a line of `whole`.
bool containsLines(const std::string& whole, const std::string& part)
{
    std::istringstream in(part);
    for (std::string line; std::getline(in, line);)
        if (whole.find(line + "\n") == std::string::npos)
            return false;
    return true;
}

int indexedFiles(const std::string& db)
{
    const Run r = cliJson("status --db " + shellQuote(db));
    expectOk(r, "status");
    const json j = json::parse(r.out);
    VOP_CHECK_EQ(j["integrity"].get<std::string>(), std::string("ok"));
    return j["indexed_files"].get<int>();
}

std::string makeLibrary(const std::string& name, int n, int firstVariant)
{
    const std::string dir = freshDir(name);
    for (int i = 0; i < n; ++i)
        makeVideo(dir + "/clip-" + std::to_string(firstVariant + i) + ".mp4", 2, firstVariant + i, "64x36", 4);
    ageTree(dir);
    return dir;
}

// `cmd` through /bin/sh in a child process, not waited for.
pid_t spawnShell(const std::string& cmd)
{
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    return pid;
}

int waitExit(pid_t pid)
{
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The first column of `sql`'s first row as text, read-only ("" when it cannot be read).
std::string queryText(const std::string& db, const char* sql)
{
    sqlite3* h = nullptr;
    std::string result;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(h, 1000);
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(h, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
            sqlite3_column_text(st, 0))
            result = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return result;
}

int countRows(const std::string& db, const char* sql)
{
    const std::string n = queryText(db, sql);
    return n.empty() ? -1 : std::stoi(n);
}

// PRAGMA integrity_check on the catalog file itself.
std::string integrity(const std::string& db)
{
    return queryText(db, "PRAGMA integrity_check");
}

// Waits until `n` files are indexed while `pid` runs; false when it ended first (or 120 s).
bool waitForIndexedFiles(const std::string& db, int n, pid_t pid)
{
    for (int i = 0; i < 12000; ++i) {
        if (countRows(db, "SELECT COUNT(*) FROM files WHERE status = 'indexed'") >= n)
            return true;
        siginfo_t info{};
        if (::waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid)
            return false; // ended (left for waitExit to collect)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

const int kNoBlasTuning = ::setenv("VOPSEARCH_NO_BLAS_TUNING", "1", 1);

} // namespace

// The disk of the catalog fills up while a second folder is being indexed: the run ends with
// "full", what was stored stays (integrity, the same search), and after space is freed the
// next run indexes the rest.
VOP_TEST(catalogDiskFullWhileIndexing)
{
    Mount disk = Mount::tmpfs("full-index", 8 << 20);
    const std::string db = disk.dir() + "/library.sqlite3";
    const std::string first = makeLibrary("full-index-a", 3, 0), second = makeLibrary("full-index-b", 6, 3);
    expectOk(cli(indexCmd(first, db)), "indexing the first folder");
    const std::string before = searchMoments(db);

    // Room for SQLite's -shm file and a few pages: the disk fills up after a file or two of six.
    const std::string filler = fillDisk(disk.dir(), 96 << 10);
    const Run full = cli(indexCmd(second, db));
    expectFailure(full, "full", "indexing on a full disk");
    VOP_CHECK(containsLines(searchMoments(db), before)); // searching works on the full disk

    fs::remove(filler);
    VOP_CHECK_EQ(integrity(db), std::string("ok"));
    const int stored = indexedFiles(db);
    VOP_CHECK(stored >= 3 && stored < 9);
    expectOk(cli(indexCmd(second, db)), "indexing again after freeing space");
    VOP_CHECK_EQ(indexedFiles(db), 9);
    VOP_CHECK_EQ(integrity(db), std::string("ok"));
    const std::string after = searchMoments(db);
    VOP_CHECK(containsLines(after, before));
    for (int i = 0; i < 9; ++i)
        VOP_CHECK(after.find("/clip-" + std::to_string(i) + ".mp4@") != std::string::npos);
}

// rebuild-index on a full disk: the index save fails with "full", the index file that was there
// stays valid, and searches answer as before, also while the disk is still full.
VOP_TEST(indexSaveOnFullDisk)
{
    Mount disk = Mount::tmpfs("full-save", 8 << 20);
    const std::string db = disk.dir() + "/library.sqlite3";
    expectOk(cli(indexCmd(makeLibrary("full-save-lib", 3, 0), db)), "indexing");
    const std::string before = searchMoments(db);
    VOP_REQUIRE(!before.empty());

    const std::string filler = fillDisk(disk.dir(), 0);
    const Run r = cli("rebuild-index --db " + shellQuote(db));
    expectFailure(r, "full", "rebuild-index on a full disk");
    VOP_CHECK_EQ(searchMoments(db), before);
    fs::remove(filler);
    VOP_CHECK_EQ(integrity(db), std::string("ok"));
    const Run status = cliJson("status --db " + shellQuote(db));
    expectOk(status, "status");
    const json statusJson = json::parse(status.out);
    for (const auto& ix : statusJson.at("indexes"))
        VOP_CHECK_EQ(ix["state"].get<std::string>(), std::string("ok"));
    VOP_CHECK_EQ(searchMoments(db), before);
}

// Writing a prompt set or a playlist over an existing file on a full disk: a message with
// "full", the old file byte for byte, and no temporary file left behind.
VOP_TEST(promptSetAndPlaylistWritesOnFullDisk)
{
    Mount disk = Mount::tmpfs("full-files", 8 << 20);
    const std::string db = disk.dir() + "/library.sqlite3";
    expectOk(cli(indexCmd(makeLibrary("full-files-lib", 2, 0), db)), "indexing");
    const std::string prompts = disk.dir() + "/mine.safetensors", playlist = disk.dir() + "/moments.m3u8";
    const std::string newPrompts = "prompts new --variant vop-f --checkpoint " + tinyCheckpoint() + " --out " + shellQuote(prompts);
    const std::string exportPlaylist = "search \"colour bars\" --db " + shellQuote(db) + " " + model() +
                                       " --export " + shellQuote(playlist);
    expectOk(cli(newPrompts + " --seed 1"), "prompts new");
    expectOk(cli(exportPlaylist), "search --export");
    const std::string oldPrompts = readBytes(prompts), oldPlaylist = readBytes(playlist);
    const auto leftovers = [&] { // temporary files of the atomic writes
        std::set<std::string> s;
        for (const auto& e : fs::recursive_directory_iterator(disk.dir()))
            if (e.path().filename().string().find(".tmp") != std::string::npos)
                s.insert(e.path().string());
        return s;
    };

    const std::string filler = fillDisk(disk.dir(), 0);
    expectFailure(cli(newPrompts + " --seed 2"), "full", "prompts new on a full disk");
    expectFailure(cli(exportPlaylist + " --top 50"), "full", "search --export on a full disk");
    const Run install = vop::test::runShell("XDG_DATA_HOME=" + shellQuote(disk.dir() + "/data") + " " VOPSEARCH_CLI
                                            " prompt-sets install " + shellQuote(prompts) + " 2>&1");
    expectFailure(install, "full", "prompt-sets install on a full disk");
    VOP_CHECK_EQ(readBytes(prompts), oldPrompts);
    VOP_CHECK_EQ(readBytes(playlist), oldPlaylist);
    VOP_CHECK(leftovers().empty());
    fs::remove(filler);
    expectOk(cli(newPrompts + " --seed 2"), "prompts new after freeing space");
    VOP_CHECK(readBytes(prompts) != oldPrompts);
    VOP_CHECK_EQ(integrity(db), std::string("ok"));
}

// A catalog on a read-only file system: indexing says so at once, searching and status work.
VOP_TEST(readOnlyCatalogFolder)
{
    Mount disk = Mount::tmpfs("read-only", 8 << 20);
    const std::string db = disk.dir() + "/library.sqlite3";
    const std::string lib = makeLibrary("read-only-lib", 3, 0);
    expectOk(cli(indexCmd(lib, db)), "indexing");
    const std::string before = searchMoments(db);
    disk.setReadOnly(true);

    const Run index = cli(indexCmd(lib, db));
    expectFailure(index, "read-only", "indexing into a read-only catalog");
    VOP_CHECK_EQ(searchMoments(db), before);
    VOP_CHECK_EQ(indexedFiles(db), 3);
    const std::string playlist = freshDir("read-only-out") + "/moments.m3u8";
    expectOk(cli("search bars --db " + shellQuote(db) + " " + model() + " --export " + shellQuote(playlist)),
             "exporting from a read-only catalog");
    disk.setReadOnly(false);
    VOP_CHECK_EQ(integrity(db), std::string("ok"));
    expectOk(cli(indexCmd(lib, db)), "indexing once the catalog is writable again");
}

// Only the catalog file is read-only (a read-only bind mount of the file; its folder is
// writable): the same, a message at start and searches that work.
VOP_TEST(readOnlyCatalogFile)
{
    const std::string dir = freshDir("read-only-file");
    const std::string db = dir + "/library.sqlite3";
    const std::string lib = makeLibrary("read-only-file-lib", 2, 0);
    expectOk(cli(indexCmd(lib, db)), "indexing");
    const std::string before = searchMoments(db);
    VOP_REQUIRE(::mount(db.c_str(), db.c_str(), nullptr, MS_BIND, nullptr) == 0);
    VOP_REQUIRE(::mount(nullptr, db.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) == 0);

    expectFailure(cli(indexCmd(lib, db)), "read-only", "indexing into a read-only catalog file");
    VOP_CHECK_EQ(searchMoments(db), before);
    VOP_CHECK_EQ(indexedFiles(db), 2);
    ::umount2(db.c_str(), MNT_DETACH);
    VOP_CHECK_EQ(integrity(db), std::string("ok"));
}

// The library root is on a drive that is unmounted while its videos are being indexed: the run
// completes (exit 0), what was indexed stays, the rest waits (offline, not failed or deleted),
// and once the drive is back the next run indexes what was left.
VOP_TEST(libraryRootUnmountedMidRun)
{
    const int n = 30;
    const std::string real = freshDir("drive-content");
    fs::create_directories(real + "/videos");
    for (int i = 0; i < n; ++i)
        makeVideo(real + "/videos/clip-" + std::to_string(i) + ".mp4", 2, i, "64x36", 4);
    ageTree(real);
    Mount drive = Mount::bind(real, "drive");
    const std::string root = drive.dir() + "/videos", db = freshDir("drive-catalog") + "/library.sqlite3";
    const std::string out = freshDir("drive-out") + "/index.json";
    const pid_t pid = spawnShell(VOPSEARCH_CLI " " + indexCmd(root, db) + " --workers 1 --batch 1 --json >" +
                                 shellQuote(out) + " 2>&1");
    VOP_REQUIRE(waitForIndexedFiles(db, 1, pid));
    drive.detach();
    VOP_CHECK_EQ(waitExit(pid), 0);
    const std::string report = readBytes(out);
    const json j = json::parse(report.substr(report.find('{')));
    const size_t indexed = j["indexed"].size();
    VOP_CHECK(indexed >= 1);
    VOP_CHECK(indexed < size_t(n)); // else the run ended before the drive went: nothing was tested
    VOP_CHECK_EQ(j["failed"].size(), 0u);
    VOP_CHECK_EQ(integrity(db), std::string("ok"));
    VOP_CHECK_EQ(countRows(db, "SELECT COUNT(*) FROM files WHERE status = 'offline'"), n); // kept, offline
    VOP_CHECK_EQ(countRows(db, "SELECT COUNT(DISTINCT file_id) FROM segments"), int(indexed)); // nothing dropped

    drive.bindAgain(real);
    expectOk(cli(indexCmd(root, db)), "indexing once the drive is back");
    VOP_CHECK_EQ(indexedFiles(db), n);
}

int main(int argc, char** argv)
{
    const std::string why = enterMountNamespace(); // first: the process has one thread here
    if (!why.empty()) {
        std::cout << "SKIPPED: the disk-failure tests mount their own file systems and cannot here: " << why
                  << std::endl;
        return 77;
    }
    return vop::test::runAll(argc, argv);
}
