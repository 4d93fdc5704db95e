// Parity of the CLIP port with the reference implementation: the fixtures' golden.json holds
// what openai/CLIP computes (fp32 compute from the fp16 weights) for its images and texts.
#include "TestMain.h"

#include "model/Checkpoint.h"
#include "model/ClipModel.h"
#include "model/ClipTokenizer.h"
#include "model/Preprocess.h"

#ifdef VOPSEARCH_HAVE_MEDIA
#include "media/ImageCodec.h"
#endif

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>

namespace {

std::string fixture(const std::string& rel) { return vop::test::sharedDir() + "/fixtures/clip-tiny/" + rel; }

const nlohmann::json& golden()
{
    static nlohmann::json g = [] {
        std::ifstream in(fixture("golden.json"));
        return nlohmann::json::parse(in);
    }();
    return g;
}

torch::Tensor tensorOf(const nlohmann::json& rows) // [[...], ...] -> [N, D]
{
    std::vector<torch::Tensor> r;
    for (const auto& row : rows) r.push_back(torch::tensor(row.get<std::vector<float>>()));
    return torch::stack(r);
}

// max |a - b| / max |b|
double relErr(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a - b).abs().max().item<double>() / b.abs().max().item<double>();
}

const vop::ClipTokenizer& tokenizer()
{
    static vop::ClipTokenizer tok(vop::test::sharedDir() + "/clip/bpe_simple_vocab_16e6.txt.gz");
    return tok;
}

torch::Tensor textIds()
{
    std::vector<torch::Tensor> rows;
    for (const auto& t : golden()["texts"]) {
        auto ids = tokenizer().tokenize(t.get<std::string>());
        rows.push_back(torch::tensor(std::vector<int64_t>(ids.begin(), ids.end())));
    }
    return torch::stack(rows); // [N, 77]
}

void checkTextParity(vop::ClipModel& model)
{
    torch::NoGradGuard g;
    auto emb = model->encodeText(textIds());
    const double err = relErr(emb, tensorOf(golden()["text_embeddings"]));
    std::cout << "  text rel err " << err << std::endl;
    VOP_CHECK(err <= 1e-4);
}

#ifdef VOPSEARCH_HAVE_MEDIA
torch::Tensor preprocessed(const std::string& png, int64_t R)
{
    auto img = vop::media::decodeImageFile(fixture("images/" + png));
    auto v = vop::preprocess::clipPreprocess(img, int(R));
    return torch::from_blob(v.data(), {1, 3, R, R}, torch::kFloat32).clone();
}

void checkImageParity(vop::ClipModel& model)
{
    torch::NoGradGuard g;
    const int64_t R = model->config().imageResolution;
    std::vector<torch::Tensor> batch;
    for (const auto& name : golden()["images"]) batch.push_back(preprocessed(name.get<std::string>(), R));
    auto emb = model->encodeImage(torch::cat(batch));
    const double err = relErr(emb, tensorOf(golden()["image_embeddings"]));
    std::cout << "  image rel err " << err << std::endl;
    VOP_CHECK(err <= 1e-4);
}
#endif

} // namespace

VOP_TEST(configIsReadOffTheWeights)
{
    auto ckpt = vop::readCheckpoint(fixture("model.safetensors"));
    auto c = vop::ClipConfig::fromShapes(ckpt.shapes());
    const auto& gc = golden()["config"];
    VOP_CHECK_EQ(c.imageResolution, gc["image_resolution"].get<int64_t>());
    VOP_CHECK_EQ(c.visionPatch, gc["patch"].get<int64_t>());
    VOP_CHECK_EQ(c.visionLayers, gc["vision_layers"].get<int64_t>());
    VOP_CHECK_EQ(c.visionWidth, gc["vision_width"].get<int64_t>());
    VOP_CHECK_EQ(c.textWidth, gc["text_width"].get<int64_t>());
    VOP_CHECK_EQ(c.textLayers, gc["text_layers"].get<int64_t>());
    VOP_CHECK_EQ(c.embedDim, gc["embed_dim"].get<int64_t>());
    VOP_CHECK_EQ(c.visionHeads(), int64_t(2));
    VOP_CHECK_EQ(c.contextLength, int64_t(77));
    VOP_CHECK_EQ(c.expectedShapes().size(), ckpt.weights.size());
}

VOP_TEST(safetensorsTextParity)
{
    auto model = vop::loadClipModel(fixture("model.safetensors"));
    // The fixture stores logit_scale rounded through fp16 (4.19922 for 4.2).
    VOP_CHECK_NEAR(model->logit_scale.item<double>(), golden()["logit_scale"].get<double>(), 2e-3);
    checkTextParity(model);
}

VOP_TEST(torchscriptTextParity)
{
    auto ckpt = vop::readCheckpoint(fixture("model.ts.pt"));
    VOP_CHECK_EQ(ckpt.format, std::string("torchscript"));
    VOP_CHECK(!ckpt.weights.count("input_resolution")); // scalars are not weights
    VOP_CHECK_EQ(ckpt.extras.at("input_resolution"), int64_t(64));
    auto model = vop::loadClipModel(fixture("model.ts.pt"));
    checkTextParity(model);
}

VOP_TEST(textFeatureIgnoresPaddingLength)
{
    // The causal mask means nothing after [EOT] matters; encodeText cuts the sequence there.
    auto model = vop::loadClipModel(fixture("model.safetensors"));
    torch::NoGradGuard g;
    auto ids = textIds();
    auto full = model->encodeText(ids);
    // Reference path without the cut: run all 77 positions.
    auto x = model->embedTokens(ids);
    x = model->transformer->forward(x, vop::ClipModelImpl::causalMask(77, x.options()));
    auto ref = model->textHead(x, ids.argmax(-1));
    VOP_CHECK(relErr(full, ref) <= 1e-5);
}

#ifdef VOPSEARCH_HAVE_MEDIA
VOP_TEST(safetensorsImageParity)
{
    auto model = vop::loadClipModel(fixture("model.safetensors"));
    checkImageParity(model);
}

VOP_TEST(torchscriptImageParity)
{
    auto model = vop::loadClipModel(fixture("model.ts.pt"));
    checkImageParity(model);
}

VOP_TEST(widePreprocessingAndEmbedding)
{
    auto model = vop::loadClipModel(fixture("model.safetensors"));
    auto x = preprocessed(golden()["wide_image"].get<std::string>(), 64); // [1, 3, 64, 64]
    // wide_preprocessed is [3][64][64]
    std::vector<float> ref;
    for (const auto& c : golden()["wide_preprocessed"])
        for (const auto& row : c)
            for (const auto& v : row) ref.push_back(v.get<float>());
    auto refT = torch::tensor(ref).view({1, 3, 64, 64});
    const double mad = (x - refT).abs().mean().item<double>();
    std::cout << "  wide preprocessing mean abs diff " << mad << std::endl;
    VOP_CHECK(mad <= 0.01);
    VOP_CHECK_NEAR(x.mean().item<double>(), golden()["wide_preprocessed_mean"].get<double>(), 1e-3);
    torch::NoGradGuard g;
    auto emb = model->encodeImage(x)[0];
    auto refEmb = torch::tensor(golden()["wide_image_embedding"].get<std::vector<float>>());
    const double cos = torch::cosine_similarity(emb, refEmb, 0).item<double>();
    std::cout << "  wide embedding cosine " << cos << std::endl;
    VOP_CHECK(cos >= 0.999);
}
#endif

VOP_TEST_MAIN()
