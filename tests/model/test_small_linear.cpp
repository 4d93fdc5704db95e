// The streaming kernel for few-row products must agree with torch::linear; the int8 kernels
// (every one this CPU runs) with torch::linear on the dequantised weights.
#include "TestMain.h"

#include "model/Int8Stream.h"
#include "model/SmallLinear.h"
#include "util/KernelThreads.h"

#include <atomic>

#include <torch/torch.h>

VOP_TEST(agreesWithTorchLinear)
{
    torch::InferenceMode guard;
    torch::manual_seed(2);
    for (int64_t K : {1, 15, 64, 512, 515})
        for (int64_t M : {1, 3, 7, 16, 17})
            for (bool withBias : {true, false}) {
                auto x = torch::randn({1, M, K});
                auto w = torch::randn({33, K});
                if (K % 2) w = w.t().contiguous().t(); // the transposed layout ClipModel uses
                auto b = withBias ? torch::randn({33}) : torch::Tensor();
                auto ours = vop::linear(x, w, b);
                auto ref = torch::linear(x, w, b);
                VOP_CHECK_EQ(ours.sizes().vec(), ref.sizes().vec());
                const double err = (ours - ref).abs().max().item<double>() / (ref.abs().max().item<double>() + 1e-12);
                if (err > 1e-5) std::cerr << "  M " << M << " K " << K << " rel err " << err << "\n";
                VOP_CHECK(err <= 1e-5);
            }
}

VOP_TEST(fallsBackWhenGradientsAreNeeded)
{
    auto x = torch::randn({2, 8}, torch::requires_grad());
    auto w = torch::randn({4, 8});
    auto y = vop::linear(x, w, {});
    VOP_CHECK(y.requires_grad());
    y.sum().backward();
    VOP_CHECK(x.grad().defined());
}

namespace {

double relativeError(const torch::Tensor& ours, const torch::Tensor& ref)
{
    return (ours - ref).abs().max().item<double>() / (ref.abs().max().item<double>() + 1e-12);
}

std::vector<vop::CpuKernel> supportedKernels()
{
    std::vector<vop::CpuKernel> ks;
    for (auto k : {vop::CpuKernel::Portable, vop::CpuKernel::Avx2, vop::CpuKernel::Avx512})
        if (vop::cpuSupports(k)) ks.push_back(k);
    return ks;
}

} // namespace

VOP_TEST(int8QuantisationIsPerChannelSymmetric)
{
    torch::manual_seed(3);
    auto w = torch::randn({37, 70});
    w[5] *= 100;      // one channel far larger: its own scale
    w[9].zero_();     // an all-zero channel stays zero
    const auto q = vop::quantizeInt8(w.t().contiguous().t()); // the transposed layout ClipModel uses
    VOP_CHECK_EQ(q.packed.sizes().vec(), (std::vector<int64_t>{3, 70, 16}));
    VOP_CHECK(q.packed.slice(0, 2).select(2, 15).abs().sum().item<int64_t>() == 0); // padding column
    const auto deq = vop::dequantize(q);
    VOP_CHECK(deq[9].abs().sum().item<double>() == 0.0);
    // Every weight within half a step of its channel; the step is max|w| / 127.
    auto step = std::get<0>(w.abs().max(1)) / 127.0;
    VOP_CHECK(((deq - w).abs() <= step.unsqueeze(1) * 0.5 + 1e-7).all().item<bool>());
    VOP_CHECK(q.relativeError > 0 && q.relativeError < 0.01);
}

VOP_TEST(int8KernelsAgreeWithTorchLinearOnDequantisedWeights)
{
    torch::InferenceMode guard;
    torch::manual_seed(4);
    for (auto kernel : supportedKernels())
        for (int64_t K : {1, 15, 64, 515})
            for (int64_t N : {1, 16, 33})
                for (int64_t M : {1, 3, 7, 16, 17, 40, 130}) {
                    auto x = torch::randn({1, M, K});
                    const auto q = vop::quantizeInt8(torch::randn({N, K}));
                    auto b = M % 2 ? torch::randn({N}) : torch::Tensor();
                    auto ours = vop::linearInt8(x, q, b, kernel);
                    auto ref = torch::linear(x, vop::dequantize(q), b);
                    VOP_CHECK_EQ(ours.sizes().vec(), ref.sizes().vec());
                    const double err = relativeError(ours, ref);
                    if (err > 1e-5)
                        std::cerr << "  " << vop::cpuKernelName(kernel) << " M " << M << " K " << K << " N " << N
                                  << " rel err " << err << "\n";
                    VOP_CHECK(err <= 1e-5);
                }
}

VOP_TEST(int8RowsDoNotDependOnTheirBatch)
{
    // A text's embedding must not change with what it is batched with: every row is computed alone.
    torch::InferenceMode guard;
    torch::manual_seed(5);
    const auto q = vop::quantizeInt8(torch::randn({100, 64}));
    auto x = torch::randn({150, 64});
    auto all = vop::linearInt8(x, q, {});
    for (int64_t m : {0, 7, 127, 128, 149})
        VOP_CHECK(torch::equal(vop::linearInt8(x.slice(0, m, m + 1), q, {}), all.slice(0, m, m + 1)));
}

VOP_TEST(int8LinearUsesFp32WeightsWhenGradientsAreNeeded)
{
    torch::manual_seed(6);
    auto w = torch::randn({4, 8});
    const auto q = vop::quantizeInt8(w);
    auto x = torch::randn({2, 8}, torch::requires_grad());
    auto y = vop::linear(x, w, {}, q);
    VOP_CHECK(y.requires_grad());
    VOP_CHECK(torch::allclose(y, torch::linear(x, w, {}), 1e-6, 1e-6));
    torch::InferenceMode guard;
    auto xi = torch::randn({2, 8});
    VOP_CHECK(torch::equal(vop::linear(xi, w, {}, q), vop::linearInt8(xi, q, {})));
}

VOP_TEST(resultsDoNotDependOnTheKernelThreadCount)
{
    // fp32 must stay bit-for-bit what one thread computes (parity), whatever the split.
    torch::InferenceMode guard;
    torch::manual_seed(7);
    auto x = torch::randn({7, 512});
    auto w = torch::randn({2048, 512}).t().contiguous().t();
    auto b = torch::randn({2048});
    const auto q = vop::quantizeInt8(w);
    const int before = vop::kernelThreads();
    vop::setKernelThreads(1);
    auto one = vop::linear(x, w, b);
    auto oneInt8 = vop::linearInt8(x, q, b);
    for (int n : {2, 3}) {
        vop::setKernelThreads(n);
        VOP_CHECK_EQ(vop::kernelThreads(), n);
        VOP_CHECK(torch::equal(vop::linear(x, w, b), one));
        VOP_CHECK(torch::equal(vop::linearInt8(x, q, b), oneInt8));
    }
    vop::setKernelThreads(before);
}

VOP_TEST(parallelRangesCoversEveryIndexOnce)
{
    vop::setKernelThreads(2);
    for (int64_t n : {1, 2, 5, 100, 1001}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        for (int rep = 0; rep < 50; ++rep)
            vop::parallelRanges(n, 1, [&](int64_t a, int64_t b) {
                for (int64_t i = a; i < b; ++i) hits[size_t(i)]++;
            });
        for (auto& h : hits) VOP_CHECK_EQ(h.load(), 50);
    }
}

VOP_TEST_MAIN()
