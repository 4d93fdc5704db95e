// The model download of core/service against a real HTTP server on 127.0.0.1 (range_server.py):
// a whole download with its progress, resume from a .part file (Range), a server without Range,
// a dropped connection, cancel and a later resume, pause, checksum mismatch, no network, a full
// disk; the manifest parser; where the shipped BPE vocabulary is found.
#include "CliRunner.h"
#include "LocalHttpServer.h"
#include "TestFiles.h"
#include "TestMain.h"

#include "service/ModelDownload.h"
#include "util/Error.h"
#include "util/Paths.h"
#include "util/Sha256.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

namespace fs = std::filesystem;
using namespace vop;
using namespace vop::service;

namespace {

struct Fixture {
    std::string root;      // served folder
    std::string dest;      // download folder
    std::string payload;   // the served file's bytes
    std::string sha;
};

Fixture makeFixture(const std::string& name, size_t bytes)
{
    static int serial = 0;
    Fixture f;
    const auto base = test::runTempDir() + "/" + name + "-" + std::to_string(++serial);
    f.root = base + "/served";
    f.dest = base + "/models";
    fs::create_directories(f.root);
    std::mt19937 rng{unsigned(bytes)};
    f.payload.resize(bytes);
    for (auto& c : f.payload)
        c = char(rng() & 0xff);
    test::writeBytes(f.root + "/model.bin", f.payload);
    f.sha = sha256Hex(f.payload);
    return f;
}

ModelEntry entryFor(const test::LocalHttpServer& s, const Fixture& f, int64_t size)
{
    return ModelEntry{"test-model", "model.pt", s.url("model.bin"), f.sha, size};
}

// Records every progress report (the listener runs on the job's thread).
struct Recorder {
    std::mutex mu;
    std::vector<JobProgress> reports;
    void attach(JobControl& job, std::function<void(const JobProgress&)> also = {})
    {
        job.onProgress([this, also](const JobProgress& p) {
            {
                std::lock_guard<std::mutex> lock(mu);
                reports.push_back(p);
            }
            if (also)
                also(p);
        });
    }
};

JobOutcome<DownloadResult> run(const ModelEntry& e, JobControl& job, const std::string& dest)
{
    DownloadOptions o;
    o.destDir = dest;
    o.connectTimeoutSeconds = 10;
    return runJob<DownloadResult>(job, [&](JobControl& c) { return downloadModel(e, c, o); });
}

bool contains(const std::string& s, const std::string& part)
{
    return s.find(part) != std::string::npos;
}

} // namespace

VOP_TEST(manifestParsesAndRejectsBadRows)
{
    const auto dir = test::runTempDir() + "/manifest";
    fs::create_directories(dir);
    const std::string sha(64, 'a');
    test::writeBytes(dir + "/ok.tsv", "# name\tfile\turl\tsha256\tsize\n" +
                                          test::manifestRow("a", "A.pt", "http://x/A.pt", sha, 10) +
                                          "b\tB.safetensors\thttp://x/B\t" + std::string(64, 'B') + "\n");
    auto m = readModelManifest(dir + "/ok.tsv");
    VOP_REQUIRE_EQ(m.size(), size_t(2));
    VOP_CHECK_EQ(m[0].size, int64_t(10));
    VOP_CHECK_EQ(m[1].size, int64_t(0));
    VOP_CHECK_EQ(m[1].sha256, std::string(64, 'b')); // lower-cased
    VOP_CHECK(m[0].isCheckpoint() && m[1].isCheckpoint());
    VOP_CHECK_EQ(findModel(m, "b").file, std::string("B.safetensors"));
    VOP_CHECK_THROWS_WITH(findModel(m, "c"), "known: a, b");

    test::writeBytes(dir + "/short.tsv", "a\tA.pt\thttp://x\n");
    VOP_CHECK_THROWS_WITH(readModelManifest(dir + "/short.tsv"), "short.tsv:1");
    test::writeBytes(dir + "/sha.tsv", "a\tA.pt\thttp://x\tnothex\n");
    VOP_CHECK_THROWS_WITH(readModelManifest(dir + "/sha.tsv"), "is not a sha256");
    test::writeBytes(dir + "/path.tsv", "a\t../A.pt\thttp://x\t" + sha + "\n");
    VOP_CHECK_THROWS_WITH(readModelManifest(dir + "/path.tsv"), "not a plain file name");
    VOP_CHECK_THROWS_WITH(readModelManifest(dir + "/none.tsv"), "cannot open");

    // The repository's manifest parses and names the default model and the vocabulary.
    auto real = readModelManifest(defaultManifestPath());
    VOP_CHECK(findModel(real, kDefaultModelName).isCheckpoint());
    VOP_CHECK(!findModel(real, "bpe").isCheckpoint());
}

VOP_TEST(downloadsVerifiesAndReportsProgress)
{
    auto f = makeFixture("whole", 3 * 1000 * 1000 + 17);
    test::LocalHttpServer server(f.root, {"--rate", "4000000"});
    JobControl job;
    Recorder rec;
    rec.attach(job);
    auto out = run(entryFor(server, f, 0), job, f.dest);
    VOP_REQUIRE(out.ok());
    VOP_CHECK_EQ(out.result->path, f.dest + "/model.pt");
    VOP_CHECK_EQ(out.result->bytes, int64_t(f.payload.size()));
    VOP_CHECK_EQ(out.result->downloaded, int64_t(f.payload.size()));
    VOP_CHECK(test::readBytes(f.dest + "/model.pt") == f.payload);
    VOP_CHECK(!fs::exists(f.dest + "/model.pt.part"));

    int64_t last = -1;
    bool sawTotal = false, sawRate = false, sawEta = false, monotonic = true;
    for (const auto& p : rec.reports) {
        if (p.phase != phase::DownloadingModel)
            continue;
        VOP_CHECK_EQ(p.unit, std::string("bytes"));
        VOP_CHECK_EQ(p.rateUnit, std::string("bytes/s"));
        monotonic = monotonic && p.done >= last;
        last = p.done;
        sawTotal = sawTotal || p.total == int64_t(f.payload.size());
        sawRate = sawRate || p.rate > 0;
        sawEta = sawEta || p.etaSeconds >= 0;
    }
    VOP_CHECK(monotonic);
    VOP_CHECK(sawTotal);  // the size came from Content-Length (the manifest says 0)
    VOP_CHECK(sawRate);
    VOP_CHECK(sawEta);
    VOP_CHECK_EQ(rec.reports.back().phase, std::string(phase::VerifyingModel));

    // A second run finds the verified file and fetches nothing.
    const auto before = server.requests().size();
    JobControl again;
    auto second = run(entryFor(server, f, 0), again, f.dest);
    VOP_REQUIRE(second.ok());
    VOP_CHECK(second.result->alreadyPresent);
    VOP_CHECK_EQ(server.requests().size(), before);
    VOP_CHECK(localModelState(entryFor(server, f, 0), f.dest).present);
}

VOP_TEST(resumesFromPartWithRange)
{
    auto f = makeFixture("resume", 2 * 1000 * 1000);
    test::LocalHttpServer server(f.root);
    fs::create_directories(f.dest);
    const size_t kept = 700001;
    test::writeBytes(f.dest + "/model.pt.part", f.payload.substr(0, kept));
    auto e = entryFor(server, f, int64_t(f.payload.size()));
    VOP_CHECK_EQ(localModelState(e, f.dest).partBytes, int64_t(kept));
    JobControl job;
    auto out = run(e, job, f.dest);
    VOP_REQUIRE(out.ok());
    VOP_CHECK_EQ(out.result->resumedFrom, int64_t(kept));
    VOP_CHECK_EQ(out.result->downloaded, int64_t(f.payload.size() - kept));
    VOP_CHECK(test::readBytes(f.dest + "/model.pt") == f.payload);
    auto reqs = server.requests();
    VOP_REQUIRE_EQ(reqs.size(), size_t(1));
    VOP_CHECK_EQ(reqs[0], std::string("GET /model.bin range=bytes=700001-"));
}

VOP_TEST(restartsWhenTheServerIgnoresRange)
{
    auto f = makeFixture("norange", 1000 * 1000);
    test::LocalHttpServer server(f.root, {"--no-range"});
    fs::create_directories(f.dest);
    test::writeBytes(f.dest + "/model.pt.part", f.payload.substr(0, 4000));
    JobControl job;
    auto out = run(entryFor(server, f, 0), job, f.dest);
    VOP_REQUIRE(out.ok());
    VOP_CHECK(test::readBytes(f.dest + "/model.pt") == f.payload);
    auto reqs = server.requests();
    VOP_REQUIRE_EQ(reqs.size(), size_t(2));
    VOP_CHECK(contains(reqs[0], "range=bytes=4000-"));
    VOP_CHECK(contains(reqs[1], "range=-"));
}

VOP_TEST(reconnectsAfterADroppedConnection)
{
    auto f = makeFixture("drop", 1500 * 1000);
    test::LocalHttpServer server(f.root, {"--drop-after", "600000"});
    JobControl job;
    auto out = run(entryFor(server, f, int64_t(f.payload.size())), job, f.dest);
    VOP_REQUIRE(out.ok());
    VOP_CHECK(test::readBytes(f.dest + "/model.pt") == f.payload);
    auto reqs = server.requests();
    VOP_REQUIRE_EQ(reqs.size(), size_t(2));
    VOP_CHECK_EQ(reqs[1], std::string("GET /model.bin range=bytes=600000-"));
}

VOP_TEST(cancelKeepsThePartAndTheNextRunResumes)
{
    auto f = makeFixture("cancel", 2 * 1000 * 1000);
    test::LocalHttpServer server(f.root, {"--rate", "400000"});
    auto e = entryFor(server, f, int64_t(f.payload.size()));
    JobControl job;
    Recorder rec;
    rec.attach(job, [&job](const JobProgress& p) {
        if (p.phase == phase::DownloadingModel && p.done >= 300000)
            job.cancel();
    });
    auto out = run(e, job, f.dest);
    VOP_CHECK(out.state == JobState::Cancelled);
    VOP_CHECK(!fs::exists(f.dest + "/model.pt"));
    const auto part = localModelState(e, f.dest).partBytes;
    VOP_CHECK(part >= 300000 && part < int64_t(f.payload.size()));
    VOP_CHECK(test::readBytes(f.dest + "/model.pt.part") == f.payload.substr(0, size_t(part)));

    JobControl again;
    auto second = run(e, again, f.dest);
    VOP_REQUIRE(second.ok());
    VOP_CHECK_EQ(second.result->resumedFrom, part);
    VOP_CHECK(test::readBytes(f.dest + "/model.pt") == f.payload);

    // A cancel sent before the start ends the job without a request.
    const auto before = server.requests().size();
    JobControl early;
    early.cancel();
    fs::remove(f.dest + "/model.pt");
    VOP_CHECK(run(e, early, f.dest).state == JobState::Cancelled);
    VOP_CHECK_EQ(server.requests().size(), before);
}

VOP_TEST(pauseHoldsTheTransferAndResumeFinishesIt)
{
    auto f = makeFixture("pause", 1500 * 1000);
    test::LocalHttpServer server(f.root, {"--rate", "500000"});
    JobControl job;
    std::atomic<bool> pausedSeen{false}, pausedOnce{false};
    Recorder rec;
    rec.attach(job, [&](const JobProgress& p) {
        if (!pausedOnce && p.phase == phase::DownloadingModel && p.done >= 200000) {
            pausedOnce = true;
            job.pause();
        }
        if (p.paused)
            pausedSeen = true;
    });
    std::thread resumer([&] {
        while (!pausedSeen)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        job.resume();
    });
    auto out = run(entryFor(server, f, 0), job, f.dest);
    resumer.join();
    VOP_REQUIRE(out.ok());
    VOP_CHECK(test::readBytes(f.dest + "/model.pt") == f.payload);
    auto reqs = server.requests();
    VOP_REQUIRE(reqs.size() >= 2); // the pause ended the connection; resume continued with a Range
    VOP_CHECK(contains(reqs.back(), "range=bytes="));
}

VOP_TEST(checksumMismatchRemovesThePart)
{
    auto f = makeFixture("badsha", 300 * 1000);
    test::LocalHttpServer server(f.root);
    auto e = entryFor(server, f, 0);
    e.sha256 = std::string(64, '0');
    JobControl job;
    auto out = run(e, job, f.dest);
    VOP_CHECK(out.state == JobState::Failed);
    VOP_CHECK(contains(out.error, "checksum mismatch"));
    VOP_CHECK(contains(out.error, "try again"));
    VOP_CHECK(!fs::exists(f.dest + "/model.pt.part"));
    VOP_CHECK(!fs::exists(f.dest + "/model.pt"));
}

VOP_TEST(unreachableServerSaysWhatToDo)
{
    // A port that was free a moment ago: nobody listens there.
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    const int port = ntohs(a.sin_port);
    ::close(s);
    auto f = makeFixture("offline", 10);
    ModelEntry e{"x", "model.pt", "http://127.0.0.1:" + std::to_string(port) + "/model.bin", f.sha, 0};
    JobControl job;
    auto out = run(e, job, f.dest);
    VOP_CHECK(out.state == JobState::Failed);
    VOP_CHECK(contains(out.error, "could not reach 127.0.0.1:" + std::to_string(port)));
    VOP_CHECK(contains(out.error, "check your connection, or choose a checkpoint file you already have"));

    test::LocalHttpServer server(f.root);
    ModelEntry missing{"x", "model.pt", server.url("nothing-here"), f.sha, 0};
    JobControl job404;
    auto out404 = run(missing, job404, f.dest);
    VOP_CHECK(contains(out404.error, "HTTP 404"));
}

VOP_TEST(fullDiskIsNamed)
{
    auto f = makeFixture("full", 400 * 1000);
    test::LocalHttpServer server(f.root);
    // More than any disk holds: refused before the transfer.
    auto huge = entryFor(server, f, int64_t(1) << 60);
    JobControl job;
    auto out = run(huge, job, f.dest);
    VOP_CHECK(out.state == JobState::Failed);
    VOP_CHECK(contains(out.error, "the disk is full"));
    VOP_CHECK(server.requests().empty());
    // A write that fails with ENOSPC mid-way (the .part is /dev/full).
    if (fs::exists("/dev/full")) {
        fs::create_directories(f.dest);
        fs::create_symlink("/dev/full", f.dest + "/model.pt.part");
        JobControl job2;
        auto out2 = run(entryFor(server, f, 0), job2, f.dest);
        VOP_CHECK(out2.state == JobState::Failed);
        VOP_CHECK(contains(out2.error, "the disk is full"));
    }
}

VOP_TEST(shippedBpeVocabularyIsFound)
{
    const auto dir = test::runTempDir() + "/bpe";
    fs::create_directories(dir + "/empty-models");
    ::setenv("VOPSEARCH_MODELS", (dir + "/empty-models").c_str(), 1);
    ::setenv("XDG_DATA_HOME", (dir + "/xdg").c_str(), 1);
    // Nothing next to the checkpoint nor in the model folders: the shipped copy (source tree).
    const auto found = paths::resolveBpeVocab(dir + "/some/ckpt.pt");
    VOP_CHECK_EQ(fs::path(found).filename().string(), std::string("bpe_simple_vocab_16e6.txt.gz"));
    VOP_CHECK_EQ(sha256File(found), std::string("924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a"));
    // A copy next to the checkpoint wins.
    fs::create_directories(dir + "/ckpt");
    test::writeBytes(dir + "/ckpt/bpe_simple_vocab_16e6.txt.gz", "x");
    VOP_CHECK_EQ(paths::resolveBpeVocab(dir + "/ckpt/model.pt"), dir + "/ckpt/bpe_simple_vocab_16e6.txt.gz");
    // The installed layout is relative to the executable.
    VOP_CHECK_EQ(paths::installedDataDir(),
                 (fs::path(paths::executableDir()).parent_path() / "share" / "vopsearch").string());
    ::unsetenv("VOPSEARCH_MODELS");
    ::unsetenv("XDG_DATA_HOME");
}

#ifdef VOPSEARCH_CLI
namespace {
vop::test::CliRun cli(const std::string& args)
{
    return vop::test::runCommand(VOPSEARCH_CLI, args, /*withStderr=*/true);
}
} // namespace

VOP_TEST(cliModelsListAndFetch)
{
    auto f = makeFixture("cli", 500 * 1000);
    test::LocalHttpServer server(f.root);
    const auto manifest = f.root + "/../manifest.tsv";
    test::writeBytes(manifest, test::manifestRow("test-model", "model.pt", server.url("model.bin"), f.sha,
                                                 long(f.payload.size())));
    const auto common = " --manifest " + test::shellQuote(manifest) + " --dir " + test::shellQuote(f.dest);
    auto list = cli("models list" + common);
    VOP_CHECK_EQ(list.code, 0);
    VOP_CHECK(contains(list.out, "test-model") && contains(list.out, "missing"));

    auto fetch = cli("models fetch test-model" + common);
    VOP_CHECK_EQ(fetch.code, 0);
    VOP_CHECK(contains(fetch.out, "verified"));
    VOP_CHECK(test::readBytes(f.dest + "/model.pt") == f.payload);
    auto again = cli("models fetch test-model" + common);
    VOP_CHECK(contains(again.out, "present and verified"));
    VOP_CHECK(contains(cli("models list" + common).out, "present"));

    auto unknown = cli("models fetch nope" + common);
    VOP_CHECK_EQ(unknown.code, 2);
    VOP_CHECK(contains(unknown.out, "unknown model 'nope'; known: test-model"));

    server.stop();
    fs::remove(f.dest + "/model.pt");
    auto offline = cli("models fetch test-model" + common);
    VOP_CHECK_EQ(offline.code, 1);
    VOP_CHECK(contains(offline.out, "check your connection"));
}
#endif

VOP_TEST_MAIN()
