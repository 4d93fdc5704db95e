#pragma once
// Internal to vop_store: the inner-product kernel used by the HNSW space and by exact search,
// chosen once at run time (AVX-512, AVX2+FMA, or portable) so that the binary runs on any
// x86-64 while using the wide units where the CPU has them.
#include <cstddef>

namespace vop::store::detail {

using DotFn = float (*)(const float* a, const float* b, size_t n);

// The fastest dot product this CPU supports.
DotFn dotKernel();
// "avx512", "avx2", or "portable".
const char* dotKernelName();

inline float dot(const float* a, const float* b, size_t n)
{
    return dotKernel()(a, b, n);
}

// Scales v to unit length in place. Returns false (and zeroes v) when it has no direction
// (all zeros) or holds a value that is not finite.
bool normalize(float* v, size_t n);

} // namespace vop::store::detail
