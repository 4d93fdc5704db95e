// vopsearch-cli bench text (bench-text): the CPU text tower's query latency per precision and
// kernel thread count (issue 12). Figures go to docs/BENCHMARKS.md.
#include "Commands.h"

#include "bench/EncodeBench.h"
#include "model/ClipConfig.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace vop::cli {
namespace {

const char* kUsage =
    "usage: vopsearch-cli bench text [--seconds S] [--json]\n"
    "Text query latency of a randomly initialised ViT-B/32 text tower on the CPU: a short query (7 tokens)\n"
    "and a 77-token one, in fp32 and int8 (int8 weights per output channel, fp32 activations), on one\n"
    "kernel thread and on every core; the worst cosine of int8 to fp32 embeddings over 32 random\n"
    "sequences; the kernel this CPU runs (VOPSEARCH_CPU_KERNEL=avx2|portable picks a narrower one) and\n"
    "what --precision auto resolves to for the text tower.";

int runBenchText(const std::vector<std::string>& argv)
{
    Args args(argv, {"seconds"}, {"json"});
    const auto r = bench::runTextBench(ClipConfig::vitB32(), args.getDouble("seconds", 2.0));
    if (args.has("json")) {
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& row : r.rows)
            rows.push_back({{"precision", row.precision}, {"threads", row.threads}, {"short_text_ms", row.shortMs},
                            {"long_text_ms", row.longMs}});
        nlohmann::json j = {{"kernel", r.kernel}, {"auto_precision", r.autoPrecision}, {"rows", rows},
                            {"min_int8_cosine", r.minInt8Cosine}, {"short_tokens", r.shortTokens},
                            {"quantize_ms", r.quantizeMs}, {"auto_ms", r.autoMs}};
        std::cout << j.dump(2) << std::endl;
        return 0;
    }
    std::printf("kernel %s, text precision auto -> %s (quantising %.0f ms, auto with its gate %.0f ms)\n",
                r.kernel.c_str(), r.autoPrecision.c_str(), r.quantizeMs, r.autoMs);
    std::printf("%-9s %8s %14s %14s\n", "precision", "threads", "short query", "77 tokens");
    for (const auto& row : r.rows)
        std::printf("%-9s %8d %11.2f ms %11.2f ms\n", row.precision.c_str(), row.threads, row.shortMs, row.longMs);
    std::printf("int8 vs fp32: worst cosine %.6f over 32 random token sequences\n", r.minInt8Cosine);
    return 0;
}

Command reg{"bench-text", "text query latency per precision and thread count (synthetic ViT-B/32)", kUsage,
            &runBenchText};

} // namespace
} // namespace vop::cli
