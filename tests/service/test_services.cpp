// The application services and the job model, in process, with the tiny CLIP fixture and short
// generated videos: a cancel before the start, a throwing progress listener, searching while an
// index job runs (answers from the live index), index rebuild with progress and cancel, pause
// and resume, the lock protocol with other processes (one indexer, many searchers), and switching
// the active prompt set (a text-only set reuses the zero-shot index; a set with visual prompts is
// answered by the previous set until an index job has encoded the library for it, across a restart).
#include "../library/LibraryTestSupport.h"

#include "CliRunner.h"

#include "service/Job.h"
#include "service/LibraryService.h"
#include "store/Catalog.h"
#include "util/Error.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

using namespace vop;
using namespace vop::test::library;
using vop::service::JobControl;
using vop::service::JobState;
using vop::service::LibraryService;

namespace {

service::LibraryOptions tinyOptions(const std::string& db)
{
    service::LibraryOptions o;
    o.dbPath = db;
    o.model.checkpoint = tinyCheckpoint();
    o.model.vocab = vocabFile();
    o.model.device = "cpu";
    o.model.frames = 4;
    o.model.threads = 2;
    o.indexing.sync.settleSeconds = 0;
    o.indexing.decodeWorkers = 1;
    o.indexing.segmentsPerBatch = 1;
    return o;
}

// `n` short videos, made once per name.
std::string videoFolder(const std::string& name, int n)
{
    const std::string dir = tempRoot() + "/" + name;
    if (fs::exists(dir))
        return dir;
    fs::create_directories(dir);
    for (int i = 0; i < n; ++i)
        makeVideo(dir + "/v" + std::to_string(i) + ".mp4", 2, i, "64x36", 4);
    ageTree(dir);
    return dir;
}

service::SearchRequest textQuery(const std::string& text)
{
    service::SearchRequest r;
    r.kind = service::SearchRequest::Kind::Text;
    r.text = text;
    r.options.top = 5;
    return r;
}

bool waitFor(const std::function<bool()>& cond, double seconds)
{
    const auto t0 = std::chrono::steady_clock::now();
    while (!cond()) {
        if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > seconds)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

// A fresh `vop` prompt set for the tiny model (4 frames); visualLength 0 makes it text-only.
std::string makePromptSet(const std::string& name, int visualLength)
{
    const std::string out = tempRoot() + "/" + name + ".safetensors";
    if (!fs::exists(out)) {
        const auto r = vop::test::runCommand(VOPSEARCH_CLI, "prompts new --variant vop --frames 4 --text-length 4"
                                                            " --visual-length " + std::to_string(visualLength) +
                                                            " --seed 3 --checkpoint " + shellQuote(tinyCheckpoint()) +
                                                            " --out " + shellQuote(out), true);
        if (r.code != 0)
            throw std::runtime_error("prompts new failed: " + r.out);
    }
    return out;
}

service::SearchRequest videoQuery(const std::string& path)
{
    service::SearchRequest r;
    r.kind = service::SearchRequest::Kind::Video;
    r.videoPath = path;
    r.options.top = 5;
    return r;
}

std::vector<std::pair<int64_t, float>> ranking(const service::SearchResponse& r)
{
    std::vector<std::pair<int64_t, float>> out;
    for (const auto& m : r.moments)
        out.emplace_back(m.segmentId, m.score);
    return out;
}

bool sameRanking(const service::SearchResponse& a, const service::SearchResponse& b)
{
    const auto x = ranking(a), y = ranking(b);
    if (x.size() != y.size())
        return false;
    for (size_t i = 0; i < x.size(); ++i)
        if (x[i].first != y[i].first || std::abs(x[i].second - y[i].second) > 1e-4f)
            return false;
    return true;
}

} // namespace

VOP_TEST(jobCancelledBeforeItStartsEndsAtOnce)
{
    const std::string db = tempRoot() + "/precancel.sqlite3";
    LibraryService svc(tinyOptions(db));
    JobControl job;
    job.cancel();
    bool ran = false;
    auto out = service::runJob<library::IndexReport>(job, [&](JobControl& c) {
        ran = true;
        return svc.index({videoFolder("precancel-lib", 2)}, c);
    });
    VOP_CHECK(out.state == JobState::Cancelled);
    VOP_CHECK(!ran);
    VOP_CHECK(job.state() == JobState::Cancelled);
    // The service itself honours it too, without loading the model or touching the catalog.
    JobControl direct;
    direct.cancel();
    const auto r = svc.index({videoFolder("precancel-lib", 2)}, direct);
    VOP_CHECK(r.cancelled);
    VOP_CHECK(!svc.isModelLoaded());
    VOP_CHECK(!fs::exists(db));
}

VOP_TEST(throwingProgressListenerFailsTheJobWithoutACrash)
{
    const std::string db = tempRoot() + "/throwing.sqlite3";
    LibraryService svc(tinyOptions(db));
    const std::string lib = videoFolder("throwing-lib", 4);
    JobControl job;
    int calls = 0;
    job.onProgress([&](const service::JobProgress& p) {
        if (p.phase == service::phase::Indexing && ++calls == 2)
            throw std::runtime_error("the progress display broke");
    });
    auto out = service::runJob<library::IndexReport>(job, [&](JobControl& c) { return svc.index({lib}, c); });
    VOP_CHECK(out.state == JobState::Failed);
    VOP_CHECK(out.error.find("the progress display broke") != std::string::npos);
    VOP_CHECK(!svc.isIndexing());
    // Nothing stored is damaged and the next run finishes the library.
    {
        store::Catalog catalog(db);
        VOP_CHECK_EQ(catalog.integrityCheck(), std::string("ok"));
    }
    JobControl again;
    auto second = service::runJob<library::IndexReport>(again, [&](JobControl& c) { return svc.index({lib}, c); });
    VOP_CHECK(second.ok());
    const auto st = svc.status();
    VOP_CHECK_EQ(st.counts.indexedFiles, int64_t(4));
}

VOP_TEST(searchWhileIndexingAnswersFromTheLiveIndex)
{
    const std::string db = tempRoot() + "/live.sqlite3";
    LibraryService svc(tinyOptions(db));
    const std::string lib = videoFolder("live-lib", 10);
    svc.loadModel(); // so that the job's time is indexing, not loading
    JobControl job;
    std::atomic<int> grew{0};
    // Hold the job after its first file so the searches below surely run while it is under way.
    const int handle = svc.subscribe([&](const service::LibraryEvent& e) {
        if (e.kind == service::LibraryEvent::Kind::IndexGrew && grew++ == 0)
            job.pause();
    });
    service::JobOutcome<library::IndexReport> out;
    std::thread worker([&] {
        out = service::runJob<library::IndexReport>(job, [&](JobControl& c) { return svc.index({lib}, c); });
    });
    VOP_CHECK(waitFor([&] { return grew.load() > 0; }, 60));
    int live = 0;
    size_t vectors = 0;
    for (int i = 0; i < 5; ++i) {
        const auto r = svc.search(textQuery("colour bars"));
        live += r.liveIndex && !r.moments.empty();
        vectors = r.indexVectors;
    }
    VOP_CHECK(svc.isIndexing());
    VOP_CHECK_EQ(live, 5);
    VOP_CHECK(vectors >= 1 && vectors < 10);
    job.resume();
    worker.join();
    svc.unsubscribe(handle);
    VOP_CHECK(out.ok());
    // After the job: the same index, all ten files.
    const auto r = svc.search(textQuery("colour bars"));
    VOP_CHECK_EQ(r.indexVectors, size_t(10));
    VOP_CHECK(!r.liveIndex);
}

VOP_TEST(pauseHoldsTheJobAndResumeFinishesIt)
{
    const std::string db = tempRoot() + "/pause.sqlite3";
    LibraryService svc(tinyOptions(db));
    const std::string lib = videoFolder("pause-lib", 6);
    JobControl job;
    std::atomic<int64_t> doneAtPause{-1};
    std::atomic<bool> sawPaused{false};
    job.onProgress([&](const service::JobProgress& p) {
        if (p.phase == service::phase::Indexing && p.done >= 1 && doneAtPause < 0) {
            doneAtPause = p.done;
            job.pause();
        }
        if (p.paused)
            sawPaused = true;
    });
    service::JobOutcome<library::IndexReport> out;
    std::thread worker([&] {
        out = service::runJob<library::IndexReport>(job, [&](JobControl& c) { return svc.index({lib}, c); });
    });
    VOP_CHECK(waitFor([&] { return sawPaused.load(); }, 60));
    const int64_t held = job.lastProgress().done;
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    VOP_CHECK(job.state() == JobState::Running);
    VOP_CHECK(job.lastProgress().done <= held + 1); // at most the file already in the writer
    job.resume();
    worker.join();
    VOP_CHECK(out.ok());
    VOP_CHECK_EQ(out.result->indexed.size(), size_t(6));
}

VOP_TEST(rebuildReportsProgressAndCancels)
{
    const std::string db = tempRoot() + "/rebuild.sqlite3";
    LibraryService svc(tinyOptions(db));
    JobControl index;
    svc.index({videoFolder("rebuild-lib", 5)}, index);
    JobControl job;
    int64_t lastDone = -1, total = 0;
    job.onProgress([&](const service::JobProgress& p) {
        if (p.phase == service::phase::BuildingIndex) {
            lastDone = p.done;
            total = p.total;
        }
    });
    auto out = service::runJob<service::RebuildReport>(job, [&](JobControl& c) { return svc.rebuildIndexes(c); });
    VOP_CHECK(out.ok());
    VOP_CHECK_EQ(total, int64_t(5));
    VOP_CHECK_EQ(lastDone, int64_t(5));
    VOP_CHECK_EQ(out.result->spaces.size(), size_t(1));
    VOP_CHECK_EQ(out.result->spaces[0].vectors, size_t(5));

    JobControl cancelling;
    cancelling.onProgress([&](const service::JobProgress& p) {
        if (p.phase == service::phase::BuildingIndex)
            cancelling.cancel();
    });
    auto stopped =
        service::runJob<service::RebuildReport>(cancelling, [&](JobControl& c) { return svc.rebuildIndexes(c); });
    VOP_CHECK(stopped.state == JobState::Cancelled);
    // The saved index is untouched and searches go on.
    const auto st = svc.status({true, true});
    VOP_CHECK_EQ(st.spaces.size(), size_t(1));
    VOP_CHECK_EQ(st.spaces[0].indexState, std::string("ok"));
    VOP_CHECK_EQ(svc.search(textQuery("colour bars")).moments.size(), size_t(5));
}

VOP_TEST(aMissingIndexIsBuiltOnFirstUseAsAJobThatCancels)
{
    const std::string db = tempRoot() + "/firstuse.sqlite3";
    {
        LibraryService svc(tinyOptions(db));
        JobControl index;
        svc.index({videoFolder("firstuse-lib", 5)}, index);
    }
    fs::remove_all(library::indexDirFor(db) + "/"); // keep the folder's locks: only the index files go
    fs::create_directories(library::indexDirFor(db));
    {
        LibraryService svc(tinyOptions(db));
        JobControl job;
        job.onProgress([&](const service::JobProgress& p) {
            if (p.phase == service::phase::BuildingIndex)
                job.cancel();
        });
        auto out = service::runJob<size_t>(job, [&](JobControl& c) { return svc.prepareIndex(c); });
        VOP_CHECK(out.state == JobState::Cancelled);
    }
    LibraryService svc(tinyOptions(db));
    JobControl job;
    std::vector<std::string> phases;
    int64_t built = 0;
    job.onProgress([&](const service::JobProgress& p) {
        if (phases.empty() || phases.back() != p.phase)
            phases.push_back(p.phase);
        if (p.phase == service::phase::BuildingIndex)
            built = p.done;
    });
    const auto r = svc.search(textQuery("colour bars"), &job);
    VOP_CHECK_EQ(r.moments.size(), size_t(5));
    VOP_CHECK_EQ(built, int64_t(5));
    VOP_CHECK(std::find(phases.begin(), phases.end(), std::string(service::phase::LoadingModel)) != phases.end());
    VOP_CHECK(std::find(phases.begin(), phases.end(), std::string(service::phase::BuildingIndex)) != phases.end());
}

VOP_TEST(oneIndexerManySearchersAcrossProcesses)
{
    const std::string db = tempRoot() + "/procs.sqlite3";
    const std::string lib = videoFolder("procs-lib", 4);
    LibraryService svc(tinyOptions(db));
    JobControl first;
    svc.index({lib}, first);

    // Another process holds the indexer lock: this service may search but not index.
    const std::string lock = library::indexerLockPath(library::indexDirFor(db));
    const std::string ready = tempRoot() + "/procs.ready";
    const std::string cmd = "flock " + shellQuote(lock) + " sh -c 'touch " + shellQuote(ready) + "; sleep 4' &";
    VOP_CHECK_EQ(std::system(cmd.c_str()), 0);
    VOP_CHECK(waitFor([&] { return fs::exists(ready); }, 10));
    JobControl second;
    auto out = service::runJob<library::IndexReport>(second, [&](JobControl& c) { return svc.index({lib}, c); });
    VOP_CHECK(out.state == JobState::Failed);
    VOP_CHECK(out.error.find("another vopsearch indexer") != std::string::npos);
    VOP_CHECK_EQ(svc.search(textQuery("colour bars")).moments.size(), size_t(4));
    // A second service on the same catalog (as a second window would have) searches too.
    LibraryService other(tinyOptions(db));
    VOP_CHECK_EQ(other.search(textQuery("colour bars")).moments.size(), size_t(4));
    VOP_CHECK(waitFor([&] { return std::system(("flock -n " + shellQuote(lock) + " true").c_str()) == 0; }, 20));

    // While this service indexes (held paused), the CLI in another process is turned away from
    // indexing and can still search.
    const std::string more = tempRoot() + "/procs-lib/extra.mp4";
    makeVideo(more, 2, 7, "64x36", 4);
    ageFile(more);
    JobControl job;
    std::atomic<bool> paused{false};
    job.onProgress([&](const service::JobProgress& p) {
        if (p.phase == service::phase::Scanning && !paused) {
            job.pause();
            paused = true;
        }
    });
    std::thread worker([&] { service::runJob<library::IndexReport>(job, [&](JobControl& c) { return svc.index({lib}, c); }); });
    VOP_CHECK(waitFor([&] { return paused.load(); }, 30));
    const std::string common = " --db " + shellQuote(db) + " --checkpoint " + shellQuote(tinyCheckpoint()) +
                               " --vocab " + shellQuote(vocabFile()) + " --device cpu --frames 4";
    const auto refused = vop::test::runCommand(VOPSEARCH_CLI, "index " + shellQuote(lib) + common, true);
    VOP_CHECK_EQ(refused.code, 2);
    if (refused.code != 2)
        std::printf("%s\n", refused.out.c_str());
    VOP_CHECK(refused.out.find("another vopsearch indexer") != std::string::npos);
    const auto searched = vop::test::runCommand(VOPSEARCH_CLI, "search 'colour bars' --json" + common);
    VOP_CHECK_EQ(searched.code, 0);
    job.resume();
    worker.join();
    VOP_CHECK(job.state() == JobState::Finished);
    VOP_CHECK_EQ(svc.status().counts.indexedFiles, int64_t(5));
}

VOP_TEST(modelLoadingReportsProgressAndCancelsForEveryFormat)
{
    for (const std::string file : {"model.safetensors", "model.ts.pt"}) {
        auto o = tinyOptions(tempRoot() + "/load.sqlite3");
        o.model.checkpoint = shared("fixtures/clip-tiny/" + file);
        LibraryService svc(o);
        JobControl job;
        int reports = 0;
        job.onProgress([&](const service::JobProgress& p) {
            if (p.phase == service::phase::LoadingModel && p.done > 0) {
                ++reports;
                job.cancel();
            }
        });
        auto out = service::runJob<bool>(job, [&](JobControl& c) {
            svc.loadModel(&c);
            return true;
        });
        VOP_CHECK(out.state == JobState::Cancelled);
        VOP_CHECK(reports >= 1);
        VOP_CHECK(!svc.isModelLoaded());
        JobControl again;
        svc.loadModel(&again);
        VOP_CHECK(svc.isModelLoaded());
    }
}

VOP_TEST(statusRootsAndReadableErrors)
{
    const std::string db = tempRoot() + "/status.sqlite3";
    LibraryService svc(tinyOptions(db));
    VOP_CHECK(!svc.status().exists);
    VOP_CHECK_THROWS_WITH(svc.search(textQuery("anything")), "no library catalog");
    VOP_CHECK_THROWS_WITH(svc.addRoot(tempRoot() + "/no-such-folder"), "no such folder");
    const std::string lib = videoFolder("status-lib", 2);
    const std::string root = svc.addRoot(lib + "/");
    VOP_CHECK_EQ(root, lib);
    VOP_CHECK_THROWS_WITH(svc.search(textQuery("  ")), "type what you remember");
    VOP_CHECK_THROWS_WITH(svc.search(textQuery("colour bars")), "was indexed with");
    JobControl job;
    svc.index({}, job); // every known root
    const auto st = svc.status();
    VOP_CHECK_EQ(st.roots.size(), size_t(1));
    VOP_CHECK_EQ(st.roots[0].indexed, int64_t(2));
    VOP_CHECK(!svc.thumbnail(svc.search(textQuery("colour bars")).moments.at(0).segmentId).empty());
    svc.removeRoot(lib);
    VOP_CHECK_EQ(svc.status().counts.files, int64_t(0));

    service::ModelSettings missing = svc.modelSettings();
    missing.checkpoint = tempRoot() + "/nowhere/ViT-B-32.pt";
    svc.setModelSettings(missing);
    VOP_CHECK(svc.modelProblem().has_value());
    VOP_CHECK(!svc.isModelLoaded());
}

VOP_TEST(aTextOnlySetSearchesTheZeroShotIndexWithoutAJob)
{
    const std::string db = tempRoot() + "/textonly.sqlite3";
    const std::string lib = videoFolder("textonly-lib", 4);
    const auto zero = tinyOptions(db);
    LibraryService svc(zero);
    JobControl index;
    VOP_REQUIRE(svc.index({lib}, index).indexed.size() == 4);
    const int64_t embeddings = svc.status().counts.embeddings;
    const auto zText = svc.search(textQuery("colour bars"));
    const auto zVideo = svc.search(videoQuery(lib + "/v1.mp4"));
    VOP_REQUIRE(!zText.moments.empty() && !zVideo.moments.empty());
    VOP_CHECK(zText.answeredBy.find("zero-shot") != std::string::npos);

    const std::string prompts = makePromptSet("textonly", 0);
    auto settings = zero.model;
    settings.prompts = prompts;
    svc.setModelSettings(settings);
    const auto active = svc.activeSetStatus();
    VOP_CHECK(active.textOnly);
    VOP_CHECK(active.complete()); // the zero-shot space is its space: nothing to encode
    VOP_CHECK(!active.fromPreviousSet);
    VOP_CHECK(active.description.find("text prompts only") != std::string::npos);
    const auto st = svc.status();
    VOP_CHECK(st.active.textOnly);
    VOP_REQUIRE_EQ(st.spaces.size(), size_t(1)); // no space of its own
    VOP_CHECK(st.spaces[0].active && st.spaces[0].variant == "zero");

    // No index job ran: the zero-shot index answers, through the set's text prompts.
    const auto tText = svc.search(textQuery("colour bars"));
    VOP_CHECK(!tText.fromPreviousSet);
    VOP_CHECK(!tText.liveIndex);
    VOP_CHECK_EQ(tText.indexVectors, zText.indexVectors);
    VOP_CHECK(tText.answeredBy.find("textonly.safetensors") != std::string::npos);
    VOP_CHECK(!sameRanking(tText, zText)); // the text side differs ...
    const auto tVideo = svc.search(videoQuery(lib + "/v1.mp4"));
    VOP_CHECK(sameRanking(tVideo, zVideo)); // ... the video side is zero-shot CLIP's

    // An index job with it finds every segment encoded already and adds no space.
    JobControl again;
    const auto report = svc.index({lib}, again);
    VOP_CHECK(report.space.textOnly);
    VOP_CHECK_EQ(report.segments, int64_t(0));
    VOP_CHECK_EQ(svc.status().counts.embeddings, embeddings);
    VOP_CHECK_EQ(svc.status().spaces.size(), size_t(1));

    // The CLI with --prompts does the same: no re-encode, same answers as the service.
    const std::string common = " --db " + shellQuote(db) + " --checkpoint " + shellQuote(tinyCheckpoint()) +
                               " --vocab " + shellQuote(vocabFile()) + " --device cpu --prompts " + shellQuote(prompts);
    const auto idx = vop::test::runCommand(VOPSEARCH_CLI, "index " + shellQuote(lib) + " --settle 0 --json" + common);
    VOP_CHECK_EQ(idx.code, 0);
    VOP_CHECK(idx.out.find("\"text_only\": true") != std::string::npos);
    VOP_CHECK(idx.out.find("\"segments\": 0") != std::string::npos);
    const auto cli = vop::test::runCommand(VOPSEARCH_CLI, "search 'colour bars' --top 5 --json" + common);
    VOP_CHECK_EQ(cli.code, 0);
    VOP_CHECK(cli.out.find("\"segment_id\": " + std::to_string(tText.moments.front().segmentId)) != std::string::npos);
    VOP_CHECK_EQ(svc.status().counts.embeddings, embeddings);
}

VOP_TEST(switchingToAVisualSetAnswersFromThePreviousSetUntilEncoded)
{
    const std::string db = tempRoot() + "/switch.sqlite3";
    const std::string lib = videoFolder("switch-lib", 5);
    auto zero = tinyOptions(db);
    // One segment per encoder call, one queued, one decoder: the pause after the first written
    // file leaves most of the library unencoded on any machine (with 4 segments a call, the int8
    // encoder sometimes finished all 5 files before the pause took hold).
    zero.indexing.segmentsPerBatch = 1;
    zero.indexing.queuedSegments = 1;
    zero.indexing.decodeWorkers = 1;
    auto visual = zero.model;
    visual.prompts = makePromptSet("visual", 2);
    service::JobOutcome<library::IndexReport> out;
    {
        LibraryService svc(zero);
        JobControl index;
        VOP_REQUIRE(svc.index({lib}, index).indexed.size() == 5);
        const auto zText = svc.search(textQuery("colour bars"));

        svc.setModelSettings(visual);
        VOP_CHECK(svc.previousModelSettings() && *svc.previousModelSettings() == zero.model);
        auto active = svc.activeSetStatus();
        VOP_CHECK(!active.textOnly);
        VOP_CHECK(!active.complete());
        VOP_CHECK(active.fromPreviousSet);
        VOP_CHECK(active.answeredBy.find("zero-shot") != std::string::npos);
        const auto before = svc.search(textQuery("colour bars"));
        VOP_CHECK(before.fromPreviousSet);
        VOP_CHECK(sameRanking(before, zText));

        // A set switched to while the active one is not encoded keeps the older fallback.
        auto other = zero.model;
        other.prompts = makePromptSet("visual-other", 3);
        svc.setModelSettings(other);
        VOP_CHECK(svc.previousModelSettings() && *svc.previousModelSettings() == zero.model);
        svc.setModelSettings(visual);

        // The re-encode is a normal index job; paused after its first file, searches still
        // come from the previous set.
        JobControl job;
        std::atomic<int> grew{0};
        const int handle = svc.subscribe([&](const service::LibraryEvent& e) {
            if (e.kind == service::LibraryEvent::Kind::IndexGrew && grew++ == 0)
                job.pause();
        });
        std::thread worker([&] {
            out = service::runJob<library::IndexReport>(job, [&](JobControl& c) { return svc.index({}, c); });
        });
        VOP_CHECK(waitFor([&] { return grew.load() > 0; }, 120));
        const auto during = svc.search(textQuery("colour bars"));
        VOP_CHECK(during.fromPreviousSet);
        VOP_CHECK(!during.liveIndex);
        VOP_CHECK(sameRanking(during, zText));
        active = svc.status().active;
        VOP_CHECK(active.embeddings >= 1 && active.embeddings < active.segments);
        job.cancel();
        job.resume();
        worker.join();
        svc.unsubscribe(handle);
    }
    VOP_CHECK(out.state == JobState::Cancelled || out.ok());

    // A restart with the new settings: the fallback is remembered, the scan finishes the rest.
    auto restartOptions = zero;
    restartOptions.model = visual;
    LibraryService svc(restartOptions);
    VOP_CHECK(svc.previousModelSettings() && *svc.previousModelSettings() == zero.model);
    const auto restarted = svc.search(textQuery("colour bars"));
    VOP_CHECK(restarted.fromPreviousSet);
    JobControl finish;
    const auto report = svc.index({}, finish);
    VOP_CHECK(!report.cancelled);
    VOP_CHECK(!report.indexed.empty() && report.indexed.size() < 5); // only what lacked the new space
    const auto after = svc.search(textQuery("colour bars"));
    VOP_CHECK(!after.fromPreviousSet);
    VOP_CHECK(after.answeredBy.find("visual.safetensors") != std::string::npos);
    VOP_CHECK_EQ(after.indexVectors, size_t(svc.status().active.segments));
    VOP_CHECK(!svc.previousModelSettings());
    LibraryService later(restartOptions);
    VOP_CHECK(!later.previousModelSettings());
}

VOP_TEST(aRepeatedTextQueryComesFromTheQueryCache)
{
    const std::string db = freshDir("query-cache") + "/lib.sqlite3";
    LibraryService lib(tinyOptions(db));
    const std::string videos = videoFolder("query-cache-videos", 2);
    JobControl job;
    VOP_REQUIRE(service::runJob<library::IndexReport>(job, [&](JobControl& c) { return lib.index({videos}, c); }).ok());
    const auto first = lib.search(textQuery("a red square -blue"));
    VOP_CHECK(!first.textFromCache);
    const auto again = lib.search(textQuery("a red square -blue"));
    VOP_CHECK(again.textFromCache);
    VOP_CHECK(sameRanking(first, again));
    VOP_CHECK(lib.search(textQuery("blue")).textFromCache);           // the negative term's embedding
    VOP_CHECK(!lib.search(textQuery("a red square -green")).textFromCache); // "green" is new
    // Another model (here: the same weights as TorchScript, another file digest) never reuses them.
    auto o = tinyOptions(db);
    o.model.checkpoint = shared("fixtures/clip-tiny/model.ts.pt");
    lib.setModelSettings(o.model);
    JobControl job2;
    VOP_REQUIRE(service::runJob<library::IndexReport>(job2, [&](JobControl& c) { return lib.index({}, c); }).ok());
    VOP_CHECK(!lib.search(textQuery("a red square -blue")).textFromCache);
}

VOP_TEST_MAIN()
