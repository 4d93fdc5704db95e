// vop_train_step: one training step of the C++ trainer, stopped before the optimizer update, for
// comparison with an independent implementation (tools/vop_reference.py step; the test
// tests/train/test_reference_grads runs both).
//
//   vop_train_step --model CLIP.safetensors --vocab BPE.gz --frames FRAMES.safetensors
//                  --captions CAPTIONS.txt --variant vop-f [--frames-per-clip F] [--text-length N]
//                  [--visual-length N] [--video-length N] [--depth N] [--split-depth N]
//                  [--context bilstm|lstm|transformer] [--seed S | --prompts SET.safetensors]
//                  --out OUT.safetensors [--save-prompts SET.safetensors] [--keys KEYS.txt]
//
// FRAMES holds `frames` [B, F, 3, R, R] float32, already CLIP-preprocessed; CAPTIONS one caption
// per line (B lines). Clips whose keys are equal are positives of each other; the keys are the
// cleaned captions, as in the trainer, or one per line of KEYS (e.g. a label shared by captions
// that differ: identical captions give identical text embeddings, and then multi-positive targets
// give exactly the loss and gradients of CLIP's diagonal ones, so only keys shared by different
// captions exercise them). The prompt
// tensors are drawn with --seed (as a fresh training run draws them) or read from a prompt set.
// It runs train::PromptStepper::lossAndGradients, the trainer's own forward + loss + backward
// (no augmentation, no clipping, no update) and writes OUT: frames, ids, positives, prompt.<name>
// (the tensors used), loss [1], grad.<name>, video [B, E] and text [B, E] (normalised), with the
// prompt options in its metadata (as a prompt set's).
#include "model/Checkpoint.h"
#include "model/ClipModel.h"
#include "model/ClipTokenizer.h"
#include "prompts/PromptSet.h"
#include "train/internal/PromptStepper.h"
#include "util/Error.h"

#include <torch/torch.h>

#include <fstream>
#include <iostream>
#include <map>

using namespace vop;

namespace {

using Args = std::map<std::string, std::string>;

Args parseArgs(int argc, char** argv)
{
    Args a;
    for (int i = 1; i < argc; ++i) {
        std::string k = argv[i];
        if (k.rfind("--", 0) != 0 || i + 1 >= argc)
            throw InputError("expected --name value pairs, got '" + k + "' (see the comment at the top of " __FILE__ ")");
        a[k.substr(2)] = argv[++i];
    }
    for (const char* required : {"model", "vocab", "frames", "captions", "variant", "out"})
        if (!a.count(required))
            throw InputError(std::string("missing --") + required);
    return a;
}

int intArg(const Args& a, const std::string& key, int fallback)
{
    auto it = a.find(key);
    return it == a.end() ? fallback : std::stoi(it->second);
}

PromptOptions promptOptions(const Args& a, int64_t frames)
{
    PromptOptions o;
    o.variant = parseVariant(a.at("variant"));
    o.textLength = intArg(a, "text-length", o.textLength);
    o.visualLength = intArg(a, "visual-length", o.visualLength);
    o.videoLength = intArg(a, "video-length", o.videoLength);
    o.depth = intArg(a, "depth", o.depth);
    o.splitDepth = intArg(a, "split-depth", o.splitDepth);
    o.frames = int(frames);
    if (a.count("context")) o.context = parseContextModule(a.at("context"));
    return o;
}

std::vector<std::string> readLines(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        throw InputError("cannot read '" + path + "'");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    return lines;
}

VopPrompts makePrompts(const Args& a, const ClipConfig& config, int64_t frames)
{
    if (a.count("prompts"))
        return loadPromptSet(a.at("prompts"), config, {"", config.summary()});
    torch::manual_seed(uint64_t(std::stoull(a.count("seed") ? a.at("seed") : "0")));
    return VopPrompts(config, promptOptions(a, frames));
}

int run(const Args& a)
{
    auto frames = readSafeTensors(a.at("frames")).at("frames").to(torch::kFloat32); // [B, F, 3, R, R]
    const auto captions = readLines(a.at("captions"));
    if (frames.dim() != 5 || frames.size(0) != int64_t(captions.size()))
        throw InputError("frames must be [B, F, 3, R, R] with one caption per clip; got " +
                         shapeString(frames.sizes().vec()) + " and " + std::to_string(captions.size()) + " captions");
    auto clip = loadClipModel(a.at("model"));
    auto prompts = makePrompts(a, clip->config(), frames.size(1));
    VopModel model(clip, prompts);
    if (a.count("save-prompts")) savePromptSet(a.at("save-prompts"), *prompts, {"", clip->config().summary()});

    TrainOptions options;
    options.prompts = prompts->options();
    train::PromptStepper stepper(model, options);
    const ClipTokenizer tokenizer(a.at("vocab"));
    auto ids = train::captionIds(tokenizer, captions, model.captionLength());
    std::vector<std::string> keys;
    if (a.count("keys")) {
        keys = readLines(a.at("keys"));
    } else {
        for (const auto& c : captions) keys.push_back(ClipTokenizer::cleanText(c));
    }
    if (keys.size() != captions.size())
        throw InputError("one key per caption expected: " + std::to_string(keys.size()) + " keys, " +
                         std::to_string(captions.size()) + " captions");
    auto positives = train::positivesFromKeys(keys);
    auto f = stepper.lossAndGradients(frames, ids, positives);

    WeightMap out{{"frames", frames}, {"ids", ids}, {"positives", positives.to(torch::kInt64)},
                  {"loss", f.loss.detach().reshape({1})}, {"video", f.clips.detach()}, {"text", f.texts.detach()}};
    for (const auto& [name, t] : prompts->tensors()) {
        out["prompt." + name] = t.detach();
        out["grad." + name] = t.grad().defined() ? t.grad() : torch::zeros_like(t);
    }
    writeSafeTensors(a.at("out"), out, prompts->options().toMetadata());
    std::cout << "loss " << f.loss.item<double>() << ", " << prompts->tensors().size() << " prompt tensors" << std::endl;
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    try {
        return run(parseArgs(argc, argv));
    } catch (const std::exception& e) {
        std::cerr << "vop_train_step: " << e.what() << std::endl;
        return 2;
    }
}
