#include "model/Int8Stream.h"

#include "model/SmallLinear.h"
#include "util/KernelThreads.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VOP_X86 1
#endif

namespace vop {

namespace {

constexpr int64_t kPanel = 16;     // output columns per packed panel
constexpr int64_t kRowChunk = 128; // rows per pass over the weights (x chunk stays in L2)
constexpr int kMaxGroup = 16;      // rows per kernel call, at most

// acc[r][c] = sum_k xt[k * ld + r] * panel[k][c] for r < R: one panel of 16 columns, R rows.
using PanelKernel = void (*)(const int8_t* panel, const float* xt, int64_t ld, int64_t K, float* acc);

template <int R>
void panelPortable(const int8_t* panel, const float* xt, int64_t ld, int64_t K, float* acc)
{
    float a[R][kPanel] = {};
    for (int64_t k = 0; k < K; ++k) {
        const int8_t* w = panel + k * kPanel;
        const float* xk = xt + k * ld;
        for (int r = 0; r < R; ++r)
            for (int c = 0; c < kPanel; ++c) a[r][c] += xk[r] * float(w[c]);
    }
    std::memcpy(acc, a, sizeof(a));
}

#ifdef VOP_X86
// GCC 12 warns about the undefined source operand inside _mm512_cvtepi8_epi32 (a false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
template <int R>
__attribute__((target("avx512f"))) void panelAvx512(const int8_t* panel, const float* xt, int64_t ld, int64_t K,
                                                    float* acc)
{
    __m512 a[R];
    for (int r = 0; r < R; ++r) a[r] = _mm512_setzero_ps();
    for (int64_t k = 0; k < K; ++k) {
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(panel + k * kPanel));
        const __m512 w = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q));
        const float* xk = xt + k * ld;
        for (int r = 0; r < R; ++r) a[r] = _mm512_fmadd_ps(_mm512_set1_ps(xk[r]), w, a[r]);
    }
    for (int r = 0; r < R; ++r) _mm512_storeu_ps(acc + r * kPanel, a[r]);
}

template <int R>
__attribute__((target("avx2,fma"))) void panelAvx2(const int8_t* panel, const float* xt, int64_t ld, int64_t K,
                                                   float* acc)
{
    __m256 lo[R], hi[R];
    for (int r = 0; r < R; ++r) lo[r] = hi[r] = _mm256_setzero_ps();
    for (int64_t k = 0; k < K; ++k) {
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(panel + k * kPanel));
        const __m256 wl = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
        const __m256 wh = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q, 8)));
        const float* xk = xt + k * ld;
        for (int r = 0; r < R; ++r) {
            const __m256 x = _mm256_broadcast_ss(xk + r);
            lo[r] = _mm256_fmadd_ps(x, wl, lo[r]);
            hi[r] = _mm256_fmadd_ps(x, wh, hi[r]);
        }
    }
    for (int r = 0; r < R; ++r) {
        _mm256_storeu_ps(acc + r * kPanel, lo[r]);
        _mm256_storeu_ps(acc + r * kPanel + 8, hi[r]);
    }
}
#pragma GCC diagnostic pop
#endif

// The kernels of one instruction set for 1..G rows (index R - 1), G = rows() of the set.
struct KernelSet {
    std::array<PanelKernel, kMaxGroup> byRows{};
    int rows = 0;
};

template <template <int> class Tag, size_t... I>
KernelSet makeSet(std::index_sequence<I...>)
{
    KernelSet s;
    s.rows = int(sizeof...(I));
    ((s.byRows[I] = Tag<int(I) + 1>::fn), ...);
    return s;
}

template <int R> struct PortableTag { static constexpr PanelKernel fn = panelPortable<R>; };
#ifdef VOP_X86
template <int R> struct Avx512Tag { static constexpr PanelKernel fn = panelAvx512<R>; };
template <int R> struct Avx2Tag { static constexpr PanelKernel fn = panelAvx2<R>; }; // 2R + 3 of 16 registers
#endif

const KernelSet& kernelSet(CpuKernel k)
{
    static const KernelSet portable = makeSet<PortableTag>(std::make_index_sequence<8>());
#ifdef VOP_X86
    static const KernelSet avx512 = makeSet<Avx512Tag>(std::make_index_sequence<16>());
    static const KernelSet avx2 = makeSet<Avx2Tag>(std::make_index_sequence<6>());
    if (k == CpuKernel::Avx512 && cpuSupports(k)) return avx512;
    if (k == CpuKernel::Avx2 && cpuSupports(k)) return avx2;
#endif
    return portable;
}

// One chunk of at most kRowChunk rows: xt [K, rows] -> out rows [rows, N].
void runChunk(const Int8Weight& q, const KernelSet& ks, const float* xt, int64_t rows, const float* bias, float* out)
{
    const int64_t K = q.in, N = q.out, panels = q.packed.size(0);
    const int8_t* packed = q.packed.data_ptr<int8_t>();
    const float* scale = q.scale.data_ptr<float>();
    parallelRanges(panels, 2, [&](int64_t p0, int64_t p1) {
        alignas(64) float acc[kMaxGroup * kPanel];
        for (int64_t p = p0; p < p1; ++p) {
            const int64_t c0 = p * kPanel, width = std::min(kPanel, N - c0);
            for (int64_t g = 0; g < rows; g += ks.rows) {
                const int R = int(std::min<int64_t>(ks.rows, rows - g));
                ks.byRows[size_t(R - 1)](packed + p * K * kPanel, xt + g, rows, K, acc);
                for (int r = 0; r < R; ++r) {
                    float* o = out + (g + r) * N + c0;
                    for (int64_t c = 0; c < width; ++c)
                        o[c] = acc[r * kPanel + c] * scale[c0 + c] + (bias ? bias[c0 + c] : 0.0f);
                }
            }
        }
    });
}

} // namespace

bool cpuSupports(CpuKernel k)
{
#ifdef VOP_X86
    // libgcc's checks include the OS's saved-state bits (XCR0), not only CPUID.
    if (k == CpuKernel::Avx512) return __builtin_cpu_supports("avx512f");
    if (k == CpuKernel::Avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return k == CpuKernel::Portable;
}

CpuKernel bestCpuKernel()
{
    static const CpuKernel best = [] {
        const char* env = std::getenv("VOPSEARCH_CPU_KERNEL");
        const std::string cap = env ? env : "";
        for (CpuKernel k : {CpuKernel::Avx512, CpuKernel::Avx2})
            if (cpuSupports(k) && !(cap == "portable" || (cap == "avx2" && k == CpuKernel::Avx512)))
                return k;
        return CpuKernel::Portable;
    }();
    return best;
}

const char* cpuKernelName(CpuKernel k)
{
    switch (k) {
    case CpuKernel::Avx512: return "avx512";
    case CpuKernel::Avx2: return "avx2";
    case CpuKernel::Portable: return "portable";
    }
    return "portable";
}

Int8Weight quantizeInt8(const torch::Tensor& weight)
{
    torch::NoGradGuard noGrad;
    auto w = weight.detach().to(torch::kCPU, torch::kFloat32).contiguous();         // [N, K]
    const int64_t N = w.size(0), K = w.size(1), P = (N + kPanel - 1) / kPanel;
    Int8Weight r;
    r.in = K;
    r.out = N;
    r.scale = torch::empty({N}, torch::kFloat32);                                  // [N]
    r.packed = torch::zeros({P, K, kPanel}, torch::kInt8);                          // [P, K, 16]
    const float* wp = w.data_ptr<float>();
    float* sp = r.scale.data_ptr<float>();
    int8_t* qp = r.packed.data_ptr<int8_t>();
    double err = 0, norm = 0;
    for (int64_t n = 0; n < N; ++n) { // one pass per output channel (torch ops took ~0.8 s for ViT-B/32)
        const float* row = wp + n * K;
        float maxAbs = 0;
        for (int64_t k = 0; k < K; ++k) maxAbs = std::max(maxAbs, std::abs(row[k]));
        const float scale = maxAbs > 0 ? maxAbs / 127.0f : 1.0f;
        sp[n] = scale;
        int8_t* col = qp + (n / kPanel) * K * kPanel + n % kPanel;
        for (int64_t k = 0; k < K; ++k) {
            const float q = std::clamp(std::nearbyint(row[k] / scale), -127.0f, 127.0f);
            col[k * kPanel] = int8_t(q);
            err += double(q * scale - row[k]) * double(q * scale - row[k]);
            norm += double(row[k]) * double(row[k]);
        }
    }
    r.relativeError = norm > 0 ? std::sqrt(err / norm) : 0.0;
    return r;
}

torch::Tensor dequantize(const Int8Weight& q)
{
    auto w = q.packed.to(torch::kFloat32).permute({0, 2, 1}).reshape({-1, q.in}); // [16P, K]
    return w.slice(0, 0, q.out) * q.scale.unsqueeze(1);                            // [N, K]
}

torch::Tensor linearInt8(const torch::Tensor& x, const Int8Weight& q, const torch::Tensor& bias, CpuKernel kernel)
{
    TORCH_CHECK(q.defined() && x.size(-1) == q.in, "linearInt8: input width ", x.size(-1), " != ", q.in);
    const int64_t K = q.in, N = q.out, M = x.numel() / K;
    const KernelSet& ks = kernelSet(kernel);
    auto xs = x.reshape({M, K}).to(torch::kFloat32).contiguous();                  // [M, K]
    auto out = torch::empty({M, N}, xs.options());                                 // [M, N]
    const auto b = bias.defined() ? bias.to(torch::kFloat32).contiguous() : torch::Tensor();
    for (int64_t m0 = 0; m0 < M; m0 += kRowChunk) {
        const int64_t rows = std::min(kRowChunk, M - m0);
        auto xt = xs.slice(0, m0, m0 + rows).t().contiguous();                     // [K, rows]
        runChunk(q, ks, xt.data_ptr<float>(), rows, b.defined() ? b.data_ptr<float>() : nullptr,
                 out.data_ptr<float>() + m0 * N);
    }
    auto shape = x.sizes().vec();
    shape.back() = N;
    return out.view(shape);
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                     const Int8Weight& q)
{
    if (!q.defined() || !x.device().is_cpu() || x.scalar_type() != torch::kFloat32 || x.requires_grad() ||
        torch::GradMode::is_enabled())
        return linear(x, weight, bias);
    return linearInt8(x, q, bias);
}

} // namespace vop
