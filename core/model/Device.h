#pragma once
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

namespace vop {

// "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:N". Throws InputError when CUDA
// is asked for but this build or machine has none.
torch::Device resolveDevice(const std::string& name);

// CPU threading for inference and training: torch's own (OpenMP) pool at one thread and
// OpenBLAS at `threads` (0 = every core). Two pools of spinning threads on the same cores made
// small ops wait for milliseconds; with this split the products still use every core. Measured on
// the 2-core project machine (docs/BENCHMARKS.md): 28.0 vs 26.8 images/s, a 77-token query 39 vs
// 228 ms. With another BLAS (MKL in PyTorch's LibTorch, whose threads follow torch's pool) torch's
// pool gets every core instead. Done once per process, at the first call (the apps call it at
// start; encoders on the CPU call it when they are made, so the first encoder's `threads` wins).
// The few-row kernels (SmallLinear, Int8Stream) get `threads` of their own (KernelThreads.h).
void configureCpuThreads(int threads = 0);

// Seeds torch's default generator for the lifetime of this object and restores its state after,
// so that seeded model construction (prompt initialisation, random test models) is reproducible
// without leaving the process-wide generator changed. Scopes on different threads take turns.
class ScopedTorchSeed {
public:
    explicit ScopedTorchSeed(uint64_t seed);
    ~ScopedTorchSeed();
    ScopedTorchSeed(const ScopedTorchSeed&) = delete;
    ScopedTorchSeed& operator=(const ScopedTorchSeed&) = delete;

private:
    struct State;
    std::unique_ptr<State> d;
};

// "cpu" or "cuda:0 (NVIDIA H100 ...)" style description for logs and benchmarks.
std::string describeDevice(const torch::Device& device);

} // namespace vop
