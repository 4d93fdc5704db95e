#pragma once
// y = x W^T + b for a handful of rows (a text query is ~7 tokens). OpenBLAS packs the whole
// weight matrix for every product, which for 7 rows costs ~5x the time of simply streaming the
// weights once; these products are memory-bound, so this kernel reads each weight row once and
// computes every output of it (AVX-512/AVX2 when the CPU has them, chosen at run time).
#include <torch/types.h>

namespace vop {

// Rows at or below which linear() takes the streaming kernel (CPU, fp32).
constexpr int64_t kSmallLinearMaxRows = 16;

// x [.., K] -> [.., N] with weight [N, K] and bias [N] (or undefined). Uses the streaming kernel
// for CPU fp32 inputs of at most kSmallLinearMaxRows rows, torch::linear otherwise.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

} // namespace vop
