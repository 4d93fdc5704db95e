// vopsearch-cli prompts new|info and vopsearch-cli variants.
#include "Commands.h"
#include "PromptArgs.h"

#include "model/ClipModel.h"
#include "model/Checkpoint.h"
#include "prompts/PromptSet.h"
#include "util/Paths.h"
#include "util/Sha256.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdio>
#include <iostream>

namespace vop::cli {
namespace {

const char* kPromptsUsage =
    "usage: vopsearch-cli prompts new --variant V [--checkpoint FILE] --out FILE [options]\n"
    "       vopsearch-cli prompts info FILE [--json]\n"
    "new: a freshly initialised prompt set (normal, std 0.02; seeded) for the given backbone.\n"
    "  --variant V          zero | vop | vop-p | vop-c | vop-f | vop-fp | vop-fc\n"
    "  --text-length N      text prompt tokens per layer (8)\n"
    "  --visual-length N    frame- and video-level visual prompt tokens per layer (8)\n"
    "  --video-length N     VoP^P/VoP^C shared and specific tokens per layer (4)\n"
    "  --frames N           frames per clip F (12)\n"
    "  --depth K            prompts in layers 1..K (all)\n"
    "  --split-depth K      VoP^F: frame-level layers before the joint ones (round(2L/3): 8 of 12)\n"
    "  --context M          VoP^C generator: bilstm | lstm | transformer (bilstm)\n"
    "  --init-std S         initialisation std (0.02)\n"
    "  --seed N             random seed (0)";

const char* kVariantsUsage =
    "usage: vopsearch-cli variants [--checkpoint FILE] [--json] [prompt options as for 'prompts new']\n"
    "Lists every variant with its trainable parameter count on that backbone; --json prints\n"
    "{\"zero\": 0, \"vop\": N, ...} (frame position embedding included).";

std::set<std::string> optionNames()
{
    auto names = promptOptionNames();
    names.insert({"seed", "checkpoint", "out"});
    return names;
}

struct Backbone {
    ClipConfig config;
    BackboneIdentity id;
};

Backbone readBackbone(const std::string& explicitPath)
{
    const auto path = paths::resolveCheckpoint(explicitPath);
    auto ckpt = readCheckpoint(path);
    Backbone b;
    b.config = ClipConfig::fromShapes(ckpt.shapes());
    b.id.shape = b.config.summary();
    b.id.sha256 = sha256File(path);
    return b;
}

int runNew(const std::vector<std::string>& argv)
{
    Args a(argv, optionNames(), {});
    if (!a.has("variant")) throw UsageError("prompts new needs --variant");
    if (!a.has("out")) throw UsageError("prompts new needs --out FILE");
    const auto o = promptOptionsFrom(a);
    const auto b = readBackbone(a.get("checkpoint"));
    torch::manual_seed(uint64_t(a.getInt("seed", 0)));
    VopPrompts prompts(b.config, o);
    savePromptSet(a.get("out"), *prompts, b.id, {{"dataset", "none (fresh initialisation)"}, {"seed", a.get("seed", "0")}});
    const auto n = countParameters(b.config, o);
    std::printf("wrote %s: %s, %lld trainable parameters\n", a.get("out").c_str(), o.describe().c_str(),
                (long long)n.total());
    return 0;
}

int runInfo(const std::vector<std::string>& argv)
{
    Args a(argv, {}, {"json"});
    if (a.positionals().size() != 1) throw UsageError("prompts info needs one FILE");
    const auto info = readPromptSetInfo(a.positionals()[0]);
    // No visual prompt tensor: videos are encoded as zero-shot CLIP does (docs/LIBRARY.md).
    const bool textOnly = promptSetIsTextOnly(a.positionals()[0]);
    if (a.has("json")) {
        nlohmann::json j = {{"variant", variantName(info.options.variant)}, {"options", info.options.toMetadata()},
                            {"parameters", info.parameters}, {"backbone_sha256", info.backbone.sha256},
                            {"backbone_shape", info.backbone.shape}, {"provenance", info.provenance},
                            {"format_version", info.formatVersion}, {"text_only", textOnly}};
        printJson(j.dump(2));
        return 0;
    }
    std::printf("variant      %s\n", info.options.describe().c_str());
    std::printf("parameters   %lld trainable\n", (long long)info.parameters);
    if (textOnly)
        std::printf("videos       text prompts only: videos are encoded as zero-shot CLIP (the library's zero-shot\n"
                    "             index is reused, switching to it needs no re-encode)\n");
    std::printf("backbone     %s\n             sha256 %s\n", info.backbone.shape.c_str(),
                info.backbone.sha256.empty() ? "(not recorded)" : info.backbone.sha256.c_str());
    for (const auto& [k, v] : info.provenance) std::printf("%-12s %s\n", k.c_str(), v.c_str());
    return 0;
}

int runPrompts(const std::vector<std::string>& argv)
{
    if (argv.empty()) throw UsageError("prompts needs new or info");
    std::vector<std::string> rest(argv.begin() + 1, argv.end());
    if (argv[0] == "new") return runNew(rest);
    if (argv[0] == "info") return runInfo(rest);
    throw UsageError("unknown prompts command '" + argv[0] + "'");
}

int runVariants(const std::vector<std::string>& argv)
{
    auto names = optionNames();
    names.erase("out");
    Args a(argv, names, {"json"});
    const auto b = readBackbone(a.get("checkpoint"));
    auto o = promptOptionsFrom(a);
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    if (!a.has("json"))
        std::printf("backbone: %s\n\n%-8s %-12s %14s %14s\n", b.config.summary().c_str(), "name", "variant",
                    "prompts", "frame pos.");
    for (auto v : allVariants()) {
        o.variant = v;
        const auto n = countParameters(b.config, o);
        j[variantName(v)] = n.total();
        if (!a.has("json"))
            std::printf("%-8s %-12s %14lld %14lld\n", variantName(v).c_str(), variantDisplayName(v).c_str(),
                        (long long)n.prompts, (long long)n.framePosition);
    }
    if (a.has("json")) printJson(j.dump());
    return 0;
}

Command regPrompts{"prompts", "create or inspect prompt-set files", kPromptsUsage, &runPrompts};
Command regVariants{"variants", "list the VoP variants and their parameter counts", kVariantsUsage, &runVariants};

} // namespace
} // namespace vop::cli
