#include "model/SmallLinear.h"

#include "model/Int8Stream.h"
#include "util/Dot.h"
#include "util/KernelThreads.h"

#include <torch/torch.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VOP_X86 1
#endif

namespace vop {

namespace {

// Weights stored transposed (see ClipModelImpl::useTransposedWeights): out[m, j0:j1] +=
// x[m, k] * wt[k, j0:j1] for every k, streaming each weight row once.
using ColumnKernel = void (*)(const float* wt, const float* x, int64_t M, int64_t K, int64_t N, int64_t j0,
                              int64_t j1, float* out);

void columnsGeneric(const float* wt, const float* x, int64_t M, int64_t K, int64_t N, int64_t j0, int64_t j1,
                    float* out)
{
    for (int64_t k = 0; k < K; ++k) {
        const float* w = wt + k * N;
        for (int64_t m = 0; m < M; ++m) {
            const float a = x[m * K + k];
            float* o = out + m * N;
            for (int64_t j = j0; j < j1; ++j) o[j] += a * w[j];
        }
    }
}

#ifdef VOP_X86
__attribute__((target("avx512f"))) void columnsAvx512(const float* wt, const float* x, int64_t M, int64_t K,
                                                      int64_t N, int64_t j0, int64_t j1, float* out)
{
    for (int64_t k = 0; k < K; ++k) {
        const float* w = wt + k * N;
        for (int64_t m = 0; m < M; ++m) {
            const __m512 a = _mm512_set1_ps(x[m * K + k]);
            float* o = out + m * N;
            int64_t j = j0;
            for (; j + 16 <= j1; j += 16)
                _mm512_storeu_ps(o + j, _mm512_fmadd_ps(a, _mm512_loadu_ps(w + j), _mm512_loadu_ps(o + j)));
            for (; j < j1; ++j) o[j] += x[m * K + k] * w[j];
        }
    }
}

__attribute__((target("avx2,fma"))) void columnsAvx2(const float* wt, const float* x, int64_t M, int64_t K,
                                                     int64_t N, int64_t j0, int64_t j1, float* out)
{
    for (int64_t k = 0; k < K; ++k) {
        const float* w = wt + k * N;
        for (int64_t m = 0; m < M; ++m) {
            const __m256 a = _mm256_set1_ps(x[m * K + k]);
            float* o = out + m * N;
            int64_t j = j0;
            for (; j + 8 <= j1; j += 8)
                _mm256_storeu_ps(o + j, _mm256_fmadd_ps(a, _mm256_loadu_ps(w + j), _mm256_loadu_ps(o + j)));
            for (; j < j1; ++j) o[j] += x[m * K + k] * w[j];
        }
    }
}
#endif

ColumnKernel pickColumnKernel()
{
#ifdef VOP_X86
    if (bestCpuKernel() == CpuKernel::Avx512) return columnsAvx512;
    if (bestCpuKernel() == CpuKernel::Avx2) return columnsAvx2;
#endif
    return columnsGeneric;
}

// Blocks of 16 columns per part, so that every split runs the same vector and tail code per
// column as one call over all of them: the result does not depend on the thread count.
constexpr int64_t kColumnBlock = 16;

} // namespace

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias)
{
    const int64_t K = x.size(-1);
    const int64_t M = K > 0 ? x.numel() / K : 0;
    if (M == 0 || M > kSmallLinearMaxRows || !x.device().is_cpu() || x.scalar_type() != torch::kFloat32 ||
        weight.scalar_type() != torch::kFloat32 || x.requires_grad() || weight.requires_grad() ||
        (bias.defined() && bias.requires_grad()) || torch::GradMode::is_enabled())
        return torch::linear(x, weight, bias);
    static const ColumnKernel columnKernel = pickColumnKernel();
    const int64_t N = weight.size(0);
    auto xs = x.reshape({M, K}).contiguous();                                   // [M, K]
    auto out = torch::empty({M, N}, x.options());                               // [M, N]
    const float* xp = xs.data_ptr<float>();
    const auto bs = bias.defined() ? bias.contiguous() : torch::Tensor();
    const float* bp = bs.defined() ? bs.data_ptr<float>() : nullptr;
    float* op = out.data_ptr<float>();
    const bool transposed = weight.stride(0) == 1 && weight.stride(1) == N;    // weight.t() is contiguous [K, N]
    if (transposed) {
        const float* wt = weight.data_ptr<float>();                            // [K, N]
        parallelRanges((N + kColumnBlock - 1) / kColumnBlock, 16, [&](int64_t b0, int64_t b1) {
            const int64_t j0 = b0 * kColumnBlock, j1 = std::min(N, b1 * kColumnBlock);
            for (int64_t m = 0; m < M; ++m)
                for (int64_t j = j0; j < j1; ++j) op[m * N + j] = bp ? bp[j] : 0.0f;
            columnKernel(wt, xp, M, K, N, j0, j1, op);
        });
    } else {
        auto ws = weight.contiguous();                                          // [N, K]
        const float* wp = ws.data_ptr<float>();
        parallelRanges(N, 64, [&](int64_t j0, int64_t j1) {
            for (int64_t j = j0; j < j1; ++j) {
                const float b = bp ? bp[j] : 0.0f;
                for (int64_t m = 0; m < M; ++m) op[m * N + j] = dot(wp + j * K, xp + m * K, size_t(K)) + b;
            }
        });
    }
    auto shape = x.sizes().vec();
    shape.back() = N;
    return out.view(shape);
}

} // namespace vop
