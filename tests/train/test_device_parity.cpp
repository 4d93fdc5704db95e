// Every VoP variant on $VOPSEARCH_TEST_DEVICE (tools/gpu-check.sh sets cuda) agrees with the same
// model on the CPU, both in fp32: the forward (segment and text embeddings, cosine >= 0.999 per
// row) and one training step (PromptStepper: the loss within 1e-4 relative; every prompt
// tensor's gradient within 1e-3 relative L2 error, |g_dev - g_cpu| <= 1e-3 |g_cpu| + 1e-7).
// Run with NVIDIA_TF32_OVERRIDE=0: cuDNN convolutions default to TF32, which alone moves the
// patch embedding by ~1e-3. On the CPU there is nothing to compare: the test says it skipped.
#include "TestDevice.h"
#include "TestMain.h"
#include "TestModels.h"

#include "model/ClipModel.h"
#include "prompts/VopModel.h"
#include "train/internal/PromptStepper.h"

#include <torch/torch.h>

using namespace vop;

namespace {

ClipConfig smallConfig() { return vop::test::smallClipConfig(); }

PromptOptions opts(Variant v)
{
    PromptOptions o;
    o.variant = v;
    o.textLength = 4;
    o.visualLength = 4;
    o.videoLength = 2;
    o.frames = 3;
    if (usesFunctionSplit(v)) o.splitDepth = 1; // joint layers in use
    return o;
}

torch::Tensor captionIds(int64_t B, int64_t C) // SOT, 6 words, EOT
{
    auto ids = torch::zeros({B, C}, torch::kLong);
    for (int64_t b = 0; b < B; ++b) {
        ids[b][0] = 49406;
        for (int64_t i = 1; i <= 6; ++i) ids[b][i] = 320 + 37 * b + 11 * i;
        ids[b][7] = 49407;
    }
    return ids;
}

// The same backbone and prompts (copied tensor by tensor) on `device`.
VopModel modelOn(const torch::Device& device, Variant v, const VopPrompts& like)
{
    auto clip = randomClipModel(smallConfig(), 11);
    clip->freeze();
    clip->to(device);
    VopPrompts prompts(smallConfig(), opts(v));
    {
        torch::NoGradGuard g;
        auto src = like->named_parameters();
        for (auto& p : prompts->named_parameters()) p.value().copy_(src[p.key()]);
        auto srcBuffers = like->named_buffers();
        for (auto& b : prompts->named_buffers()) b.value().copy_(srcBuffers[b.key()]);
    }
    prompts->to(device);
    return VopModel(clip, prompts);
}

float minRowCosine(const torch::Tensor& a, const torch::Tensor& b)
{
    return torch::cosine_similarity(a, b, 1).min().item<float>();
}

} // namespace

VOP_TEST(everyVariantAgreesWithCpuForwardAndTrainingStep)
{
    const auto device = test::testDevice();
    if (device.is_cpu()) {
        std::cout << "  skipped: needs VOPSEARCH_TEST_DEVICE=cuda (it compares that device with the CPU)" << std::endl;
        return;
    }
    torch::manual_seed(3);
    const int64_t B = 4;
    auto frames = torch::randn({B, 3, 3, 32, 32});                                 // [B, F, 3, R, R]
    auto positives = torch::eye(B, torch::kBool);
    for (auto v : allVariants()) {
        if (v == Variant::Zero)
            continue; // nothing to train; its forward is CLIP's, covered by test_parity
        torch::manual_seed(5);
        VopPrompts reference(smallConfig(), opts(v));
        auto onCpu = modelOn(torch::kCPU, v, reference);
        auto onDev = modelOn(device, v, reference);
        const auto ids = captionIds(B, onCpu.captionLength());
        float segCos = 0, textCos = 0;
        {
            torch::NoGradGuard g;
            segCos = minRowCosine(onDev.encodeClips(frames.to(device)).cpu(), onCpu.encodeClips(frames));
            textCos = minRowCosine(onDev.encodeText(ids.to(device)).cpu(), onCpu.encodeText(ids));
        }
        TrainOptions o;
        o.prompts = opts(v);
        o.maxGradNorm = 0; // compare the raw gradients
        train::PromptStepper cpuStep(onCpu, o), devStep(onDev, o);
        const double lossCpu = cpuStep.step(frames, ids, positives, 1.0);
        const double lossDev = devStep.step(frames.to(device), ids.to(device), positives, 1.0);
        double worstGrad = 0;
        std::string worstName;
        auto devParams = onDev.prompts()->named_parameters();
        for (const auto& p : onCpu.prompts()->named_parameters()) {
            const auto& gc = p.value().grad();
            const auto& gd = devParams[p.key()].grad();
            VOP_REQUIRE(gc.defined() && gd.defined());
            const double diff = (gd.cpu() - gc).norm().item<double>(), ref = gc.norm().item<double>();
            const double excess = diff / (1e-3 * ref + 1e-7);
            if (excess > worstGrad) {
                worstGrad = excess;
                worstName = p.key() + " (rel L2 " + std::to_string(ref > 0 ? diff / ref : diff) + ")";
            }
        }
        std::cout << "  " << variantName(v) << ": segment cos " << segCos << ", text cos " << textCos << ", loss "
                  << lossCpu << " vs " << lossDev << ", worst gradient " << worstName << std::endl;
        VOP_CHECK(segCos >= 0.999f);
        VOP_CHECK(textCos >= 0.999f);
        VOP_CHECK(std::abs(lossDev - lossCpu) <= 1e-4 * std::abs(lossCpu));
        VOP_CHECK(worstGrad <= 1.0);
    }
}

VOP_TEST_MAIN()
