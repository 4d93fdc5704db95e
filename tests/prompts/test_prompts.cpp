// The VoP prompt machinery: reduction to plain CLIP, equivalences between variants, training
// touches only prompts, prompt-set files, shapes, determinism, batch independence, exact counts.
#include "TestMain.h"
#include "TestModels.h"

#include "model/ClipModel.h"
#include "prompts/PromptSet.h"
#include "prompts/VopModel.h"
#include "util/AtomicFile.h"
#include "util/Paths.h"

#include <torch/torch.h>

#include <filesystem>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace vop;

namespace {

ClipConfig smallConfig() { return vop::test::smallClipConfig(); }

ClipModel& backbone()
{
    static ClipModel m = [] {
        auto c = randomClipModel(smallConfig(), 11);
        c->freeze(); // as every VopModel does: plain and prompted paths then run the same kernels
        return c;
    }();
    return m;
}

PromptOptions opts(Variant v, int len = 4, int frames = 3)
{
    PromptOptions o;
    o.variant = v;
    o.textLength = len;
    o.visualLength = len;
    o.videoLength = len / 2;
    o.frames = frames;
    return o;
}

torch::Tensor frames(int64_t B, int64_t F, uint64_t seed = 1)
{
    torch::manual_seed(seed);
    return torch::randn({B, F, 3, 32, 32});
}

torch::Tensor captionIds(int64_t C)
{
    auto ids = torch::zeros({2, C}, torch::kLong);
    int64_t a[] = {49406, 320, 1929, 8617, 49407}, b[] = {49406, 786, 533, 49407};
    for (int i = 0; i < 5; ++i) ids[0][i] = a[i];
    for (int i = 0; i < 4; ++i) ids[1][i] = b[i];
    return ids;
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

std::string tempDir()
{
    static std::string d = [] {
        auto p = fs::temp_directory_path() / ("vop-prompts-" + std::to_string(::getpid()));
        fs::create_directories(p);
        return p.string();
    }();
    return d;
}

} // namespace

VOP_TEST(zeroLengthPromptsReproducePlainClip)
{
    torch::NoGradGuard g;
    auto& clip = backbone();
    auto x = frames(2, 3);
    auto plainFrames = clip->encodeImage(x.flatten(0, 1)).view({2, 3, -1});  // [B, F, E]
    auto plainText = clip->encodeText(captionIds(77));
    for (auto v : allVariants()) {
        auto o = opts(v, 0);
        if (usesFunctionSplit(v)) o.splitDepth = 3; // no joint layers
        VopModel m(clip, VopPrompts(smallConfig(), o));
        VOP_CHECK_EQ(countParameters(smallConfig(), o).total(), int64_t(0));
        const double df = maxDiff(m.encodeFrames(x), plainFrames);
        const double dc = maxDiff(m.encodeClips(x), poolFrames(plainFrames));
        // The same batch shape on both sides: few-row products take another kernel (SmallLinear.h).
        const double di = maxDiff(m.encodeFrames(x.select(1, 0).unsqueeze(1)).squeeze(1),
                                  clip->encodeImage(x.select(1, 0)));
        const double dt = maxDiff(m.encodeText(captionIds(m.captionLength())), plainText);
        if (df > 1e-6 || dc > 1e-6 || dt > 1e-6 || di > 1e-6)
            std::cerr << "  " << variantName(v) << ": frames " << df << " clip " << dc << " image " << di << " text " << dt << "\n";
        VOP_CHECK(df <= 1e-6 && dc <= 1e-6 && di <= 1e-6 && dt <= 1e-6);
    }
}

VOP_TEST(jointLayersOverOneFrameWithoutPromptsAreClip)
{
    // With one frame, no prompts and a zero frame position, the joint layers see exactly the
    // per-frame token layout: the F variants' reshaping must then reproduce CLIP.
    torch::NoGradGuard g;
    auto& clip = backbone();
    auto x = frames(2, 1);
    for (auto v : {Variant::VopF, Variant::VopFP, Variant::VopFC}) {
        auto o = opts(v, 0, 1);
        o.splitDepth = 1;
        VopPrompts p(smallConfig(), o);
        p->framePosition.zero_();
        VopModel m(clip, p);
        VOP_CHECK(maxDiff(m.encodeFrames(x).squeeze(1), clip->encodeImage(x.squeeze(1))) <= 1e-5);
    }
}

VOP_TEST(vopFWithFullSplitDepthEqualsVop)
{
    torch::NoGradGuard g;
    auto& clip = backbone();
    torch::manual_seed(4);
    VopPrompts vop(smallConfig(), opts(Variant::Vop));
    auto fo = opts(Variant::VopF);
    fo.splitDepth = 3;
    VopPrompts f(smallConfig(), fo);
    f->load(vop->tensors());
    VopModel a(clip, vop), b(clip, f);
    auto x = frames(2, 3);
    VOP_CHECK_EQ(maxDiff(a.encodeClips(x), b.encodeClips(x)), 0.0);
    VOP_CHECK_EQ(maxDiff(a.encodeText(captionIds(a.captionLength())), b.encodeText(captionIds(b.captionLength()))), 0.0);
}

VOP_TEST(vopPWithEqualPositionPromptsEqualsVop)
{
    torch::NoGradGuard g;
    auto& clip = backbone();
    auto po = opts(Variant::VopP, 4, 3); // shared 2 + position 2 tokens per layer
    VopPrompts p(smallConfig(), po);
    auto t = p->tensors();
    auto shared = t.at("visual.shared");                     // [L, 2, D]
    auto same = torch::randn({3, 2, 128});                   // [L, 2, D]
    t.at("visual.position").copy_(same.unsqueeze(1).expand({3, 3, 2, 128}));
    VopPrompts vop(smallConfig(), opts(Variant::Vop, 4));
    auto vt = vop->tensors();
    vt.at("visual.prompts").copy_(torch::cat({shared, same}, 1));
    vt.at("text.prompts").copy_(t.at("text.prompts"));
    VopModel a(clip, p), b(clip, vop);
    auto x = frames(2, 3);
    VOP_CHECK(maxDiff(a.encodeClips(x), b.encodeClips(x)) <= 1e-6);
}

VOP_TEST(oneStepChangesOnlyPrompts)
{
    auto& clip = backbone();
    std::map<std::string, torch::Tensor> before;
    for (const auto& p : clip->named_parameters()) before[p.key()] = p.value().detach().clone();
    for (auto v : allVariants()) {
        if (v == Variant::Zero) continue;
        torch::manual_seed(9);
        VopPrompts prompts(smallConfig(), opts(v));
        VopModel m(clip, prompts);
        torch::optim::AdamW opt(prompts->parameters(), torch::optim::AdamWOptions(1e-2).weight_decay(0.2));
        auto clipEmb = m.encodeClips(frames(2, 3));                                  // [2, E]
        auto textEmb = torch::nn::functional::normalize(m.encodeText(captionIds(m.captionLength())),
                                                       torch::nn::functional::NormalizeFuncOptions().dim(-1));
        auto logits = clip->logit_scale.exp() * torch::matmul(textEmb, clipEmb.t()); // [2, 2]
        auto target = torch::arange(2);
        auto loss = (torch::nn::functional::cross_entropy(logits, target) +
                     torch::nn::functional::cross_entropy(logits.t(), target)) / 2;
        opt.zero_grad();
        loss.backward();
        for (const auto& p : prompts->named_parameters()) {
            const bool nonzero = p.value().grad().defined() && p.value().grad().abs().sum().item<double>() > 0;
            if (!nonzero) std::cerr << "  " << variantName(v) << ": no gradient for " << p.key() << "\n";
            VOP_CHECK(nonzero);
        }
        auto old = prompts->tensors();
        std::map<std::string, torch::Tensor> copy;
        for (auto& [k, t] : old) copy[k] = t.detach().clone();
        opt.step();
        for (const auto& [k, t] : prompts->tensors()) VOP_CHECK(!torch::equal(t, copy[k]));
        for (const auto& p : clip->named_parameters()) {
            VOP_CHECK(!p.value().grad().defined());
            VOP_CHECK(torch::equal(p.value(), before[p.key()]));
        }
    }
}

VOP_TEST(promptSetRoundTripAndRefusals)
{
    torch::NoGradGuard g;
    auto& clip = backbone();
    const BackboneIdentity id{"aa11", smallConfig().summary()};
    for (auto v : {Variant::Vop, Variant::VopP, Variant::VopC, Variant::VopFC}) {
        torch::manual_seed(5);
        VopPrompts p(smallConfig(), opts(v));
        const auto path = tempDir() + "/" + variantName(v) + ".safetensors";
        savePromptSet(path, *p, id, {{"dataset", "unit test"}, {"epochs", "0"}});
        auto info = readPromptSetInfo(path);
        VOP_CHECK(info.options.variant == v);
        VOP_CHECK_EQ(info.provenance.at("dataset"), std::string("unit test"));
        VOP_CHECK_EQ(info.parameters, countParameters(smallConfig(), opts(v)).total());
        auto q = loadPromptSet(path, smallConfig(), id);
        VopModel a(clip, p), b(clip, q);
        VOP_CHECK(torch::equal(a.encodeClips(frames(1, 3)), b.encodeClips(frames(1, 3))));
        VOP_CHECK(torch::equal(a.encodeText(captionIds(a.captionLength())), b.encodeText(captionIds(b.captionLength()))));
    }
    const auto path = tempDir() + "/vop.safetensors";
    VOP_CHECK_THROWS_WITH(loadPromptSet(path, smallConfig(), {"bb22", ""}), "other weights");
    auto other = smallConfig();
    other.visionLayers = 4;
    VOP_CHECK_THROWS_WITH(loadPromptSet(path, other, id), "another backbone");
    VOP_CHECK_THROWS_WITH(loadPromptSet(path, smallConfig(), id, "vop-f"), "is for variant vop, not vop-f");
    // a mis-shaped tensor
    std::map<std::string, std::string> meta;
    auto tensors = readSafeTensors(path, &meta);
    tensors["visual.prompts"] = torch::zeros({3, 5, 128});
    writeSafeTensors(tempDir() + "/bad.safetensors", tensors, meta);
    VOP_CHECK_THROWS_WITH(loadPromptSet(tempDir() + "/bad.safetensors", smallConfig(), id),
                          "'visual.prompts' has shape [3,5,128], expected [3,4,128]");
    // corrupt and truncated files, and a checkpoint that is not a prompt set
    const auto bytes = paths::readFile(path);
    writeFileAtomic(tempDir() + "/trunc.safetensors", bytes.substr(0, bytes.size() - 100));
    VOP_CHECK_THROWS_WITH(loadPromptSet(tempDir() + "/trunc.safetensors", smallConfig(), id), "outside the file");
    writeFileAtomic(tempDir() + "/junk.safetensors", "garbage");
    VOP_CHECK_THROWS_WITH(readPromptSetInfo(tempDir() + "/junk.safetensors"), "truncated");
    writeSafeTensors(tempDir() + "/plain.safetensors", {{"x", torch::zeros({2})}});
    VOP_CHECK_THROWS_WITH(readPromptSetInfo(tempDir() + "/plain.safetensors"), "not a vopsearch prompt set");
}

VOP_TEST(shapesDeterminismAndBatchIndependence)
{
    torch::NoGradGuard g;
    auto& clip = backbone();
    for (auto v : allVariants()) {
        torch::manual_seed(21);
        VopPrompts p1(smallConfig(), opts(v));
        torch::manual_seed(21);
        VopPrompts p2(smallConfig(), opts(v));
        for (const auto& [k, t] : p1->tensors()) VOP_CHECK(torch::equal(t, p2->tensors().at(k)));
        VopModel m(clip, p1);
        auto x = frames(3, 3, 7);
        auto all = m.encodeClips(x);
        VOP_CHECK_EQ(all.size(0), int64_t(3));
        VOP_CHECK_EQ(all.size(1), int64_t(64));
        VOP_CHECK_NEAR(all[0].norm().item<double>(), 1.0, 1e-5);
        VOP_CHECK_EQ(m.encodeFrames(x).sizes().vec(), std::vector<int64_t>({3, 3, 64}));
        auto one = m.encodeClips(x.slice(0, 1, 2));
        const double d = maxDiff(one, all.slice(0, 1, 2));
        if (d > 1e-5) std::cerr << "  " << variantName(v) << " batch dependence " << d << "\n";
        VOP_CHECK(d <= 1e-5);
        VOP_CHECK(torch::equal(m.encodeClips(x), all)); // deterministic
    }
}

VOP_TEST(exactCountsOnVitB32)
{
    const auto c = ClipConfig::vitB32();
    auto count = [&](Variant v) { PromptOptions o; o.variant = v; return countParameters(c, o); };
    VOP_CHECK_EQ(count(Variant::Zero).total(), int64_t(0));
    VOP_CHECK_EQ(count(Variant::Vop).total(), int64_t(122880));
    VOP_CHECK_EQ(count(Variant::VopP).total(), int64_t(528384));
    VOP_CHECK_EQ(count(Variant::VopC).total(), int64_t(14257152));
    VOP_CHECK_EQ(count(Variant::VopF).prompts, int64_t(122880));
    VOP_CHECK_EQ(count(Variant::VopF).framePosition, int64_t(9216));
    VOP_CHECK_EQ(count(Variant::VopFP).prompts, int64_t(393216));
    VOP_CHECK_EQ(count(Variant::VopFP).framePosition, int64_t(9216));
    // VoP^{F+C}: text 12x8x512 + shared 8x4x768 + BiLSTM 2x(4x768x768x2 + 2x4x768) + FC (1536x3072 + 3072)
    //            + video-level 4x8x768 = 14,269,440, plus the 9,216 frame position embedding.
    VOP_CHECK_EQ(count(Variant::VopFC).prompts, int64_t(14269440));
    // The modules built from shapes alone hold exactly these numbers of parameters.
    for (auto v : allVariants()) {
        PromptOptions o;
        o.variant = v;
        VopPrompts p(c, o);
        int64_t n = 0;
        for (const auto& t : p->parameters()) n += t.numel();
        VOP_CHECK_EQ(n, count(v).total());
    }
    PromptOptions o;
    o.variant = Variant::VopF;
    VOP_CHECK_EQ(o.resolvedSplitDepth(c), 8);
    VOP_CHECK_EQ(o.resolvedSplitDepth(smallConfig()), 2);
}

VOP_TEST_MAIN()
