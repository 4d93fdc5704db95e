#pragma once
// Encoder speed, measured against the machine's own matrix-product roofline. Used by
// `vopsearch-cli bench encode`; figures go to docs/BENCHMARKS.md.
#include "model/ClipConfig.h"

#include <string>
#include <vector>

namespace vop::bench {

// Floating-point operations (2 per multiply-add) of one image through the vision tower, and of
// one text of `tokens` tokens through the text tower.
double imageFlops(const ClipConfig& c);
double textFlops(const ClipConfig& c, int64_t tokens);

// GEMM throughput of [256 x 768] x [768 x 3072] on `device`, in GFLOP/s, in fp32 or fp16.
double measureGemmGflops(const std::string& device, double seconds = 1.0, bool half = false);

struct EncodeBenchResult {
    std::string device;
    std::string precision;         // "fp16" (CUDA's default), "fp32" or "int8" (CPU image tower)
    std::string blasCore;
    int threads = 0;
    int batch = 0;
    double gemmGflops = 0;
    double imagesPerSecond = 0;    // images already on the device
    double imagesPerSecondFromHost = 0; // CUDA only: fp32 images in pinned host memory, copied per batch
    double imageGflops = 0;        // per image
    double rooflineFraction = 0;   // imagesPerSecond * imageGflops / gemmGflops
    double shortTextMs = 0;        // one short query, tokenisation excluded
    double longTextMs = 0;         // one 77-token query
    int shortTextTokens = 0;
};

// precision: "auto" (what the encoder does: fp16 on CUDA, resolveImagePrecision on the CPU),
// "fp16" (CUDA only), "int8" (CPU only; the text figures stay fp32) or "fp32".
EncodeBenchResult runEncodeBench(const ClipConfig& config, const std::string& device, int batch,
                                 double secondsPerMeasure = 3.0, const std::string& precision = "auto");

} // namespace vop::bench

namespace vop::bench {

// The text tower alone on the CPU (issue 12): one short query and one 77-token query per
// precision (fp32, int8) and per kernel thread count (1 and every core), and how close int8's
// embeddings stay to fp32's on random token sequences.
struct TextBenchRow {
    std::string precision;      // "fp32" | "int8"
    int threads = 0;            // kernel threads (util/KernelThreads.h)
    double shortMs = 0;         // one short query (7 tokens), tokenisation excluded
    double longMs = 0;          // one 77-token query
};
struct TextBenchResult {
    std::string kernel;         // "avx512" | "avx2" | "portable" (VOPSEARCH_CPU_KERNEL lowers it)
    std::string autoPrecision;  // what Precision::Auto resolves to here
    std::vector<TextBenchRow> rows;
    double minInt8Cosine = 0;   // over 32 random sequences of 3..77 tokens
    double quantizeMs = 0;      // setTextPrecision(Int8): quantising the text tower's weights
    double autoMs = 0;          // setTextPrecision(Auto): the same plus its start-up gate
    int shortTokens = 7;
};
TextBenchResult runTextBench(const ClipConfig& config, double secondsPerMeasure = 2.0);

} // namespace vop::bench
