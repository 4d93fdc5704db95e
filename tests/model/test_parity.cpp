// Parity of the CLIP port with the reference implementation: the fixtures' golden.json holds
// what openai/CLIP computes (fp32 compute from the fp16 weights) for its images and texts.
// The models run on $VOPSEARCH_TEST_DEVICE (CPU by default; tools/gpu-check.sh sets cuda) with
// the same tolerances; on CUDA, fp16 is checked against fp32 on the CPU.
#include "TestDevice.h"
#include "TestMain.h"

#include "model/Checkpoint.h"
#include "model/ClipEncoder.h"
#include "model/ClipModel.h"
#include "model/ClipTokenizer.h"
#include "model/Device.h"
#include "model/Int8Linear.h"
#include "model/Preprocess.h"

#ifdef VOPSEARCH_HAVE_MEDIA
#include "media/ImageCodec.h"
#endif

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>
#include <optional>

namespace {

std::string fixture(const std::string& rel) { return vop::test::sharedDir() + "/fixtures/clip-tiny/" + rel; }

const torch::Device& device()
{
    static const torch::Device d = vop::test::testDevice();
    return d;
}

vop::ClipModel load(const std::string& file)
{
    auto model = vop::loadClipModel(fixture(file));
    model->to(device());
    return model;
}

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

#ifndef VOPSEARCH_HAVE_MEDIA
// An 8-bit binary PPM (P6, no comments), as ffmpeg and Pillow write it.
vop::RgbImage readPpm(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::string magic;
    int maxValue = 0;
    vop::RgbImage img;
    in >> magic >> img.width >> img.height >> maxValue;
    in.get();
    if (!in || magic != "P6" || maxValue != 255 || img.empty())
        throw std::runtime_error(path + ": not an 8-bit binary PPM");
    img.pixels.resize(size_t(img.width) * size_t(img.height) * 3);
    in.read(reinterpret_cast<char*>(img.pixels.data()), std::streamsize(img.pixels.size()));
    if (!in)
        throw std::runtime_error(path + ": truncated");
    return img;
}
#endif

// A fixture image: decoded by core/media when it is built; else read from a PPM copy in
// $VOPSEARCH_TEST_IMAGES (tools/gpu-check.sh makes them; PNG is lossless, the pixels are the
// same). nullopt when neither is there: the image tests then say they were skipped.
std::optional<vop::RgbImage> fixtureImage(const std::string& png)
{
#ifdef VOPSEARCH_HAVE_MEDIA
    return vop::media::decodeImageFile(fixture("images/" + png));
#else
    const char* dir = std::getenv("VOPSEARCH_TEST_IMAGES");
    if (!dir || !*dir)
        return std::nullopt;
    return readPpm(std::string(dir) + "/" + png.substr(0, png.rfind('.')) + ".ppm");
#endif
}

bool imagesSkipped()
{
    if (fixtureImage(golden()["images"][0].get<std::string>()))
        return false;
    std::cout << "  skipped: no image decoder in this build and no VOPSEARCH_TEST_IMAGES folder of PPM copies"
              << std::endl;
    return true;
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
    auto emb = model->encodeText(textIds().to(device())).cpu();
    const double err = relErr(emb, tensorOf(golden()["text_embeddings"]));
    std::cout << "  text rel err " << err << std::endl;
    VOP_CHECK(err <= 1e-4);
}

torch::Tensor preprocessed(const std::string& png, int64_t R)
{
    auto v = vop::preprocess::clipPreprocess(*fixtureImage(png), int(R));
    return torch::from_blob(v.data(), {1, 3, R, R}, torch::kFloat32).clone();
}

void checkImageParity(vop::ClipModel& model)
{
    if (imagesSkipped())
        return;
    torch::NoGradGuard g;
    const int64_t R = model->config().imageResolution;
    std::vector<torch::Tensor> batch;
    for (const auto& name : golden()["images"]) batch.push_back(preprocessed(name.get<std::string>(), R));
    auto emb = model->encodeImage(torch::cat(batch).to(device())).cpu();
    const double err = relErr(emb, tensorOf(golden()["image_embeddings"]));
    std::cout << "  image rel err " << err << std::endl;
    VOP_CHECK(err <= 1e-4);
}

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
    auto model = load("model.safetensors");
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
    auto model = load("model.ts.pt");
    checkTextParity(model);
}

VOP_TEST(textFeatureIgnoresPaddingLength)
{
    // The causal mask means nothing after [EOT] matters; encodeText cuts the sequence there.
    auto model = load("model.safetensors");
    torch::NoGradGuard g;
    auto ids = textIds().to(device());
    auto full = model->encodeText(ids);
    // Reference path without the cut: run all 77 positions.
    auto x = model->embedTokens(ids);
    x = model->transformer->forward(x, vop::ClipModelImpl::causalMask(77, x.options()));
    auto ref = model->textHead(x, ids.argmax(-1));
    VOP_CHECK(relErr(full, ref) <= 1e-5);
}

VOP_TEST(safetensorsImageParity)
{
    auto model = load("model.safetensors");
    checkImageParity(model);
}

VOP_TEST(torchscriptImageParity)
{
    auto model = load("model.ts.pt");
    checkImageParity(model);
}

VOP_TEST(widePreprocessingAndEmbedding)
{
    if (imagesSkipped())
        return;
    auto model = load("model.safetensors");
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
    auto emb = model->encodeImage(x.to(device())).cpu()[0];
    auto refEmb = torch::tensor(golden()["wide_image_embedding"].get<std::vector<float>>());
    const double cos = torch::cosine_similarity(emb, refEmb, 0).item<double>();
    std::cout << "  wide embedding cosine " << cos << std::endl;
    VOP_CHECK(cos >= 0.999);
}

// The production path on a GPU: ClipEncoder computes in fp16 on CUDA (LayerNorm in fp32). Its
// embeddings must point where the fp32 CPU ones do: cosine >= 0.999 for every text and image.
VOP_TEST(cudaHalfPrecisionAgreesWithCpu)
{
    if (!device().is_cuda()) {
        std::cout << "  skipped: needs VOPSEARCH_TEST_DEVICE=cuda" << std::endl;
        return;
    }
    auto make = [](const std::string& dev) {
        vop::ClipEncoder::Options o;
        o.checkpoint = fixture("model.safetensors");
        o.vocab = vop::test::sharedDir() + "/clip/bpe_simple_vocab_16e6.txt.gz";
        o.device = dev;
        return vop::ClipEncoder(o);
    };
    VOP_CHECK(vop::resolveDevice("auto").is_cuda());                // auto picks the GPU
    VOP_CHECK(make("auto").deviceName().rfind("cuda", 0) == 0);
    auto cpu = make("cpu");
    auto gpu = make(device().str());
    VOP_REQUIRE(gpu.halfPrecision());
    auto minCosine = [](const vop::Embeddings& a, const vop::Embeddings& b) {
        float m = 1;
        for (size_t i = 0; i < a.size(); ++i) m = std::min(m, vop::cosine(a[i], b[i]));
        return m;
    };
    std::vector<std::string> texts;
    for (const auto& t : golden()["texts"]) texts.push_back(t.get<std::string>());
    const float textCos = minCosine(gpu.encodeTexts(texts), cpu.encodeTexts(texts));
    std::cout << "  fp16 text min cosine to fp32 CPU " << textCos << std::endl;
    VOP_CHECK(textCos >= 0.999f);
    if (imagesSkipped())
        return;
    std::vector<vop::RgbImage> images;
    for (const auto& name : golden()["images"]) images.push_back(*fixtureImage(name.get<std::string>()));
    images.push_back(*fixtureImage(golden()["wide_image"].get<std::string>()));
    const float imageCos = minCosine(gpu.encodeImages(images), cpu.encodeImages(images));
    std::cout << "  fp16 image min cosine to fp32 CPU " << imageCos << std::endl;
    VOP_CHECK(imageCos >= 0.999f);
}

// The int8 image tower (issue 12's quality gate on the CLIP fixture): every fixture image's
// embedding keeps cosine >= 0.99 to fp32's, and back in fp32 the encoder is exact again.
VOP_TEST(int8ImageEmbeddingsKeepDirection)
{
    if (imagesSkipped() || device().is_cuda() || vop::int8Engine().empty()) {
        std::cout << "  skipped: needs the fixture images, the CPU and a quantized engine" << std::endl;
        return;
    }
    vop::ClipEncoder::Options o;
    o.checkpoint = fixture("model.safetensors");
    o.vocab = vop::test::sharedDir() + "/clip/bpe_simple_vocab_16e6.txt.gz";
    o.device = "cpu";
    vop::ClipEncoder enc(o);
    VOP_REQUIRE(enc.imagePrecision() == vop::Precision::Fp32); // the Options' default
    std::vector<vop::RgbImage> images;
    for (const auto& name : golden()["images"]) images.push_back(*fixtureImage(name.get<std::string>()));
    images.push_back(*fixtureImage(golden()["wide_image"].get<std::string>()));
    const auto fp32 = enc.encodeImages(images);
    enc.setPrecision(vop::Precision::Int8, vop::Precision::Int8);
    VOP_CHECK(enc.imagePrecision() == vop::Precision::Int8);
    const auto int8 = enc.encodeImages(images);
    enc.setPrecision(vop::Precision::Fp32, vop::Precision::Fp32);
    const auto again = enc.encodeImages(images);
    float worst = 1;
    for (size_t i = 0; i < images.size(); ++i) {
        worst = std::min(worst, vop::cosine(fp32[i], int8[i]));
        VOP_CHECK(fp32[i] != int8[i]); // int8 ran
        VOP_CHECK(again[i] == fp32[i]);
    }
    std::cout << "  int8 image min cosine to fp32 " << worst << std::endl;
    VOP_CHECK(worst >= 0.99f);
}

VOP_TEST_MAIN()
