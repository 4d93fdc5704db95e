// The streaming kernel for few-row products must agree with torch::linear.
#include "TestMain.h"

#include "model/SmallLinear.h"

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

VOP_TEST_MAIN()
