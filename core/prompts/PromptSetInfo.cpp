#include "prompts/PromptSetInfo.h"

#include "model/SafeTensors.h"
#include "util/Error.h"

namespace vop {

namespace {
const std::string kProvenancePrefix = "provenance.";
} // namespace

PromptSetInfo promptSetInfoFromMetadata(const std::string& path, const std::map<std::string, std::string>& meta)
{
    auto fmt = meta.find("format");
    if (fmt == meta.end() || fmt->second != "vopsearch-prompts")
        throw InputError("'" + path + "' is not a vopsearch prompt set (no format=vopsearch-prompts in its metadata)");
    PromptSetInfo info;
    auto ver = meta.find("format_version");
    info.formatVersion = ver == meta.end() ? 0 : std::atoi(ver->second.c_str());
    if (info.formatVersion < 1 || info.formatVersion > kPromptSetFormatVersion)
        throw InputError("prompt set '" + path + "' has format version " + (ver == meta.end() ? "?" : ver->second) +
                         "; this vopsearch reads version " + std::to_string(kPromptSetFormatVersion) +
                         " (a newer vopsearch wrote it?)");
    info.options = PromptOptions::fromMetadata(meta);
    if (auto it = meta.find("backbone_sha256"); it != meta.end()) info.backbone.sha256 = it->second;
    if (auto it = meta.find("backbone_shape"); it != meta.end()) info.backbone.shape = it->second;
    for (const auto& [k, v] : meta)
        if (k.rfind(kProvenancePrefix, 0) == 0) info.provenance[k.substr(kProvenancePrefix.size())] = v;
    return info;
}

PromptSetInfo readPromptSetInfo(const std::string& path)
{
    auto file = safetensors::File::open(path);
    auto info = promptSetInfoFromMetadata(path, file.metadata());
    for (const auto& t : file.tensors()) info.parameters += t.numel();
    // A damaged file: the tensors must be exactly those of the variant on the backbone it names.
    const auto config = ClipConfig::fromSummary(info.backbone.shape);
    if (!config)
        throw InputError("prompt set '" + path + "' does not say which backbone it was made for (backbone_shape '" +
                         info.backbone.shape + "')");
    const auto expected = trainableShapes(*config, info.options);
    for (const auto& t : file.tensors()) {
        auto it = expected.find(t.name);
        if (it == expected.end())
            throw InputError("prompt set '" + path + "' holds tensor '" + t.name + "', which " +
                             variantDisplayName(info.options.variant) + " does not have: the file is damaged");
        if (it->second != t.shape)
            throw InputError("prompt set '" + path + "': tensor '" + t.name + "' has shape " + shapeString(t.shape) +
                             ", expected " + shapeString(it->second) + ": the file is damaged");
    }
    for (const auto& [name, shape] : expected)
        if (!file.find(name))
            throw InputError("prompt set '" + path + "' lacks tensor '" + name + "': the file is damaged");
    return info;
}

bool promptSetIsTextOnly(const std::string& path)
{
    const auto file = safetensors::File::open(path);
    for (const auto& t : file.tensors())
        if (isVisualPromptTensor(t.name))
            return false;
    return true;
}

void requireSameBackbone(const std::string& setName, const BackboneIdentity& made, const BackboneIdentity& loaded,
                         const std::string& modelName)
{
    if (!made.shape.empty() && !loaded.shape.empty() && made.shape != loaded.shape)
        throw InputError("prompt set '" + setName + "' was made for another backbone (" + made.shape + "); " + modelName +
                         " is " + loaded.shape);
    if (!made.sha256.empty() && !loaded.sha256.empty() && made.sha256 != loaded.sha256)
        throw InputError("prompt set '" + setName + "' was made for checkpoint sha256 " + made.sha256.substr(0, 12) +
                         "..., but " + modelName + " is " + loaded.sha256.substr(0, 12) +
                         "...: same shape, other weights; fit the prompts again for this model");
}

} // namespace vop
