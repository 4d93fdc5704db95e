#include "model/Device.h"

#include "util/BlasTuning.h"
#include "util/Error.h"
#include "util/KernelThreads.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/utils.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include <torch/cuda.h>

namespace vop {

torch::Device resolveDevice(const std::string& name)
{
    if (name.empty() || name == "auto")
        return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
    if (name == "cpu")
        return torch::Device(torch::kCPU);
    if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
        if (!torch::cuda::is_available())
            throw InputError("--device " + name + ": CUDA is not available (this LibTorch is CPU-only or no GPU "
                             "is visible); use --device cpu");
        torch::Device d(name == "cuda" ? std::string("cuda:0") : name);
        if (d.index() >= int(torch::cuda::device_count()))
            throw InputError("--device " + name + ": only " + std::to_string(torch::cuda::device_count()) +
                             " CUDA device(s) present");
        return d;
    }
    throw InputError("unknown device '" + name + "': use auto, cpu, cuda or cuda:N");
}

void configureCpuThreads(int threads)
{
    static std::once_flag once;
    std::call_once(once, [threads] {
        const int n = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
        setKernelThreads(n); // the few-row kernels' own pool (util/KernelThreads.h)
        if (blasCoreName().empty()) {
            // Not OpenBLAS (PyTorch's own LibTorch links MKL, whose threads follow torch's pool): one
            // pool, every core. A pool of one would run every product on one core.
            at::set_num_threads(n);
            return;
        }
        at::set_num_threads(1);
        setBlasThreads(n);
    });
}

struct ScopedTorchSeed::State {
    std::unique_lock<std::recursive_mutex> lock;
    at::Tensor saved;
};

namespace {
std::recursive_mutex& seedMutex()
{
    static std::recursive_mutex mu;
    return mu;
}
} // namespace

ScopedTorchSeed::ScopedTorchSeed(uint64_t seed) : d(std::make_unique<State>())
{
    d->lock = std::unique_lock<std::recursive_mutex>(seedMutex());
    auto gen = at::detail::getDefaultCPUGenerator();
    {
        std::lock_guard<std::mutex> g(gen.mutex());
        d->saved = gen.get_state();
    }
    torch::manual_seed(seed);
}

ScopedTorchSeed::~ScopedTorchSeed()
{
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> g(gen.mutex());
    gen.set_state(d->saved);
}

std::string describeDevice(const torch::Device& device)
{
    return device.str();
}

} // namespace vop
