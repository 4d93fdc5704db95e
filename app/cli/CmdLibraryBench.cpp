// vopsearch-cli bench-index and bench-search: speed figures for the library (never tests).
#include "Commands.h"
#include "LibraryCommon.h"
#include "prompts/VopEncoder.h"

#include "bench/SearchBench.h"
#include "library/Indexer.h"
#include "model/ClipEncoder.h"
#include "search/Searcher.h"
#include "store/IndexSync.h"
#include "util/Error.h"
#include "util/Paths.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>
#include <sys/resource.h>
#include <unistd.h>

namespace vop::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const char* kBenchIndexUsage =
    "usage: vopsearch-cli bench-index [--clips N] [--seconds S] [--size WxH] [--fps R] [--library DIR]\n"
    "                                 [--frames F] [--device D] [--workers N] [--batch N] [--fast-seek] [--json]\n"
    "                                 [--precision P] [--reuse-diff D] [--decode-all] [--static-share S]\n"
    "End-to-end indexing speed on a generated library (h264 clips made with the ffmpeg CLI, kept in --library\n"
    "and reused when it already holds them; default 200 clips of 10 s at 640x360, 25 fps) with a randomly\n"
    "initialised ViT-B/32-shaped CLIP (--checkpoint FILE to use a real one): videos/s, frames/s, and where the\n"
    "time goes (decode, summed over the decode workers; encode; store; the encoder waiting for decoded clips).\n"
    "--precision and --reuse-diff as for 'index'; --decode-all decodes the non-reference frames too (the\n"
    "accurate sampler's behaviour before issue 12); --static-share S makes that share of the clips slides\n"
    "(still test patterns whose colours change every 30 s, no noise) instead of moving pictures.";

const char* kBenchSearchUsage =
    "usage: vopsearch-cli bench-search [--vectors N] [--dim D] [--queries Q] [--ef E[,E2...]] [--M M] [--efc C]\n"
    "                                  [--threads T] [--dir PATH] [--json]\n"
    "       vopsearch-cli bench-search --full [--vectors N] [--queries Q] [--vocab FILE] [--device D] [--json]\n"
    "ANN: HNSW query p50/p95 and recall@10 against exact search on N synthetic library-shaped vectors, build\n"
    "time, index memory and file size (bench/SearchBench). --full: a catalog of N synthetic embeddings and\n"
    "its index, then full searches: text encoding (synthetic ViT-B/32 text tower) + ANN + catalog, p50/p95.";

std::string shellQuote(const std::string& s)
{
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::string x264Output(const std::string& path, int fps)
{
    return " -c:v libx264 -preset veryfast -g " + std::to_string(2 * fps) + " -pix_fmt yuv420p -threads 1 -f mp4 " +
           shellQuote(path);
}

// A slide show: a still test pattern whose hue turns every 30 s (what a talk or a screen recording
// looks like to the indexer; with the default 15 s windows every other segment repeats the one before).
std::string slideCommand(const std::string& path, int i, double seconds, const std::string& size, int fps)
{
    static const char* sources[] = {"smptehdbars", "rgbtestsrc", "yuvtestsrc", "pal75bars"};
    const std::string input = std::string(sources[i % 4]) + "=size=" + size + ":rate=" + std::to_string(fps);
    const std::string vf = "hue=h=" + std::to_string((i * 37) % 360) + "+90*floor(t/30)";
    return "ffmpeg -nostdin -hide_banner -v error -y -f lavfi -i " + shellQuote(input) + " -t " +
           std::to_string(seconds) + " -vf " + shellQuote(vf) + x264Output(path, fps);
}

// Clip i of the generated library: a different source and hue per clip, so no two are alike.
std::string clipCommand(const std::string& path, int i, double seconds, const std::string& size, int fps)
{
    static const char* sources[] = {"testsrc2", "smptehdbars", "mandelbrot", "life", "cellauto", "rgbtestsrc"};
    const std::string src = sources[i % 6];
    std::string input = src + "=size=" + size + ":rate=" + std::to_string(fps);
    if (src == "life")
        input += ":mold=10:r=" + std::to_string(fps) + ":ratio=0.1:death_color=#C83232:life_color=#00ff00";
    if (src == "cellauto")
        input += ":rule=" + std::to_string(18 + (i * 7) % 100);
    std::ostringstream vf;
    vf << "hue=h=" << (i * 37) % 360 << ":s=" << 0.6 + 0.1 * (i % 5) << ",noise=alls=" << 4 + i % 7 << ":allf=t";
    return "ffmpeg -nostdin -hide_banner -v error -y -f lavfi -i " + shellQuote(input) + " -t " +
           std::to_string(seconds) + " -vf " + shellQuote(vf.str()) + x264Output(path, fps);
}

// Clips 0, k, 2k, ... are slides when `staticEvery` is k > 0.
size_t generateLibrary(const std::string& dir, int clips, double seconds, const std::string& size, int fps, bool quiet,
                       int staticEvery = 0)
{
    fs::create_directories(dir);
    size_t made = 0;
    const auto t0 = Clock::now();
    for (int i = 0; i < clips; ++i) {
        char name[64];
        std::snprintf(name, sizeof name, "clip-%04d.mp4", i);
        const std::string path = (fs::path(dir) / name).string();
        if (fs::exists(path) && fs::file_size(path) > 0)
            continue;
        const std::string tmp = path + ".part";
        const bool slide = staticEvery > 0 && i % staticEvery == 0;
        const std::string command =
            slide ? slideCommand(tmp, i, seconds, size, fps) : clipCommand(tmp, i, seconds, size, fps);
        if (std::system(command.c_str()) != 0)
            throw Error("ffmpeg could not generate '" + path + "' (is the ffmpeg CLI with libx264 installed?)");
        fs::rename(tmp, path);
        ++made;
        if (!quiet)
            std::fprintf(stderr, "\rgenerating the library: %d/%d", i + 1, clips);
    }
    if (made && !quiet)
        std::fprintf(stderr, "\rgenerated %zu clips in %.0f s%20s\n", made,
                     std::chrono::duration<double>(Clock::now() - t0).count(), "");
    return made;
}

// The model of bench-index: --checkpoint, else a random ViT-B/32; --device, --precision.
VopEncoder benchEncoder(const Args& args, int frames)
{
    ClipEncoder::Options co;
    co.checkpoint = args.get("checkpoint");
    co.vocab = args.get("vocab");
    co.device = args.get("device", "auto");
    co.imagePrecision = co.textPrecision = precisionOption(args);
    ClipEncoder clip = args.has("checkpoint") ? ClipEncoder(co)
                                              : ClipEncoder::synthetic(ClipConfig::vitB32(), co.device);
    clip.setPrecision(co.imagePrecision, co.textPrecision);
    return VopEncoder(std::move(clip), "", frames);
}

library::IndexerOptions benchIndexerOptions(const Args& args)
{
    library::IndexerOptions o;
    o.sync.settleSeconds = 0;
    o.decodeWorkers = args.getInt("workers", 0);
    o.segmentsPerBatch = args.getInt("batch", 0);
    o.segments.seek = args.has("fast-seek") ? media::SeekMode::Fast : media::SeekMode::Accurate;
    o.segments.skipNonReference = !args.has("decode-all");
    o.reuseMaxDiff = args.getDouble("reuse-diff", o.reuseMaxDiff);
    return o;
}

int runBenchIndex(const std::vector<std::string>& argv)
{
    Args args(argv, {"clips", "seconds", "size", "fps", "library", "frames", "device", "workers", "batch", "checkpoint",
                     "vocab", "precision", "reuse-diff", "static-share"},
              {"fast-seek", "json", "decode-all"});
    const int clips = args.getInt("clips", 200), fps = args.getInt("fps", 25), frames = args.getInt("frames", 12);
    const double seconds = args.getDouble("seconds", 10);
    const std::string size = args.get("size", "640x360");
    if (clips < 1 || fps < 1 || frames < 1 || !(seconds > 0))
        throw UsageError("--clips, --fps, --frames and --seconds must be positive");
    const double staticShare = args.getDouble("static-share", 0);
    if (!(staticShare >= 0 && staticShare <= 1))
        throw UsageError("--static-share must be between 0 and 1");
    const int staticEvery = staticShare > 0 ? std::max(1, int(std::lround(1 / staticShare))) : 0;
    const std::string library = args.get(
        "library", (fs::temp_directory_path() /
                    ("vopsearch-bench-" + std::to_string(clips) + "x" + std::to_string(int(seconds)) + "s-" + size +
                     (staticEvery ? "-slides30s" + std::to_string(staticEvery) : "")))
                       .string());
    const bool json = args.has("json");
    generateLibrary(library, clips, seconds, size, fps, json, staticEvery);

    std::string work = (fs::temp_directory_path() / "vopsearch-bench-index-XXXXXX").string();
    if (!::mkdtemp(work.data()))
        throw Error("cannot make a temporary folder");
    const std::string db = work + "/bench.sqlite3";

    const auto tl = Clock::now();
    VopEncoder encoder = benchEncoder(args, frames);
    const double loadSeconds = std::chrono::duration<double>(Clock::now() - tl).count();

    const library::IndexerOptions o = benchIndexerOptions(args);
    library::Indexer indexer(db, encoder, o);
    auto progress = [&](const library::IndexProgress& p) {
        if (!json && p.phase == library::IndexProgress::Phase::Indexing)
            std::fprintf(stderr, "\rindexing: %lld/%lld files, %.1f frames/s   ", (long long)p.filesDone,
                         (long long)p.filesTotal, p.framesPerSecond);
    };
    struct rusage ru0 {}, ru1 {};
    ::getrusage(RUSAGE_SELF, &ru0);
    const auto r = indexer.run({library}, progress);
    ::getrusage(RUSAGE_SELF, &ru1);
    auto cpuOf = [](const struct rusage& u) {
        return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
    };
    const double processCpu = cpuOf(ru1) - cpuOf(ru0);
    if (!json)
        std::fprintf(stderr, "\n");
    std::error_code ec;
    fs::remove_all(work, ec);

    const auto& t = r.timings;
    const double wall = t.wall;
    const double pipeline = wall - t.scan;
    const double videos = double(r.indexed.size());
    double load1 = 0;
    if (std::ifstream in("/proc/loadavg"); in)
        in >> load1;
    const unsigned cores = std::thread::hardware_concurrency();
    if (json) {
        nlohmann::json j = {{"library", library},
                            {"clips", clips},
                            {"clip_seconds", seconds},
                            {"size", size},
                            {"fps", fps},
                            {"frames_per_segment", frames},
                            {"model", encoder.clip().format() == "synthetic" ? "synthetic ViT-B/32" : encoder.clip().checkpointPath()},
                            {"device", encoder.clip().deviceName()},
                            {"precision", precisionName(encoder.clip().imagePrecision())},
                            {"skip_non_reference", o.segments.skipNonReference},
                            {"reuse_max_diff", o.reuseMaxDiff},
                            {"cores", cores},
                            {"load_average_before", load1},
                            {"decode_workers", t.decodeWorkers},
                            {"clips_per_batch", t.segmentsPerBatch},
                            {"videos", r.indexed.size()},
                            {"skipped", r.skipped.size() + r.failed.size()},
                            {"segments", r.segments},
                            {"frames", r.frames},
                            {"frames_encoded", r.framesEncoded},
                            {"segments_reused", r.segmentsReused},
                            {"model_load_s", loadSeconds},
                            {"wall_s", wall},
                            {"scan_s", t.scan},
                            {"pipeline_s", pipeline},
                            {"decode_s", t.decode},
                            {"decode_cpu_s", t.decodeCpu},
                            {"process_cpu_s", processCpu},
                            {"decode_cpu_fraction", processCpu > 0 ? t.decodeCpu / processCpu : 0},
                            {"encode_s", t.encode},
                            {"store_s", t.store},
                            {"index_save_s", t.indexSave},
                            {"encoder_wait_s", t.encoderWait},
                            {"videos_per_s", pipeline > 0 ? videos / pipeline : 0},
                            {"frames_per_s", pipeline > 0 ? double(r.frames) / pipeline : 0},
                            {"encoder_frames_per_s", t.encode > 0 ? double(r.frames) / t.encode : 0},
                            {"decode_plus_store_fraction", pipeline > 0 ? (t.decode + t.store) / pipeline : 0},
                            {"encode_fraction", pipeline > 0 ? t.encode / pipeline : 0}};
        printJson(dumpJson(j, 2));
        return 0;
    }
    std::printf("library          %s: %d clips of %.0f s, %s, %d fps (h264)\n", library.c_str(), clips, seconds,
                size.c_str(), fps);
    std::printf("model            %s on %s, %s (loaded in %.1f s)\n",
                encoder.clip().format() == "synthetic" ? "synthetic ViT-B/32" : encoder.clip().checkpointPath().c_str(),
                encoder.clip().deviceName().c_str(), precisionName(encoder.clip().imagePrecision()), loadSeconds);
    std::printf("machine          %u cores, load average %.2f before the run\n", cores, load1);
    std::printf("indexed          %zu videos, %lld segments, %lld frames (%d per segment); %zu skipped/failed\n",
                r.indexed.size(), (long long)r.segments, (long long)r.frames, frames, r.skipped.size() + r.failed.size());
    std::printf("encoded          %lld frames; %lld segments reused the previous one's embedding\n",
                (long long)r.framesEncoded, (long long)r.segmentsReused);
    std::printf("wall             %.1f s (scan %.1f s, pipeline %.1f s)\n", wall, t.scan, pipeline);
    std::printf("throughput       %.2f videos/s, %.1f frames/s\n", pipeline > 0 ? videos / pipeline : 0,
                pipeline > 0 ? double(r.frames) / pipeline : 0);
    std::printf("decode           %.1f s busy over %d workers (%.0f%% of the pipeline's wall time)\n", t.decode,
                t.decodeWorkers, pipeline > 0 ? 100 * t.decode / pipeline : 0);
    std::printf("decode CPU       %.1f s of the process's %.1f CPU seconds (%.0f%%)\n", t.decodeCpu, processCpu,
                processCpu > 0 ? 100 * t.decodeCpu / processCpu : 0);
    std::printf("encode           %.1f s (%.0f%%), %.1f frames/s while encoding, batches of %d clips\n", t.encode,
                pipeline > 0 ? 100 * t.encode / pipeline : 0, t.encode > 0 ? double(r.frames) / t.encode : 0,
                t.segmentsPerBatch);
    std::printf("store            %.2f s (%.1f%%), index saves %.2f s\n", t.store,
                pipeline > 0 ? 100 * t.store / pipeline : 0, t.indexSave);
    std::printf("encoder waiting  %.1f s for decoded clips\n", t.encoderWait);
    std::printf("decode + store   %.0f%% of the pipeline's wall time\n",
                pipeline > 0 ? 100 * (t.decode + t.store) / pipeline : 0);
    return 0;
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5))];
}

// A catalog of `n` synthetic embeddings (20 segments per file, clustered like a library) and
// its index, then full text searches through it.
int runFullSearch(const Args& args)
{
    const size_t n = size_t(std::max(1, args.getInt("vectors", 100000)));
    const int queries = std::max(1, args.getInt("queries", 200));
    const bool json = args.has("json");
    std::string vocab = args.get("vocab");
    if (vocab.empty())
        vocab = paths::findModelFile("bpe_simple_vocab_16e6.txt.gz");
    if (vocab.empty())
        throw UsageError("--full needs --vocab FILE (bpe_simple_vocab_16e6.txt.gz)");
    std::string work = args.get("dir");
    bool ownWork = false;
    if (work.empty()) {
        work = (fs::temp_directory_path() / "vopsearch-bench-search-XXXXXX").string();
        if (!::mkdtemp(work.data()))
            throw Error("cannot make a temporary folder");
        ownWork = true;
    }
    const std::string db = work + "/bench.sqlite3";
    fs::remove(db);
    VopEncoder encoder(ClipEncoder::synthetic(ClipConfig::vitB32(), args.get("device", "auto"), vocab), "", 12);
    const int dim = int(encoder.config().embedDim);

    const auto tf = Clock::now();
    store::Catalog catalog(db);
    const int64_t rootId = catalog.addRoot("/bench");
    const store::IndexKey key{catalog.upsertModel("synthetic-bench", "synthetic ViT-B/32", dim), std::nullopt};
    std::mt19937_64 rng(7);
    std::normal_distribution<float> g(0.f, 1.f);
    std::vector<std::vector<float>> topics(64, std::vector<float>(size_t(dim)));
    for (auto& t : topics)
        for (auto& x : t)
            x = g(rng);
    const size_t perFile = 20;
    std::vector<float> video(static_cast<size_t>(dim));
    for (size_t done = 0; done < n;) {
        catalog.transaction([&] {
            for (int f = 0; f < 500 && done < n; ++f) {
                const auto& topic = topics[rng() % topics.size()];
                for (int j = 0; j < dim; ++j)
                    video[size_t(j)] = topic[size_t(j)] + 0.8f * g(rng);
                const int64_t fileId = catalog.upsertFile(
                    {"/bench/video-" + std::to_string(done / perFile) + ".mp4", rootId, 1000, 1, ""}).fileId;
                store::FileContent content;
                content.media = store::MediaInfo{double(perFile) * 15, 1920, 1080, "h264"};
                for (size_t s = 0; s < perFile && done < n; ++s, ++done) {
                    store::SegmentContent seg;
                    seg.start = double(s) * 15;
                    seg.end = seg.start + 15;
                    std::vector<float> v(static_cast<size_t>(dim));
                    for (int j = 0; j < dim; ++j)
                        v[size_t(j)] = video[size_t(j)] + 0.3f * g(rng);
                    seg.embeddings.push_back({key.modelId, std::nullopt, std::move(v)});
                    content.segments.push_back(std::move(seg));
                }
                catalog.replaceFileContent(fileId, content);
            }
        });
        if (!json)
            std::fprintf(stderr, "\rfilling the catalog: %zu/%zu", done, n);
    }
    const double fillSeconds = std::chrono::duration<double>(Clock::now() - tf).count();
    const auto tb = Clock::now();
    auto index = store::ensureIndex(catalog, key, library::indexDirFor(db)).index;
    const double buildSeconds = std::chrono::duration<double>(Clock::now() - tb).count();
    if (!json)
        std::fprintf(stderr, "\rcatalog filled in %.1f s, index built in %.1f s%20s\n", fillSeconds, buildSeconds, "");

    static const char* phrases[] = {"a dog running on the beach", "birthday cake with candles", "snow covered mountains",
                                    "a child riding a bicycle", "fireworks over the city at night", "people dancing",
                                    "a cat sleeping on a sofa", "waves crashing on rocks", "a red car driving fast",
                                    "cooking pasta in the kitchen", "football match in a stadium", "sunset -clouds"};
    search::Searcher searcher(catalog, index);
    search::SearchOptions so;
    so.top = 10;
    std::vector<double> encodeMs, searchMs, fullMs;
    for (int q = -3; q < queries; ++q) { // three warm-up queries
        const std::string text = std::string(phrases[size_t(q + 3) % 12]) + (q % 5 == 0 ? " outdoors" : "");
        const auto t0 = Clock::now();
        const auto v = search::textQueryVector(encoder, text, so.negativeWeight);
        const auto t1 = Clock::now();
        const auto moments = searcher.search(v, so);
        const auto t2 = Clock::now();
        if (q < 0)
            continue;
        encodeMs.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        searchMs.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
        fullMs.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
    }
    const auto dbBytes = fs::file_size(db);
    if (ownWork) {
        std::error_code ec;
        fs::remove_all(work, ec);
    }
    if (json) {
        printJson(dumpJson({{"vectors", n}, {"dim", dim}, {"queries", queries}, {"device", encoder.clip().deviceName()},
                            {"catalog_fill_s", fillSeconds}, {"index_build_s", buildSeconds},
                            {"catalog_bytes", dbBytes}, {"index_memory_bytes", index->memoryBytes()},
                            {"text_encode_p50_ms", percentile(encodeMs, 0.5)},
                            {"search_p50_ms", percentile(searchMs, 0.5)}, {"search_p95_ms", percentile(searchMs, 0.95)},
                            {"full_p50_ms", percentile(fullMs, 0.5)}, {"full_p95_ms", percentile(fullMs, 0.95)}},
                           2));
        return 0;
    }
    std::printf("vectors          %zu x %d (20 segments per file), catalog %.1f MB, index %.1f MB in memory\n", n, dim,
                double(dbBytes) / 1e6, double(index->memoryBytes()) / 1e6);
    std::printf("text encode      p50 %.2f ms (synthetic ViT-B/32 text tower on %s)\n", percentile(encodeMs, 0.5),
                encoder.clip().deviceName().c_str());
    std::printf("ANN + catalog    p50 %.2f ms, p95 %.2f ms (top 10 moments, merged)\n", percentile(searchMs, 0.5),
                percentile(searchMs, 0.95));
    std::printf("full search      p50 %.2f ms, p95 %.2f ms over %d queries\n", percentile(fullMs, 0.5),
                percentile(fullMs, 0.95), queries);
    return 0;
}

int runBenchSearch(const std::vector<std::string>& argv)
{
    Args args(argv, {"vectors", "dim", "queries", "recall-queries", "ef", "M", "efc", "threads", "dir", "vocab", "device"},
              {"json", "full", "keep"});
    if (args.has("full"))
        return runFullSearch(args);
    bench::SearchBenchOptions o;
    const int vectors = args.getInt("vectors", 100000);
    if (vectors < 1)
        throw UsageError("--vectors must be at least 1");
    o.vectors = size_t(vectors);
    o.dim = args.getInt("dim", 512);
    o.latencyQueries = size_t(std::max(1, args.getInt("queries", 1000)));
    o.recallQueries = size_t(std::max(1, args.getInt("recall-queries", 200)));
    o.params.M = size_t(args.getInt("M", int(o.params.M)));
    o.params.efConstruction = size_t(args.getInt("efc", int(o.params.efConstruction)));
    o.params.threads = unsigned(std::max(0, args.getInt("threads", 0)));
    o.workDir = args.get("dir");
    o.keepFile = args.has("keep");
    if (args.has("ef")) {
        std::vector<size_t> efs;
        std::stringstream ss(args.get("ef"));
        for (std::string e; std::getline(ss, e, ',');)
            efs.push_back(size_t(std::stoul(e)));
        if (efs.empty())
            throw UsageError("--ef needs at least one value");
        o.params.efSearch = efs.front();
        o.efSweep.assign(efs.begin() + 1, efs.end());
    }
    if (!args.has("json"))
        o.progress = [](const std::string& s) { std::fprintf(stderr, "\r%-60s", s.c_str()); };
    const auto r = bench::runSearchBench(o);
    if (!args.has("json"))
        std::fprintf(stderr, "\n");
    std::cout << (args.has("json") ? bench::formatSearchBenchJson(r) : bench::formatSearchBenchText(r)) << std::endl;
    return 0;
}

Command regIndex{"bench-index", "speed figures: end-to-end indexing of a generated library", kBenchIndexUsage,
                 &runBenchIndex};
Command regSearch{"bench-search", "speed figures: HNSW search, recall, and full text search", kBenchSearchUsage,
                  &runBenchSearch};

} // namespace
} // namespace vop::cli
