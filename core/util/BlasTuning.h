#pragma once
#include <string>

namespace vop {

// Debian 12's OpenBLAS (0.3.21) does not know recent Xeons (Sapphire Rapids and later) and
// falls back to its generic "Prescott" kernels: matrix products then run ~3.5x slower (measured
// 64 vs 226 GFLOP/s on the project's 2-core machine). OpenBLAS reads OPENBLAS_CORETYPE only when
// it is loaded, so when it reports that fallback on a CPU with AVX-512 (SkylakeX kernels) or
// AVX2+FMA (Haswell kernels), this sets the variable and re-executes the program once.
// No effect when OPENBLAS_CORETYPE is already set, VOPSEARCH_NO_BLAS_TUNING is set, or the BLAS
// is not OpenBLAS. Call it first thing in main().
void ensureFastBlas(char** argv);

// The OpenBLAS core in use ("SkylakeX", "Prescott", ...), or "" when the BLAS is not OpenBLAS.
std::string blasCoreName();

} // namespace vop
