// Checkpoint readers: config inference on shapes the fixtures do not have, the Hugging Face
// naming, and every way a file can be wrong (a clear message, never a crash).
#include "TestMain.h"

#include "model/Checkpoint.h"
#include "model/ClipEncoder.h"
#include "model/ClipModel.h"
#include "model/SafeTensors.h"
#include "util/AtomicFile.h"
#include "util/Paths.h"

#include <torch/torch.h>

#include <filesystem>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& rel) { return vop::test::sharedDir() + "/fixtures/clip-tiny/" + rel; }

std::string tempDir()
{
    static std::string dir = [] {
        auto d = fs::temp_directory_path() / ("vop-ckpt-" + std::to_string(::getpid()));
        fs::create_directories(d);
        return d.string();
    }();
    return dir;
}

vop::WeightMap weightsOf(vop::ClipModel& m)
{
    vop::WeightMap w;
    for (const auto& p : m->named_parameters()) w[p.key()] = p.value().detach().clone();
    return w;
}

torch::Tensor someImages(int64_t R) { torch::manual_seed(3); return torch::randn({2, 3, R, R}); }
torch::Tensor someIds()
{
    auto ids = torch::zeros({2, 77}, torch::kLong);
    ids[0][0] = 49406; ids[0][1] = 320; ids[0][2] = 1929; ids[0][3] = 49407;
    ids[1][0] = 49406; ids[1][1] = 786; ids[1][2] = 49407;
    return ids;
}

// official name -> Hugging Face name(s); q/k/v split, projections transposed.
vop::WeightMap toHuggingFace(const vop::WeightMap& w)
{
    vop::WeightMap hf;
    auto block = [&](const std::string& off, const std::string& hfPrefix, const std::string& rest, const torch::Tensor& t) {
        static const std::map<std::string, std::string> parts = {
            {"attn.out_proj.weight", "self_attn.out_proj.weight"}, {"attn.out_proj.bias", "self_attn.out_proj.bias"},
            {"ln_1.weight", "layer_norm1.weight"}, {"ln_1.bias", "layer_norm1.bias"},
            {"ln_2.weight", "layer_norm2.weight"}, {"ln_2.bias", "layer_norm2.bias"},
            {"mlp.c_fc.weight", "mlp.fc1.weight"}, {"mlp.c_fc.bias", "mlp.fc1.bias"},
            {"mlp.c_proj.weight", "mlp.fc2.weight"}, {"mlp.c_proj.bias", "mlp.fc2.bias"}};
        if (rest == "attn.in_proj_weight" || rest == "attn.in_proj_bias") {
            const std::string kind = rest == "attn.in_proj_weight" ? "weight" : "bias";
            auto qkv = t.chunk(3, 0);
            hf[hfPrefix + "self_attn.q_proj." + kind] = qkv[0];
            hf[hfPrefix + "self_attn.k_proj." + kind] = qkv[1];
            hf[hfPrefix + "self_attn.v_proj." + kind] = qkv[2];
        } else {
            hf[hfPrefix + parts.at(rest)] = t;
        }
        (void)off;
    };
    for (const auto& [name, t] : w) {
        const std::string vis = "visual.transformer.resblocks.", txt = "transformer.resblocks.";
        if (name.rfind(vis, 0) == 0 || name.rfind(txt, 0) == 0) {
            const bool isVis = name.rfind(vis, 0) == 0;
            std::string rest = name.substr((isVis ? vis : txt).size());
            const std::string idx = rest.substr(0, rest.find('.'));
            rest = rest.substr(idx.size() + 1);
            block(name, std::string(isVis ? "vision_model" : "text_model") + ".encoder.layers." + idx + ".", rest, t);
            continue;
        }
        static const std::map<std::string, std::string> direct = {
            {"token_embedding.weight", "text_model.embeddings.token_embedding.weight"},
            {"positional_embedding", "text_model.embeddings.position_embedding.weight"},
            {"ln_final.weight", "text_model.final_layer_norm.weight"}, {"ln_final.bias", "text_model.final_layer_norm.bias"},
            {"visual.class_embedding", "vision_model.embeddings.class_embedding"},
            {"visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight"},
            {"visual.positional_embedding", "vision_model.embeddings.position_embedding.weight"},
            {"visual.ln_pre.weight", "vision_model.pre_layrnorm.weight"}, {"visual.ln_pre.bias", "vision_model.pre_layrnorm.bias"},
            {"visual.ln_post.weight", "vision_model.post_layernorm.weight"}, {"visual.ln_post.bias", "vision_model.post_layernorm.bias"},
            {"logit_scale", "logit_scale"}};
        if (name == "text_projection") hf["text_projection.weight"] = t.t().contiguous();
        else if (name == "visual.proj") hf["visual_projection.weight"] = t.t().contiguous();
        else hf[direct.at(name)] = t;
    }
    hf["text_model.embeddings.position_ids"] = torch::arange(77).view({1, 77});
    return hf;
}

void expectLoadError(const std::string& path, const std::string& mention)
{
    VOP_CHECK_THROWS_WITH(vop::loadClipModel(path), mention);
}

} // namespace

VOP_TEST(configOfAnotherShape)
{
    vop::ClipConfig c;
    c.imageResolution = 48; c.visionPatch = 8; c.visionWidth = 192; c.visionLayers = 3; c.visionMlpWidth = 768;
    c.textWidth = 128; c.textLayers = 3; c.textMlpWidth = 512; c.embedDim = 96; c.contextLength = 77;
    auto model = vop::randomClipModel(c, 5);
    const auto path = tempDir() + "/other.safetensors";
    vop::writeSafeTensors(path, weightsOf(model));
    auto loaded = vop::loadClipModel(path);
    VOP_CHECK(loaded->config() == c);
    VOP_CHECK_EQ(loaded->config().visionHeads(), int64_t(3));
    VOP_CHECK_EQ(loaded->config().visionTokens(), int64_t(37));
    torch::NoGradGuard g;
    VOP_CHECK(torch::equal(loaded->encodeImage(someImages(48)), model->encodeImage(someImages(48))));
    VOP_CHECK(torch::equal(loaded->encodeText(someIds()), model->encodeText(someIds())));
    VOP_CHECK_EQ(loaded->encodeImage(someImages(48)).size(1), int64_t(96));
}

VOP_TEST(huggingFaceNamingGivesIdenticalOutputs)
{
    auto ref = vop::loadClipModel(fixture("model.safetensors"));
    auto ckpt = vop::readCheckpoint(fixture("model.safetensors"));
    const auto path = tempDir() + "/hf.safetensors";
    vop::writeSafeTensors(path, toHuggingFace(ckpt.weights));
    auto hfCkpt = vop::readCheckpoint(path);
    VOP_CHECK_EQ(hfCkpt.format, std::string("safetensors-hf"));
    auto hf = vop::loadClipModel(path);
    torch::NoGradGuard g;
    VOP_CHECK(torch::equal(hf->encodeImage(someImages(64)), ref->encodeImage(someImages(64))));
    VOP_CHECK(torch::equal(hf->encodeText(someIds()), ref->encodeText(someIds())));
}

VOP_TEST(missingTensorIsNamed)
{
    auto w = vop::readCheckpoint(fixture("model.safetensors")).weights;
    w.erase("visual.proj");
    const auto path = tempDir() + "/missing.safetensors";
    vop::writeSafeTensors(path, w);
    expectLoadError(path, "visual.proj");
    w = vop::readCheckpoint(fixture("model.safetensors")).weights;
    w.erase("transformer.resblocks.1.mlp.c_fc.bias");
    vop::writeSafeTensors(path, w);
    expectLoadError(path, "lacks tensor 'transformer.resblocks.1.mlp.c_fc.bias'");
}

VOP_TEST(reshapedTensorNamesBothShapes)
{
    auto w = vop::readCheckpoint(fixture("model.safetensors")).weights;
    w["visual.proj"] = torch::zeros({128, 32});
    const auto path = tempDir() + "/reshaped.safetensors";
    vop::writeSafeTensors(path, w);
    // text_projection says embed 64, visual.proj says 32: the config reads 32 from visual.proj
    expectLoadError(path, "text_projection");
    w = vop::readCheckpoint(fixture("model.safetensors")).weights;
    w["transformer.resblocks.0.ln_2.weight"] = torch::ones({100});
    vop::writeSafeTensors(path, w);
    expectLoadError(path, "tensor 'transformer.resblocks.0.ln_2.weight' has shape [100], expected [128]");
}

VOP_TEST(unexpectedTensorIsRefused)
{
    auto w = vop::readCheckpoint(fixture("model.safetensors")).weights;
    w["visual.extra_head"] = torch::zeros({4});
    const auto path = tempDir() + "/extra.safetensors";
    vop::writeSafeTensors(path, w);
    expectLoadError(path, "unexpected tensor 'visual.extra_head'");
}

VOP_TEST(truncatedFile)
{
    const auto bytes = vop::paths::readFile(fixture("model.safetensors"));
    const auto path = tempDir() + "/truncated.safetensors";
    vop::writeFileAtomic(path, bytes.substr(0, bytes.size() / 2));
    expectLoadError(path, "outside the file");
    vop::writeFileAtomic(path, bytes.substr(0, 5));
    expectLoadError(path, "not a checkpoint");
    const auto ts = vop::paths::readFile(fixture("model.ts.pt"));
    vop::writeFileAtomic(path, ts.substr(0, ts.size() / 2));
    expectLoadError(path, "TorchScript");
}

VOP_TEST(headerOffsetsPastTheEnd)
{
    const auto bytes = vop::paths::readFile(fixture("model.safetensors"));
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(bytes[i]);
    std::string header = bytes.substr(8, n);
    // Rewrite the first data_offsets to point far past the end, keeping the header length.
    auto pos = header.find("\"data_offsets\"");
    VOP_REQUIRE(pos != std::string::npos);
    pos = header.find('[', pos) + 1;
    auto comma = header.find(',', pos), close = header.find(']', pos);
    std::string repl = "0,999999999";
    std::string newHeader = header.substr(0, pos) + repl + header.substr(close);
    (void)comma;
    newHeader.resize(header.size(), ' ');
    const auto path = tempDir() + "/offsets.safetensors";
    vop::writeFileAtomic(path, bytes.substr(0, 8) + newHeader + bytes.substr(8 + n));
    expectLoadError(path, "points outside the file");
    // A header length larger than the file.
    std::string big = bytes;
    big[6] = char(0x7f);
    vop::writeFileAtomic(path, big);
    expectLoadError(path, "not a checkpoint");
}

VOP_TEST(unknownDtype)
{
    vop::safetensors::OutTensor t{"visual.proj", vop::safetensors::DType::F32, {2}, std::string(8, '\0')};
    std::string bytes = vop::safetensors::serialize({t}, {});
    auto pos = bytes.find("\"F32\"");
    VOP_REQUIRE(pos != std::string::npos);
    bytes.replace(pos, 5, "\"Q4K\"");
    const auto path = tempDir() + "/dtype.safetensors";
    vop::writeFileAtomic(path, bytes);
    expectLoadError(path, "unknown dtype 'Q4K'");
}

VOP_TEST(shapeWhoseSizeOverflowsIsRefused)
{
    // (2^62 + 2) F32 elements are 2^64 + 8 bytes: wrapped to 64 bits that is the 8 bytes stored.
    vop::safetensors::OutTensor t{"visual.proj", vop::safetensors::DType::F32, {2}, std::string(8, '\0')};
    const std::string bytes = vop::safetensors::serialize({t}, {});
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(bytes[i]);
    std::string header = bytes.substr(8, n);
    const auto pos = header.find("\"shape\":[2]");
    VOP_REQUIRE(pos != std::string::npos);
    header.replace(pos, 11, "\"shape\":[4611686018427387906]");
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[size_t(i)] = char((uint64_t(header.size()) >> (8 * i)) & 0xff);
    const auto path = tempDir() + "/overflow.safetensors";
    vop::writeFileAtomic(path, out + header + bytes.substr(8 + n));
    expectLoadError(path, "overflows 64 bits");
}

VOP_TEST(notACheckpoint)
{
    const auto path = tempDir() + "/notes.txt";
    vop::writeFileAtomic(path, "these are my holiday notes, not a model\n");
    expectLoadError(path, "not a checkpoint");
    vop::writeFileAtomic(path, "");
    expectLoadError(path, "empty");
    expectLoadError(tempDir() + "/does-not-exist.pt", "cannot open");
    // A zip that is not TorchScript.
    vop::writeFileAtomic(path, std::string("PK\x03\x04", 4) + std::string(100, 'x'));
    expectLoadError(path, "not a TorchScript checkpoint");
    // safetensors with a non-JSON header
    std::string bad(8, '\0');
    bad[0] = 10;
    vop::writeFileAtomic(path, bad + "{not json}xxxx");
    expectLoadError(path, "not valid JSON");
}

VOP_TEST(safetensorsRoundTripKeepsDtypeAndMetadata)
{
    vop::WeightMap w{{"a", torch::arange(6, torch::kFloat16).view({2, 3})}, {"b", torch::tensor({1.5f, -2.0f})}};
    const auto path = tempDir() + "/rt.safetensors";
    vop::writeSafeTensors(path, w, {{"variant", "vop"}});
    std::map<std::string, std::string> meta;
    auto r = vop::readSafeTensors(path, &meta);
    VOP_CHECK(r.at("a").scalar_type() == torch::kFloat16);
    VOP_CHECK(torch::equal(r.at("a"), w.at("a")));
    VOP_CHECK(torch::equal(r.at("b"), w.at("b")));
    VOP_CHECK_EQ(meta.at("variant"), std::string("vop"));
}

VOP_TEST(filteredReadTakesOnlyWhatIsAskedAndKnowsEveryShape)
{
    for (const char* file : {"model.safetensors", "model.ts.pt"}) {
        const auto all = vop::readCheckpoint(fixture(file));
        const auto text = vop::readCheckpoint(fixture(file), {}, [](const std::string& n) {
            return vop::inClipPart(n, vop::ClipPart::Text);
        });
        VOP_CHECK(text.shapes() == all.shapes());
        VOP_CHECK(!text.weights.empty() && text.weights.size() < all.weights.size());
        for (const auto& [name, t] : text.weights) {
            VOP_CHECK(name.rfind("visual.", 0) != 0);
            VOP_CHECK(torch::equal(t, all.weights.at(name)));
        }
        VOP_CHECK(text.weights.count("logit_scale") == 1);
    }
}

VOP_TEST(lazyImageTowerLoadsWithTheFirstImageAndMatchesEagerLoading)
{
    for (const char* file : {"model.safetensors", "model.ts.pt"}) {
        vop::ClipEncoder::Options o;
        o.checkpoint = fixture(file);
        o.vocab = vop::test::sharedDir() + "/clip/bpe_simple_vocab_16e6.txt.gz";
        o.device = "cpu";
        vop::ClipEncoder eager(o);
        o.lazyImageTower = true;
        vop::ClipEncoder lazy(o);
        VOP_CHECK(eager.imageTowerLoaded());
        VOP_CHECK(!lazy.imageTowerLoaded());
        const std::vector<std::string> texts = {"a dog on a beach", "kids building a sandcastle at dusk"};
        VOP_CHECK(lazy.encodeTexts(texts) == eager.encodeTexts(texts));
        VOP_CHECK(!lazy.imageTowerLoaded());
        // Running the image tower before its weights are there is an error, never garbage.
        VOP_CHECK_THROWS_WITH(lazy.model(/*withImageTower=*/false).encodeImage(someImages(64)), "image tower");
        vop::RgbImage img;
        img.width = img.height = 64;
        img.pixels.assign(64 * 64 * 3, 0);
        for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = uint8_t(i * 7 % 251);
        VOP_CHECK(lazy.encodeImages({img}) == eager.encodeImages({img}));
        VOP_CHECK(lazy.imageTowerLoaded());
    }
}

VOP_TEST(lazyLoadingStillChecksEveryShapeAtOnce)
{
    auto w = vop::readCheckpoint(fixture("model.safetensors")).weights;
    w["visual.transformer.resblocks.0.ln_2.weight"] = torch::ones({100});
    const auto path = tempDir() + "/reshaped-visual.safetensors";
    vop::writeSafeTensors(path, w);
    vop::ClipEncoder::Options o;
    o.checkpoint = path;
    o.vocab = vop::test::sharedDir() + "/clip/bpe_simple_vocab_16e6.txt.gz";
    o.device = "cpu";
    o.lazyImageTower = true;
    VOP_CHECK_THROWS_WITH(vop::ClipEncoder{o}, "tensor 'visual.transformer.resblocks.0.ln_2.weight' has shape [100]");
}

VOP_TEST_MAIN()
