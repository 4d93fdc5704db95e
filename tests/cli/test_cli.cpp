// vopsearch-cli as a user runs it: encode against the golden fixture, a checkpoint of a shape no
// other test uses, prompt sets, variants, and exit codes for bad input.
#include "TestFiles.h"
#include "TestMain.h"

#include "model/Checkpoint.h"
#include "model/ClipModel.h"

#include "CliRunner.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

using Run = vop::test::CliRun;

Run cli(const std::string& args) { return vop::test::runCommand(VOPSEARCH_CLI, args); }

std::string shared(const std::string& rel) { return vop::test::sharedDir() + "/" + rel; }
std::string vocab() { return "--vocab " + shared("clip/bpe_simple_vocab_16e6.txt.gz"); }

double relErr(const nlohmann::json& a, const nlohmann::json& b)
{
    double maxDiff = 0, maxRef = 0;
    for (size_t i = 0; i < b.size(); ++i)
        for (size_t j = 0; j < b[i].size(); ++j) {
            maxDiff = std::max(maxDiff, std::abs(a[i][j].get<double>() - b[i][j].get<double>()));
            maxRef = std::max(maxRef, std::abs(b[i][j].get<double>()));
        }
    return maxDiff / maxRef;
}

const std::string& tempDir() { return vop::test::runTempDir(); }

} // namespace

VOP_TEST(encodeMatchesGolden)
{
    const auto dir = shared("fixtures/clip-tiny/");
    std::ifstream in(dir + "golden.json");
    const auto golden = nlohmann::json::parse(in);
    // The golden embeddings are the fp32 reference; --precision auto may pick int8 on a VNNI CPU.
    std::string args = "encode --device cpu --checkpoint " + dir + "model.ts.pt " + vocab();
    for (const auto& img : golden["images"]) args += " --image " + dir + "images/" + img.get<std::string>();
    for (const auto& t : golden["texts"]) args += " --text " + vop::test::shellQuote(t.get<std::string>());
    auto r = cli(args + " --precision fp32");
    VOP_REQUIRE_EQ(r.code, 0);
    const auto out = nlohmann::json::parse(r.out);
    VOP_CHECK(out["token_ids"] == golden["token_ids"]);
    VOP_CHECK(relErr(out["image_embeddings"], golden["image_embeddings"]) <= 1e-4);
    VOP_CHECK(relErr(out["text_embeddings"], golden["text_embeddings"]) <= 1e-4);
    // int8 (where this LibTorch has a quantized engine): every image within cosine 0.99.
    auto q = cli(args + " --precision int8");
    if (q.code != 0) { // a LibTorch without a quantized engine says so and exits 2
        VOP_CHECK_EQ(q.code, 2);
        return;
    }
    const auto int8 = nlohmann::json::parse(q.out)["image_embeddings"];
    for (size_t i = 0; i < int8.size(); ++i) {
        const auto a = int8[i].get<std::vector<float>>(), b = out["image_embeddings"][i].get<std::vector<float>>();
        double ab = 0, aa = 0, bb = 0;
        for (size_t k = 0; k < a.size(); ++k) ab += double(a[k]) * b[k], aa += double(a[k]) * a[k], bb += double(b[k]) * b[k];
        VOP_CHECK(ab / std::sqrt(aa * bb) >= 0.99);
    }
}

VOP_TEST(encodesACheckpointOfAnUnseenShape)
{
    vop::ClipConfig c;
    c.imageResolution = 40; c.visionPatch = 10; c.visionWidth = 64; c.visionLayers = 5; c.visionMlpWidth = 128;
    c.textWidth = 192; c.textLayers = 1; c.textMlpWidth = 384; c.embedDim = 48; c.contextLength = 77;
    auto model = vop::randomClipModel(c, 77);
    vop::WeightMap w;
    for (const auto& p : model->named_parameters()) w[p.key()] = p.value().detach().to(torch::kFloat16);
    const auto path = tempDir() + "/unseen.safetensors";
    vop::writeSafeTensors(path, w);
    auto r = cli("encode --device cpu --precision fp32 --checkpoint " + path + " " + vocab() + " --text 'a red square moving left' --image " +
                 shared("fixtures/clip-tiny/images/wide.png"));
    VOP_REQUIRE_EQ(r.code, 0);
    const auto out = nlohmann::json::parse(r.out);
    VOP_CHECK_EQ(out["text_embeddings"][0].size(), size_t(48));
    VOP_CHECK_EQ(out["image_embeddings"][0].size(), size_t(48));
    // Same numbers as the in-process model with the fp16-rounded weights.
    auto ref = vop::loadClipModel(path);
    torch::NoGradGuard g;
    std::vector<int64_t> ids = out["token_ids"][0].get<std::vector<int64_t>>();
    ids.resize(77, 0);
    auto t = ref->encodeText(torch::tensor(ids).view({1, 77}))[0];
    double maxDiff = 0;
    for (int64_t i = 0; i < 48; ++i) maxDiff = std::max(maxDiff, std::abs(t[i].item<double>() - out["text_embeddings"][0][i].get<double>()));
    VOP_CHECK(maxDiff <= 1e-5);
}

VOP_TEST(promptSetsAndVariants)
{
    const auto ckpt = shared("fixtures/clip-tiny/model.safetensors");
    auto v = cli("variants --json --checkpoint " + ckpt);
    VOP_REQUIRE_EQ(v.code, 0);
    const auto counts = nlohmann::json::parse(v.out);
    VOP_CHECK_EQ(counts["zero"].get<int64_t>(), int64_t(0));
    VOP_CHECK_EQ(counts["vop"].get<int64_t>(), int64_t(2 * 8 * 128 + 2 * 8 * 128));
    VOP_CHECK_EQ(counts.size(), size_t(7));
    const auto out = tempDir() + "/vopf.safetensors";
    VOP_REQUIRE_EQ(cli("prompts new --variant vop-f --frames 3 --checkpoint " + ckpt + " --out " + out).code, 0);
    auto info = cli("prompts info --json " + out);
    VOP_REQUIRE_EQ(info.code, 0);
    VOP_CHECK_EQ(nlohmann::json::parse(info.out)["variant"].get<std::string>(), std::string("vop-f"));
    const auto img = shared("fixtures/clip-tiny/images/");
    auto e = cli("encode --device cpu --checkpoint " + ckpt + " " + vocab() + " --prompts " + out + " --text 'a dog' --frames " +
                 img + "img0.png " + img + "img1.png " + img + "img2.png");
    VOP_REQUIRE_EQ(e.code, 0);
    const auto j = nlohmann::json::parse(e.out);
    VOP_CHECK_EQ(j["clip_embedding"].size(), size_t(64));
    VOP_CHECK_EQ(j["token_ids"][0].size(), size_t(4)); // SOT a dog EOT
    // The prompt set refuses another backbone.
    auto other = cli("encode --device cpu --checkpoint " + shared("fixtures/clip-toy/model.safetensors") + " " + vocab() +
                     " --prompts " + out + " --text x");
    VOP_CHECK(other.code != 0);
}

VOP_TEST(badInvocationsExitWithTwo)
{
    VOP_CHECK_EQ(cli("encode --bogus").code, 2);
    VOP_CHECK_EQ(cli("encode").code, 2);
    VOP_CHECK_EQ(cli("no-such-command").code, 2);
    VOP_CHECK_EQ(cli("encode --checkpoint /nonexistent/model.pt --text x").code, 2);
    VOP_CHECK_EQ(cli("encode --checkpoint " + shared("media/sample.mp4") + " --text x").code, 2); // not a checkpoint
    VOP_CHECK_EQ(cli("prompts new --variant vop-z --out /tmp/x --checkpoint " + shared("fixtures/clip-tiny/model.safetensors")).code, 2);
    VOP_CHECK_EQ(cli("bench encode --batch 0").code, 2);
    VOP_CHECK_EQ(cli("encode --text x --precision int4").code, 2);
    VOP_CHECK_EQ(cli("bench encode --precision fp16 --device cpu").code, 2);
    VOP_CHECK_EQ(cli("help").code, 0);
}

VOP_TEST_MAIN()
