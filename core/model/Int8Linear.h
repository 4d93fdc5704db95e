#pragma once
// y = x W^T + b with W in int8 and x quantised per call (dynamic quantisation), through the
// quantized engines of the LibTorch it runs on: oneDNN on x86 (VNNI when the CPU has it),
// QNNPACK elsewhere. fbgemm is not built in Debian's LibTorch 1.13. The packed weight lives
// in a TorchScript custom-class object, called through the dispatcher, so no private ATen
// header is needed. Inference only: no gradient flows through it.
#include <ATen/core/ivalue.h>
#include <torch/types.h>

#include <string>

namespace vop {

class Int8Linear {
public:
    Int8Linear() = default;
    // weight [N, K] (any layout, fp32), bias [N] or undefined. Weights are quantised per output
    // channel (symmetric, int8).
    Int8Linear(const torch::Tensor& weight, const torch::Tensor& bias);

    bool defined() const { return !m_packed.isNone(); }
    // x [.., K] fp32 on the CPU -> [.., N] fp32.
    torch::Tensor operator()(const torch::Tensor& x) const;

private:
    c10::IValue m_packed;
    bool m_reduceRange = false;
};

// The quantized engine this process uses for int8 ("onednn", "qnnpack"), chosen once; "" when
// the LibTorch in use has none (then int8 is unavailable and callers stay fp32).
std::string int8Engine();

// Whether the CPU has 8-bit dot-product instructions (AVX-512 VNNI), and AMX tiles.
bool cpuHasVnni();
bool cpuHasAmx();

} // namespace vop
