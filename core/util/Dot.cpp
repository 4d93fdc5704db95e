#include "util/Dot.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define VOP_X86_DISPATCH 1
#include <immintrin.h>
#endif

namespace vop {

namespace {

float dotPortable(const float* a, const float* b, size_t n)
{
    // Four accumulators let the compiler vectorise without -ffast-math.
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; ++i)
        s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

#ifdef VOP_X86_DISPATCH
__attribute__((target("avx2,fma"))) float dotAvx2(const float* a, const float* b, size_t n)
{
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i + 8 <= n; i += 8)
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    __m256 acc = _mm256_add_ps(acc0, acc1);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    float r = _mm_cvtss_f32(s);
    for (; i < n; ++i)
        r += a[i] * b[i];
    return r;
}

__attribute__((target("avx512f"))) float dotAvx512(const float* a, const float* b, size_t n)
{
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    }
    for (; i + 16 <= n; i += 16)
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    if (i < n) {
        __mmask16 mask = static_cast<__mmask16>((1u << (n - i)) - 1u);
        acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i), acc1);
    }
    alignas(64) float lanes[16]; // (GCC 12's _mm512_reduce_add_ps trips -Wuninitialized)
    _mm512_store_ps(lanes, _mm512_add_ps(acc0, acc1));
    float r = 0;
    for (float x : lanes)
        r += x;
    return r;
}
#endif

DotFn choose()
{
#ifdef VOP_X86_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return dotAvx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return dotAvx2;
#endif
    return dotPortable;
}

} // namespace

DotFn dotKernel()
{
    static const DotFn fn = choose();
    return fn;
}

const char* dotKernelName()
{
    DotFn fn = dotKernel();
#ifdef VOP_X86_DISPATCH
    if (fn == dotAvx512)
        return "avx512";
    if (fn == dotAvx2)
        return "avx2";
#endif
    (void)fn;
    return "portable";
}

} // namespace vop
