#pragma once
#include <string>

namespace vop {

// Debian 12's OpenBLAS (0.3.21) does not know recent Xeons (Sapphire Rapids and later) and
// falls back to its generic "Prescott" kernels: matrix products then run ~3.5x slower (measured
// 64 vs 226 GFLOP/s on the project's 2-core machine). OpenBLAS reads OPENBLAS_CORETYPE only when
// it is loaded, so when it reports that fallback on a CPU with AVX-512 (SkylakeX kernels) or
// AVX2+FMA (Haswell kernels), this sets the variable and re-executes the program once.
// It also sets OPENBLAS_THREAD_TIMEOUT=4 when unset: OpenBLAS's idle threads otherwise spin for
// ~2^28 cycles after each product, holding the cores that torch's OpenMP threads need next, so a
// LayerNorm of [7, 512] took 8 ms instead of 4 us on 2 cores (a text query: 117 ms -> see
// docs/BENCHMARKS.md). Variables already set are respected; nothing happens when
// VOPSEARCH_NO_BLAS_TUNING is set or the BLAS is not OpenBLAS. Call it first thing in main(); the
// CLI skips it for commands without big products (a text search), which a restart costs more.
void ensureFastBlas(char** argv);

// Sets OpenBLAS's own thread count (no effect when the BLAS is not OpenBLAS). Call it after
// at::set_num_threads, which resets it.
void setBlasThreads(int n);

// The OpenBLAS core in use ("SkylakeX", "Prescott", ...), or "" when the BLAS is not OpenBLAS.
std::string blasCoreName();

} // namespace vop
