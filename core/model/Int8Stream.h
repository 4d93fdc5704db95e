#pragma once
// Products with int8 weights for the CPU text tower (issue 12): a short text query is
// memory-bound (each fp32 weight is read once for ~7 rows), so storing the weights as int8 per
// output channel (symmetric, scale = max|w| / 127) reads 4x fewer bytes. Activations and
// accumulation stay fp32; the kernel converts the weights to float on the fly and applies the
// scale once per output. Kernels for AVX-512, AVX2+FMA and portable C++, chosen at run time;
// the columns are split over kernelThreads() (util/KernelThreads.h).
#include <torch/types.h>

namespace vop {

enum class CpuKernel { Portable, Avx2, Avx512 };

// The widest kernel this CPU (and its OS) runs. VOPSEARCH_CPU_KERNEL=portable|avx2 picks a
// narrower one (benchmarks and tests of the fallbacks); a wider one than the CPU has is ignored.
CpuKernel bestCpuKernel();
const char* cpuKernelName(CpuKernel k); // "portable", "avx2", "avx512"
bool cpuSupports(CpuKernel k);

// Panels of 16 output columns: packed[p][k][c] = round(w[16p + c][k] / scale[16p + c]).
struct Int8Weight {
    torch::Tensor packed;   // int8 [ceil(N/16), K, 16] (padding columns are 0)
    torch::Tensor scale;    // float [N]
    int64_t in = 0, out = 0;
    double relativeError = 0; // ||W - dequantised W||_F / ||W||_F
    bool defined() const { return packed.defined(); }
};

// weight [N, K] (any strides, any float dtype) -> int8 per output channel.
Int8Weight quantizeInt8(const torch::Tensor& weight);
// The weights the int8 product uses, as float [N, K] (tests).
torch::Tensor dequantize(const Int8Weight& q);

// x [.., K] (CPU, fp32) -> [.., N] = x dequantize(q)^T + bias (bias [N] or undefined).
torch::Tensor linearInt8(const torch::Tensor& x, const Int8Weight& q, const torch::Tensor& bias,
                         CpuKernel kernel = bestCpuKernel());

// vop::linear (SmallLinear.h) unless `q` is defined and the product runs without autograd on
// CPU fp32 inputs; then linearInt8. Training therefore always sees the fp32 weights.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                     const Int8Weight& q);

} // namespace vop
