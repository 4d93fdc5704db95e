// vopsearch-cli bench: commands that print speed figures (never part of the test suite).
#include "Commands.h"

#include "bench/EncodeBench.h"
#include "bench/VariantBench.h"
#include "model/ClipConfig.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace vop::cli {
namespace {

const char* kUsage =
    "usage: vopsearch-cli bench encode --synthetic vit-b-32 [--batch N] [--device D] [--precision P] [--seconds S] [--json]\n"
    "       vopsearch-cli bench encode --variant V|all [--synthetic S] [--clips N] [--frames F] [--device D]\n"
    "       vopsearch-cli bench text|index|search|train ...   (the same as bench-text, bench-index, ...)\n"
    "Encoder speed on a randomly initialised model of the given shape: images/s, text query latency\n"
    "(short and 77-token), and the machine's fp32 matrix-product GFLOP/s, so that images/s reads as a\n"
    "fraction of the roofline. With --variant: clips/s (F frames each) of that VoP variant (or of all,\n"
    "beside zero-shot CLIP), batches of --clips clips (default 4). --precision auto (the encoder's: fp16 on\n"
    "CUDA; on the CPU int8 where it is faster, else fp32), fp16 (CUDA), int8 (CPU: the image tower)\n"
    "or fp32; on CUDA also images/s from pinned host memory (copy included).";

ClipConfig syntheticConfig(const std::string& name)
{
    ClipConfig c = ClipConfig::vitB32();
    if (name == "vit-b-32")
        return c;
    if (name == "vit-b-16") {
        c.visionPatch = 16;
        return c;
    }
    if (name == "vit-l-14") {
        c.visionPatch = 14;
        c.visionWidth = 1024;
        c.visionLayers = 24;
        c.visionMlpWidth = 4096;
        c.textWidth = 768;
        c.textMlpWidth = 3072;
        c.embedDim = 768;
        return c;
    }
    throw UsageError("unknown synthetic shape '" + name + "' (vit-b-32, vit-b-16, vit-l-14)");
}

int runBenchVariants(const Args& args, const ClipConfig& config)
{
    std::vector<Variant> variants;
    if (args.get("variant") == "all")
        variants = allVariants();
    else
        variants.push_back(parseVariant(args.get("variant")));
    const int clips = args.getInt("clips", 4), frames = args.getInt("frames", 12);
    if (clips < 1 || frames < 1)
        throw UsageError("--clips and --frames must be at least 1");
    nlohmann::json all = nlohmann::json::array();
    if (!args.has("json"))
        std::printf("%-8s %12s %10s %12s   (%d frames per clip, batches of %d clips)\n", "variant", "params", "clips/s",
                    "frames/s", frames, clips);
    for (auto v : variants) {
        const auto r = bench::runVariantBench(config, v, args.get("device", "auto"), clips, frames, args.getDouble("seconds", 3.0));
        if (args.has("json"))
            all.push_back({{"variant", r.variant}, {"parameters", r.trainableParameters}, {"clips_per_s", r.segmentsPerSecond},
                           {"frames_per_s", r.framesPerSecond}, {"frames", r.frames}, {"clips_per_batch", r.segmentsPerBatch}});
        else
            std::printf("%-8s %12lld %10.2f %12.1f\n", r.variant.c_str(), (long long)r.trainableParameters,
                        r.segmentsPerSecond, r.framesPerSecond);
    }
    if (args.has("json"))
        printJson(all.dump(2));
    return 0;
}

int runBenchEncode(const Args& args)
{
    const auto config = syntheticConfig(args.get("synthetic", "vit-b-32"));
    if (args.has("variant"))
        return runBenchVariants(args, config);
    const int batch = args.getInt("batch", 32);
    if (batch < 1)
        throw UsageError("--batch must be at least 1");
    const auto r = bench::runEncodeBench(config, args.get("device", "auto"), batch, args.getDouble("seconds", 3.0),
                                         args.get("precision", "auto"));
    if (args.has("json")) {
        nlohmann::json j = {{"device", r.device},           {"blas_core", r.blasCore},
                            {"precision", r.precision},     {"images_per_s_from_host", r.imagesPerSecondFromHost},
                            {"text_queries_per_s", 1e3 / r.shortTextMs},
                            {"threads", r.threads},         {"batch", r.batch},
                            {"gemm_gflops", r.gemmGflops},  {"images_per_s", r.imagesPerSecond},
                            {"image_gflop", r.imageGflops}, {"roofline_fraction", r.rooflineFraction},
                            {"short_text_ms", r.shortTextMs}, {"long_text_ms", r.longTextMs}};
        printJson(j.dump(2));
        return 0;
    }
    std::printf("model            synthetic %s\n", config.summary().c_str());
    std::printf("device           %s%s, %d BLAS threads, BLAS core %s\n", r.device.c_str(),
                r.precision == "fp32" ? "" : (" (" + r.precision + ")").c_str(), r.threads,
                r.blasCore.empty() ? "(not OpenBLAS)" : r.blasCore.c_str());
    std::printf("GEMM roofline    %.1f GFLOP/s  (%s 256x768 @ 768x3072)\n", r.gemmGflops,
                r.precision == "fp16" ? "fp16" : "fp32");
    std::printf("images           %.1f images/s at batch %d  (%.2f GFLOP/image -> %.1f GFLOP/s = %.0f%% of roofline)\n",
                r.imagesPerSecond, r.batch, r.imageGflops, r.imagesPerSecond * r.imageGflops,
                100.0 * r.rooflineFraction);
    if (r.imagesPerSecondFromHost > 0)
        std::printf("images, %s     %.1f images/s from pinned host memory (copy included)\n", r.precision.c_str(),
                    r.imagesPerSecondFromHost);
    std::printf("text, short      %.2f ms per query (%d tokens)\n", r.shortTextMs, r.shortTextTokens);
    std::printf("text, 77 tokens  %.2f ms per query\n", r.longTextMs);
    return 0;
}

int runBench(const std::vector<std::string>& argv)
{
    if (argv.empty())
        throw UsageError("bench needs a subject: encode");
    const std::string what = argv[0];
    std::vector<std::string> rest(argv.begin() + 1, argv.end());
    if (what == "encode") {
        Args args(rest, {"synthetic", "batch", "device", "seconds", "variant", "clips", "frames", "precision"}, {"json"});
        return runBenchEncode(args);
    }
    // bench index|search|train run the benchmark commands of those areas (bench-index, ...).
    for (const Command* c : commands())
        if (c->name == "bench-" + what)
            return c->fn(rest);
    throw UsageError("unknown benchmark '" + what + "' (encode, text, index, search, train)");
}

Command reg{"bench", "speed figures: bench encode | index | search | train", kUsage, &runBench};

} // namespace
} // namespace vop::cli
