#include "prompts/PromptSet.h"

#include "model/Checkpoint.h"
#include "model/SafeTensors.h"
#include "util/Error.h"

#include <torch/torch.h>

#include <ctime>

namespace vop {

const std::string kProvenancePrefix = "provenance.";

void savePromptSet(const std::string& path, VopPromptsImpl& prompts, const BackboneIdentity& backbone,
                   const std::map<std::string, std::string>& provenance)
{
    auto meta = prompts.options().toMetadata();
    meta["format"] = "vopsearch-prompts";
    meta["format_version"] = std::to_string(kPromptSetFormatVersion);
    meta["backbone_sha256"] = backbone.sha256;
    meta["backbone_shape"] = backbone.shape.empty() ? prompts.config().summary() : backbone.shape;
    std::map<std::string, std::string> prov = provenance;
    if (!prov.count("created")) {
        char buf[32];
        std::time_t now = std::time(nullptr);
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
        prov["created"] = buf;
    }
    for (const auto& [k, v] : prov) meta[kProvenancePrefix + k] = v;
    WeightMap tensors;
    for (const auto& [name, t] : prompts.tensors()) tensors[name] = t.detach().to(torch::kCPU, torch::kFloat32);
    writeSafeTensors(path, tensors, meta);
}

VopPrompts loadPromptSet(const std::string& path, const ClipConfig& config, const BackboneIdentity& backbone,
                         const std::string& expectVariant)
{
    std::map<std::string, std::string> meta;
    auto tensors = readSafeTensors(path, &meta);
    const auto info = promptSetInfoFromMetadata(path, meta);
    if (!expectVariant.empty() && variantName(info.options.variant) != expectVariant)
        throw InputError("prompt set '" + path + "' is for variant " + variantName(info.options.variant) + ", not " +
                         expectVariant);
    requireSameBackbone(path, info.backbone, {backbone.sha256, config.summary()});
    VopPrompts prompts(config, info.options);
    prompts->load(tensors);
    return prompts;
}

} // namespace vop
