#pragma once
#include <torch/types.h>

#include <string>

namespace vop {

// "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:N". Throws InputError when CUDA
// is asked for but this build or machine has none.
torch::Device resolveDevice(const std::string& name);

// "cpu" or "cuda:0 (NVIDIA H100 ...)" style description for logs and benchmarks.
std::string describeDevice(const torch::Device& device);

} // namespace vop
