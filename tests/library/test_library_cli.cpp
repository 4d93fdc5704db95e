// vopsearch-cli index / search / status / rebuild-index as a user runs them, in child processes:
// JSON shapes and exit codes, a second prompt set on an indexed library, SIGKILL at random
// moments (the crash test), searching from another process while indexing, and search --export.
#include "LibraryTestSupport.h"

#include "CliRunner.h"

#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <csignal>
#include <map>
#include <random>
#include <set>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>

extern char** environ;

using namespace vop::test::library;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

using Run = vop::test::CliRun;

Run cli(const std::string& args) { return vop::test::runCommand(VOPSEARCH_CLI, args); }

json cliJson(const std::string& args, int expectCode = 0)
{
    const Run r = cli(args + " --json");
    if (r.code != expectCode)
        vop::test::fail(__FILE__, __LINE__, "exit " + std::to_string(r.code) + " from: " + args + "\n" + r.out, true);
    try {
        return json::parse(r.out);
    } catch (const std::exception& e) {
        vop::test::fail(__FILE__, __LINE__, "not JSON from: " + args + "\n" + r.out, true);
    }
    return {};
}

// Starts the CLI without waiting (output discarded).
pid_t spawnCli(const std::vector<std::string>& args)
{
    std::vector<std::string> all{VOPSEARCH_CLI};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        vop::test::fail(__FILE__, __LINE__, "cannot start " + all[0], true);
    return pid;
}

std::string model()
{
    return "--checkpoint " + tinyCheckpoint() + " --vocab " + vocabFile() + " --device cpu";
}

std::vector<std::string> modelArgs()
{
    return {"--checkpoint", tinyCheckpoint(), "--vocab", vocabFile(), "--device", "cpu"};
}

// `n` short videos; every tenth is 40 s long (three segments). Made once per name.
std::string library(const std::string& name, int n)
{
    static std::map<std::string, std::string> made;
    if (made.count(name))
        return made[name];
    const std::string dir = freshDir(name);
    made[name] = dir;
    for (int i = 0; i < n; ++i) {
        char file[32];
        std::snprintf(file, sizeof file, "/clip-%02d.mp4", i);
        makeVideo(dir + file, i % 10 == 0 ? 40 : 2, i, "64x36", i % 10 == 0 ? 1 : 4);
    }
    ageTree(dir);
    return dir;
}

// (path, start, end) -> score of a search's results.
std::map<std::tuple<std::string, double, double>, double> results(const json& list)
{
    std::map<std::tuple<std::string, double, double>, double> m;
    for (const auto& r : list)
        m[{r["path"].get<std::string>(), r["start"].get<double>(), r["end"].get<double>()}] = r["score"].get<double>();
    return m;
}

bool sameResults(const json& a, const json& b, std::string& why)
{
    const auto ra = results(a), rb = results(b);
    if (ra.size() != rb.size()) {
        why = "different numbers of moments: " + a.dump() + " vs " + b.dump();
        return false;
    }
    for (const auto& [k, score] : ra) {
        auto it = rb.find(k);
        if (it == rb.end() || std::abs(it->second - score) > 1e-4) {
            why = "moment " + std::get<0>(k) + " differs: " + a.dump() + " vs " + b.dump();
            return false;
        }
    }
    return true;
}

const char* kQueries[] = {"colour bars", "a fractal", "test pattern with moving circles -bars"};

// The tiny model gains nothing from BLAS tuning, which re-executes the CLI once: skip it.
const int kNoBlasTuning = ::setenv("VOPSEARCH_NO_BLAS_TUNING", "1", 1);

} // namespace

VOP_TEST(exitCodesAndJsonShapes)
{
    const std::string lib = library("cli-shapes", 3);
    writeBytes(lib + "/notes.mkv", "not a video");
    ageTree(lib);
    const std::string db = tempRoot() + "/shapes.sqlite3";
    const std::string common = "--db " + shellQuote(db) + " " + model() + " --frames 4 --settle 0";
    // Nothing can run: exit 2, before any catalog exists.
    VOP_CHECK_EQ(cli("index " + shellQuote(lib + "/nope") + " " + common).code, 2);
    VOP_CHECK_EQ(cli("index " + shellQuote(lib + "/clip-01.mp4") + " " + common).code, 2);
    VOP_CHECK_EQ(cli("index " + common).code, 2);
    VOP_CHECK_EQ(cli("index " + shellQuote(lib) + " --bogus " + common).code, 2);
    VOP_CHECK_EQ(cli("index " + shellQuote(lib) + " --frames 0 --db " + shellQuote(db)).code, 2);
    VOP_CHECK_EQ(cli("status --db " + shellQuote(db)).code, 2);
    VOP_CHECK_EQ(cli("search cat --db " + shellQuote(db) + " " + model()).code, 2);
    VOP_CHECK(!fs::exists(db));

    const json idx = cliJson("index " + shellQuote(lib) + " " + common);
    VOP_REQUIRE(idx["indexed"].is_array() && idx["skipped"].is_array() && idx["failed"].is_array());
    VOP_CHECK_EQ(idx["indexed"].size(), size_t(3));
    VOP_CHECK(idx["indexed"][0].is_string());
    VOP_REQUIRE_EQ(idx["skipped"].size(), size_t(1));
    VOP_CHECK_EQ(idx["skipped"][0]["path"].get<std::string>(), lib + "/notes.mkv");
    VOP_CHECK(!idx["skipped"][0]["reason"].get<std::string>().empty());
    for (const char* key : {"moved", "removed", "offline_roots", "segments", "frames", "index_vectors", "cancelled",
                            "seconds", "timings", "space", "unchanged"})
        VOP_CHECK(idx.contains(key));
    VOP_CHECK_EQ(idx["segments"].get<int>(), 5);
    VOP_CHECK_EQ(idx["frames"].get<int>(), 20);

    const json found = cliJson("search 'colour bars' --top 2 " + common.substr(0, common.find(" --frames")) +
                               " --thumbnails " + shellQuote(tempRoot() + "/thumbs"));
    VOP_REQUIRE(found.is_array());
    VOP_REQUIRE_EQ(found.size(), size_t(2));
    for (const auto& m : found) {
        for (const char* key : {"path", "start", "end", "score", "segment_id", "file_id", "thumbnail"})
            VOP_CHECK(m.contains(key));
        VOP_CHECK(fs::exists(m["thumbnail"].get<std::string>()));
    }
    const json bySegment = cliJson("search --like-segment " + std::to_string(found[0]["segment_id"].get<int64_t>()) +
                                   " --db " + shellQuote(db) + " " + model());
    VOP_CHECK(bySegment.is_array() && !bySegment.empty());
    VOP_CHECK_EQ(cli("search --db " + shellQuote(db) + " " + model()).code, 2);        // no query
    VOP_CHECK_EQ(cli("search -cat --db " + shellQuote(db) + " " + model()).code, 2);   // only negative terms
    VOP_CHECK_EQ(cli("search cat --after yesterday --db " + shellQuote(db) + " " + model()).code, 2);

    const json st = cliJson("status --db " + shellQuote(db));
    for (const char* key : {"files", "indexed_files", "segments", "embeddings", "index_vectors", "integrity", "roots",
                            "indexes"})
        VOP_CHECK(st.contains(key));
    VOP_CHECK_EQ(st["integrity"].get<std::string>(), std::string("ok"));
    VOP_CHECK_EQ(st["files"].get<int>(), 4);
    VOP_CHECK_EQ(st["indexed_files"].get<int>(), 3);
    VOP_CHECK_EQ(st["index_vectors"].get<int>(), st["embeddings"].get<int>());

    // The index file is derived: damaged, it is rebuilt; rebuild-index does it on demand.
    const std::string indexFile = st["indexes"][0]["file"].get<std::string>();
    writeBytes(indexFile, "garbage");
    const json st2 = cliJson("status --db " + shellQuote(db));
    VOP_CHECK(st2["indexes"][0]["state"].get<std::string>().rfind("rejected", 0) == 0);
    VOP_CHECK_EQ(st2["integrity"].get<std::string>(), std::string("ok"));
    const json rb = cliJson("rebuild-index --db " + shellQuote(db));
    VOP_CHECK_EQ(rb["indexes"][0]["vectors"].get<int>(), 5);
    VOP_CHECK_EQ(cliJson("status --db " + shellQuote(db))["indexes"][0]["state"].get<std::string>(), std::string("ok"));

    // Re-running finds nothing new; no ROOT means every root indexed before.
    const json again = cliJson("index " + common);
    VOP_CHECK(again["indexed"].empty());
    VOP_CHECK_EQ(again["unchanged"].get<int>(), 4);
}

VOP_TEST(aSecondPromptSetAddsEmbeddingsToTheSameSegments)
{
    const std::string lib = library("cli-prompts", 3);
    const std::string db = tempRoot() + "/prompts.sqlite3";
    const std::string prompts = tempRoot() + "/vop4.safetensors";
    VOP_REQUIRE_EQ(cli("prompts new --variant vop --frames 4 --checkpoint " + tinyCheckpoint() + " --out " + prompts).code, 0);
    const std::string base = "--db " + shellQuote(db) + " " + model() + " --settle 0";
    cliJson("index " + shellQuote(lib) + " " + base + " --frames 4");
    const json withPrompts = cliJson("index " + shellQuote(lib) + " " + base + " --prompts " + prompts);
    VOP_CHECK_EQ(withPrompts["indexed"].size(), size_t(3));
    VOP_CHECK_EQ(withPrompts["space"]["variant"].get<std::string>(), std::string("vop"));
    const json st = cliJson("status --db " + shellQuote(db));
    VOP_CHECK_EQ(st["segments"].get<int>(), 5);
    VOP_CHECK_EQ(st["embeddings"].get<int>(), 10);
    VOP_CHECK_EQ(st["indexes"].size(), size_t(2));
    VOP_CHECK_EQ(st["index_vectors"].get<int>(), 10);
    VOP_CHECK_EQ(st["integrity"].get<std::string>(), std::string("ok"));
    const json found = cliJson("search 'test pattern' --db " + shellQuote(db) + " " + model() + " --prompts " + prompts);
    VOP_CHECK(!found.empty());
    // A prompt set made for other frame counts is refused with --frames.
    VOP_CHECK_EQ(cli("index " + shellQuote(lib) + " " + base + " --prompts " + prompts + " --frames 8").code, 2);
}

VOP_TEST(survivesSigkillAtRandomMoments)
{
    const std::string lib = library("crash-lib", 30);
    const std::string refDb = tempRoot() + "/crash-ref.sqlite3";
    const std::string db = tempRoot() + "/crash.sqlite3";
    std::vector<std::string> args = {"index", lib, "--frames", "4", "--settle", "0", "--workers", "1", "--batch", "2",
                                     "--quiet"};
    for (const auto& a : modelArgs())
        args.push_back(a);
    auto withDb = [&](const std::string& path) {
        auto a = args;
        a.push_back("--db");
        a.push_back(path);
        return a;
    };
    // The uninterrupted run: the reference, and how long a whole run takes.
    const auto t0 = Clock::now();
    const json ref = cliJson("index " + shellQuote(lib) + " --db " + shellQuote(refDb) + " " + model() +
                             " --frames 4 --settle 0 --workers 1 --batch 2");
    const double whole = std::chrono::duration<double>(Clock::now() - t0).count();
    VOP_REQUIRE_EQ(ref["indexed"].size(), size_t(30));

    // Kill moments: from late in the process's start-up (measured on `status`) to late in the
    // work, so kills land in model loading, scanning and indexing alike.
    const double startup = cli("status --db " + shellQuote(refDb)).seconds;
    const double work = std::max(0.5, whole - startup);
    std::random_device rd;
    const unsigned seed = rd();
    std::printf("  a whole run takes %.2f s (start-up %.2f s); kill times seeded with %u\n", whole, startup, seed);
    std::mt19937 rng(seed);
    // The window shrinks whenever a run finishes before its kill, so a machine that got faster
    // since the reference run (load from elsewhere went away) still sees enough kills.
    double latest = startup + 0.9 * work;
    auto when = [&](std::mt19937& g) {
        return std::uniform_real_distribution<double>(0.8 * startup, std::max(0.8 * startup + 0.01, latest))(g);
    };
    int kills = 0, finished = 0, killedMidway = 0;
    auto indexedFiles = [&] {
        if (!fs::exists(db))
            return 0;
        const Run r = cli("status --json --db " + shellQuote(db));
        return r.code == 0 ? json::parse(r.out)["indexed_files"].get<int>() : 0;
    };
    int before = 0;
    for (int attempt = 0; kills < 12 && attempt < 60; ++attempt) {
        const pid_t pid = spawnCli(withDb(db));
        std::this_thread::sleep_for(std::chrono::duration<double>(when(rng)));
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            ++finished; // done before the kill
            latest = 0.8 * startup + 0.7 * (latest - 0.8 * startup);
            VOP_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
            continue;
        }
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        kills += WIFSIGNALED(status) ? 1 : 0;
        finished += WIFEXITED(status) ? 1 : 0;
        const int after = indexedFiles();
        killedMidway += after > before && after < 30;
        VOP_CHECK(after >= before); // committed work is never lost
        before = after;
    }
    std::printf("  %d kills (%d of them after some files and before the last), %d runs finished on their own\n", kills,
                killedMidway, finished);
    VOP_CHECK(kills >= 10);

    // After a kill, the next run picks up where the last left off and finishes.
    const json last = cliJson("index " + shellQuote(lib) + " --db " + shellQuote(db) + " " + model() +
                              " --frames 4 --settle 0 --workers 1 --batch 2");
    VOP_CHECK(last["failed"].empty());
    const json st = cliJson("status --db " + shellQuote(db));
    const json refSt = cliJson("status --db " + shellQuote(refDb));
    VOP_CHECK_EQ(st["integrity"].get<std::string>(), std::string("ok"));
    VOP_CHECK_EQ(st["files"].get<int>(), 30);
    VOP_CHECK_EQ(st["indexed_files"].get<int>(), 30);
    VOP_CHECK_EQ(st["segments"].get<int>(), refSt["segments"].get<int>()); // every file exactly once
    VOP_CHECK_EQ(st["embeddings"].get<int>(), st["segments"].get<int>());
    VOP_CHECK_EQ(st["index_vectors"].get<int>(), st["embeddings"].get<int>());
    VOP_CHECK(st["indexes_ok"].get<bool>());
    for (const char* q : kQueries) {
        const std::string opts = std::string(" --top 10 ") + model();
        const json a = cliJson("search " + shellQuote(q) + " --db " + shellQuote(db) + opts);
        const json b = cliJson("search " + shellQuote(q) + " --db " + shellQuote(refDb) + opts);
        std::string why;
        VOP_CHECK(!a.empty());
        if (!sameResults(a, b, why))
            vop::test::fail(__FILE__, __LINE__, std::string("'") + q + "': " + why, false);
    }
}

VOP_TEST(searchWhileIndexingInAnotherProcess)
{
    const std::string lib = library("crash-lib", 30);
    const std::string db = tempRoot() + "/concurrent-cli.sqlite3";
    std::vector<std::string> args = {"index", lib, "--db", db, "--frames", "4", "--settle", "0", "--workers", "1",
                                     "--batch", "1", "--quiet"};
    for (const auto& a : modelArgs())
        args.push_back(a);
    std::set<std::string> files;
    for (const auto& e : fs::directory_iterator(lib))
        files.insert(e.path().string());
    const pid_t pid = spawnCli(args);
    int searches = 0, withResults = 0;
    double slowest = 0;
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        const Run r = cli("search pattern --json --top 40 --db " + shellQuote(db) + " " + model());
        ++searches;
        slowest = std::max(slowest, r.seconds);
        if (r.code == 2)
            continue; // no catalog or nothing indexed yet
        VOP_REQUIRE_EQ(r.code, 0);
        const json list = json::parse(r.out);
        withResults += !list.empty();
        for (const auto& m : list) {
            VOP_CHECK(files.count(m["path"].get<std::string>()));
            VOP_CHECK(m["start"].get<double>() <= m["end"].get<double>());
        }
    }
    VOP_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    std::printf("  %d searches while indexing (%d with results), slowest %.2f s\n", searches, withResults, slowest);
    VOP_CHECK(searches >= 2);
    VOP_CHECK(slowest < 30); // a process start-up each (torch), on a shared machine: no hang, no lock-up
    const json st = cliJson("status --db " + shellQuote(db));
    VOP_CHECK_EQ(st["indexed_files"].get<int>(), 30);
    VOP_CHECK_EQ(st["index_vectors"].get<int>(), st["embeddings"].get<int>());
    VOP_CHECK_EQ(st["integrity"].get<std::string>(), std::string("ok"));
}

// search --export: the playlist written beside the printed results; its format from the
// extension or --format; bad export options are usage errors (exit 2) that write nothing.
VOP_TEST(searchExportsPlaylists)
{
    const std::string lib = freshDir("cli-export");
    const std::vector<std::string> names = {"#1 beach, day.mp4", "50% caf\xC3\xA9.mp4", "plain.mp4"};
    for (size_t i = 0; i < names.size(); ++i)
        makeVideo(lib + "/" + names[i], 2, int(i) * 3, "64x36", 4);
    ageTree(lib);
    const std::string db = "--db " + shellQuote(tempRoot() + "/export.sqlite3") + " " + model();
    VOP_REQUIRE_EQ(cliJson("index " + shellQuote(lib) + " " + db + " --frames 4 --settle 0")["indexed"].size(),
                   size_t(3));
    const std::string out = freshDir("cli-export-out"), search = "search 'colour bars' --top 3 " + db;
    const json printed = cliJson(search + " --export " + shellQuote(out + "/found.json"));
    VOP_REQUIRE_EQ(printed.size(), size_t(3));
    VOP_CHECK(json::parse(readBytes(out + "/found.json")) == printed); // the moments as --json prints them

    VOP_REQUIRE_EQ(cli(search + " --export " + shellQuote(out + "/found.m3u8")).code, 0);
    const std::string m3u = readBytes(out + "/found.m3u8");
    VOP_CHECK(m3u.rfind("#EXTM3U\n#PLAYLIST:colour bars\n", 0) == 0);
    for (const auto& m : printed) {
        char opts[96];
        std::snprintf(opts, sizeof opts, "#EXTVLCOPT:start-time=%.3f\n#EXTVLCOPT:stop-time=%.3f\n",
                      m["start"].get<double>(), m["end"].get<double>());
        VOP_CHECK(m3u.find(opts) != std::string::npos);
    }
    VOP_CHECK(m3u.find("file://" + lib + "/%231%20beach%2C%20day.mp4\n") != std::string::npos);
    VOP_REQUIRE_EQ(cli(search + " --export " + shellQuote(out + "/found.m3u8") + " --relative").code, 0);
    VOP_CHECK(readBytes(out + "/found.m3u8").find("\n../cli-export/plain.mp4\n") != std::string::npos);
    VOP_REQUIRE_EQ(cli(search + " --export " + shellQuote(out + "/found.txt") + " --format edl").code, 0);
    VOP_CHECK(readBytes(out + "/found.txt").rfind("# mpv EDL v0\n%", 0) == 0);

    VOP_CHECK_EQ(cli(search + " --export " + shellQuote(out + "/unknown.txt")).code, 2);
    VOP_CHECK_EQ(cli(search + " --export " + shellQuote(out + "/unknown.pls") + " --format pls").code, 2);
    VOP_CHECK_EQ(cli(search + " --relative").code, 2);
    VOP_CHECK_EQ(cli(search + " --format csv").code, 2);
    VOP_CHECK(!fs::exists(out + "/unknown.txt") && !fs::exists(out + "/unknown.pls"));
}

VOP_TEST(promptSetsInstallChecksListsRenamesAndRemoves)
{
    const std::string dir = freshDir("prompt-sets");
    const std::string set = dir + "/fitted.safetensors";
    VOP_REQUIRE_EQ(cli("prompts new --variant vop-f --frames 4 --checkpoint " + tinyCheckpoint() + " --out " + set).code, 0);
    const std::string lib = " --dir " + shellQuote(dir + "/installed");
    VOP_CHECK_EQ(cli("prompt-sets install " + set + " --name 'beach days'" + lib).code, 0);
    // A file whose metadata names another variant than its tensors: damaged, refused with why.
    std::string bytes = readBytes(set);
    const auto at = bytes.find("\"vop-f\"");
    VOP_REQUIRE(at != std::string::npos);
    bytes.replace(at, 7, "\"vop-p\"");
    writeBytes(dir + "/damaged.safetensors", bytes);
    const auto refused = vop::test::runCommand(VOPSEARCH_CLI, "prompt-sets install " + dir + "/damaged.safetensors" + lib, true);
    VOP_CHECK_EQ(refused.code, 2);
    VOP_CHECK(refused.out.find("the file is damaged") != std::string::npos);
    VOP_CHECK_EQ(cli("prompts info " + dir + "/damaged.safetensors").code, 2);
    const json listed = cliJson("prompt-sets list" + lib);
    VOP_REQUIRE_EQ(listed.size(), size_t(2)); // zero-shot CLIP + the installed one
    VOP_CHECK_EQ(listed[1]["name"].get<std::string>(), std::string("beach days"));
    VOP_CHECK_EQ(listed[1]["variant"].get<std::string>(), std::string("vop-f"));
    VOP_CHECK_EQ(cli("prompt-sets rename 'beach days' summer" + lib).code, 0);
    VOP_CHECK_EQ(cliJson("prompt-sets list" + lib)[1]["name"].get<std::string>(), std::string("summer"));
    VOP_CHECK_EQ(cli("prompt-sets remove summer" + lib).code, 0);
    VOP_CHECK_EQ(cliJson("prompt-sets list" + lib).size(), size_t(1));
    VOP_CHECK_EQ(cli("prompt-sets remove summer" + lib).code, 2);
}

VOP_TEST_MAIN()
