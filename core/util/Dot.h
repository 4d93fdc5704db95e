#pragma once
// The float dot product, chosen once at run time (AVX-512, AVX2+FMA, or portable) so that the
// binary runs on any x86-64 while using the wide units where the CPU has them. Serves the HNSW
// distance and exact search (core/store) and the few-row linear layers (core/model).
#include <cstddef>

namespace vop {

using DotFn = float (*)(const float* a, const float* b, size_t n);

// The fastest dot product this CPU supports.
DotFn dotKernel();
// "avx512", "avx2", or "portable".
const char* dotKernelName();

inline float dot(const float* a, const float* b, size_t n)
{
    return dotKernel()(a, b, n);
}

} // namespace vop
