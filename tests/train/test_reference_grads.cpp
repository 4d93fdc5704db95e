// The C++ training step against an independent implementation (issue 11 item 4). For each VoP
// variant on ../shared/fixtures/clip-toy, vop_train_step (train::PromptStepper::lossAndGradients,
// the trainer's own forward + loss + backward) and tools/vop_reference.py (a separate PyTorch
// transcription of CLIP, the variants and the multi-positive InfoNCE, run with Debian's
// python3-torch) take the same frames, captions (two of them repeated, so the multi-positive
// targets matter) and prompt tensors (the reference reads them from the prompt set the C++
// wrote), and must agree. The captions repeat (identical captions; those alone give the same
// loss as CLIP's diagonal targets) and two differ but share a key (a label), which is what
// makes the multi-positive targets differ from the diagonal ones; they must agree on:
//   - the loss within 1e-5 relative,
//   - every prompt tensor's gradient within 1e-4 relative max-abs: max|g_cpp - g_ref| <=
//     1e-4 * max|g_ref|, and no gradient may be all zero (a tensor the loss does not reach),
//   - the normalised clip and caption embeddings within 1e-5 max-abs.
// fp32 rounding through these few layers moves values by ~1e-6 relative (measured: see
// docs/TRAINING.md, "Reference implementation"); a wrong transcription (a prompt at the wrong
// position, a frame position scaled by 0.9, diagonal targets) moves them by 1e-2 or more.
// Skipped, saying why, when /usr/bin/python3 (or $VOPSEARCH_REFERENCE_PYTHON) cannot import torch.
#include "CliRunner.h"
#include "TestFiles.h"
#include "TestMain.h"

#include "model/Checkpoint.h"

#include <torch/torch.h>

#include <algorithm>
#include <fstream>

using namespace vop;

namespace {

std::string python()
{
    const char* env = std::getenv("VOPSEARCH_REFERENCE_PYTHON");
    return env && *env ? env : "/usr/bin/python3";
}

// "" when the reference can run, else why not.
std::string whyNoReference()
{
    auto r = test::runShell(test::shellQuote(python()) + " -c 'import torch' 2>&1");
    if (r.code == 0)
        return "";
    auto last = r.out.substr(0, r.out.find_last_not_of("\n") + 1);
    last = last.substr(last.find_last_of('\n') + 1); // "ModuleNotFoundError: No module named 'torch'"
    return python() + " cannot import torch (" + last + "); install python3-torch (packaging/install-deps.sh)";
}

// B clips of F frames, R x R: a coloured square (colour by clip) moving across a grey field,
// CLIP-normalised: [B, F, 3, R, R].
torch::Tensor movingSquares(const std::vector<std::array<float, 3>>& colours, int64_t F, int64_t R)
{
    const int64_t B = int64_t(colours.size()), side = R / 4;
    auto x = torch::full({B, F, 3, R, R}, 0.5f);
    for (int64_t b = 0; b < B; ++b)
        for (int64_t f = 0; f < F; ++f) {
            const int64_t x0 = (b % 2 ? R - side - f * (R - side) / F : f * (R - side) / F), y0 = 8 + 5 * b;
            for (int64_t c = 0; c < 3; ++c)
                x[b][f][c].slice(0, y0, y0 + side).slice(1, x0, x0 + side).fill_(colours[size_t(b)][size_t(c)]);
        }
    auto mean = torch::tensor({0.48145466f, 0.4578275f, 0.40821073f}).view({1, 1, 3, 1, 1});
    auto stdev = torch::tensor({0.26862954f, 0.26130258f, 0.27577711f}).view({1, 1, 3, 1, 1});
    return (x - mean) / stdev;
}

struct Inputs {
    std::string frames, captions, keys;
};

void writeLines(const std::string& path, const std::vector<std::string>& lines)
{
    std::ofstream out(path);
    for (const auto& l : lines) out << l << "\n";
}

Inputs writeInputs(const std::string& dir)
{
    const std::vector<std::array<float, 3>> colours = {{1, 0, 0}, {0, 0, 1}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}};
    Inputs in{dir + "/frames.safetensors", dir + "/captions.txt", dir + "/keys.txt"};
    writeSafeTensors(in.frames, {{"frames", movingSquares(colours, 4, 64)}});
    writeLines(in.captions, {"a red square", "a blue square", "a red square moving left", "a green square",
                             "a blue square", "a yellow square"});
    writeLines(in.keys, {"red", "blue", "red", "green", "blue", "yellow"});
    return in;
}

double relMaxAbs(const torch::Tensor& a, const torch::Tensor& ref)
{
    return (a - ref).abs().max().item<double>() / std::max(ref.abs().max().item<double>(), 1e-30);
}

bool isGradient(const std::string& name) { return name.rfind("grad.", 0) == 0; }

// Every prompt tensor's gradient on both sides: {worst relative max-abs error, tensors}.
std::pair<double, int> compareGradients(const WeightMap& cpp, const WeightMap& ref)
{
    double worst = 0;
    int grads = 0;
    for (const auto& [name, g] : cpp) {
        if (!isGradient(name)) continue;
        ++grads;
        VOP_REQUIRE(ref.count(name));
        const double err = relMaxAbs(g, ref.at(name));
        const double size = ref.at(name).abs().max().item<double>();
        worst = std::max(worst, err);
        if (!(err <= 1e-4) || size == 0)
            std::cerr << "  " << name << ": relative max-abs error " << err << ", max |g| " << size << std::endl;
        VOP_CHECK(err <= 1e-4);
        VOP_CHECK(size > 0);
    }
    VOP_CHECK(grads > 0);
    VOP_CHECK_EQ(grads, int(std::count_if(ref.begin(), ref.end(), [](const auto& kv) { return isGradient(kv.first); })));
    return {worst, grads};
}

// Runs both sides for one variant (`extra`: more vop_train_step options) and compares.
void compareVariant(const std::string& variant, const std::string& extra)
{
    const std::string dir = test::freshDir("reference-" + variant + (extra.empty() ? "" : "-x"));
    const auto in = writeInputs(dir);
    const std::string toy = test::sharedDir() + "/fixtures/clip-toy/model.safetensors";
    const std::string set = dir + "/prompts.safetensors", cpp = dir + "/cpp.safetensors", ref = dir + "/ref.safetensors";
    auto c = test::runCommand(VOP_TRAIN_STEP, "--model " + toy + " --vocab " VOP_VOCAB " --frames " + in.frames +
                                                  " --captions " + in.captions + " --keys " + in.keys + " --variant " + variant +
                                                  " --seed 5 " + extra + " --save-prompts " + set + " --out " + cpp,
                              true);
    std::cout << "  " << variant << " " << extra << "  c++: " << c.out;
    VOP_REQUIRE(c.code == 0);
    auto p = test::runCommand(test::shellQuote(python()), std::string(VOP_REFERENCE_PY) + " step --model " + toy +
                                                              " --inputs " + cpp + " --prompts " + set + " --out " + ref,
                              true);
    std::cout << "  reference: " << p.out;
    VOP_REQUIRE(p.code == 0);
    auto a = readSafeTensors(cpp), b = readSafeTensors(ref);
    const double lossErr = relMaxAbs(a.at("loss"), b.at("loss"));
    VOP_CHECK(lossErr <= 1e-5);
    const auto [worst, grads] = compareGradients(a, b);
    const double video = (a.at("video") - b.at("video")).abs().max().item<double>();
    const double text = (a.at("text") - b.at("text")).abs().max().item<double>();
    std::cout << "  loss rel err " << lossErr << ", worst gradient rel max-abs " << worst << " over " << grads
              << " tensors, video emb max-abs " << video << ", text emb " << text << std::endl;
    VOP_CHECK(video <= 1e-5);
    VOP_CHECK(text <= 1e-5);
}

} // namespace

VOP_TEST(everyVariantMatchesTheReferenceStep)
{
    if (auto why = whyNoReference(); !why.empty()) {
        std::cout << "  skipped: " << why << std::endl;
        return;
    }
    for (const char* v : {"vop", "vop-p", "vop-c", "vop-f", "vop-fp", "vop-fc"}) compareVariant(v, "");
}

// The reference's CLIP against the fixture's golden embeddings (images, a wide image through
// Pillow-exact preprocessing, texts): what makes it a reference for the steps below.
VOP_TEST(referenceClipMatchesTheGoldenEmbeddings)
{
    if (auto why = whyNoReference(); !why.empty()) {
        std::cout << "  skipped: " << why << std::endl;
        return;
    }
    auto r = test::runCommand(test::shellQuote(python()), std::string(VOP_REFERENCE_PY) + " golden " +
                                                              test::sharedDir() + "/fixtures/clip-tiny", true);
    std::cout << r.out;
    VOP_CHECK(r.code == 0);
}

VOP_TEST(promptOptionsMatchTheReferenceStep)
{
    if (auto why = whyNoReference(); !why.empty()) {
        std::cout << "  skipped: " << why << std::endl;
        return;
    }
    compareVariant("vop-c", "--context lstm --video-length 3");
    compareVariant("vop-fc", "--context transformer --split-depth 1");
    compareVariant("vop-f", "--split-depth 0 --text-length 3 --visual-length 5");
    compareVariant("vop-fp", "--depth 2 --split-depth 1");
}

VOP_TEST_MAIN()
