#include "model/ClipConfig.h"

#include <cstdio>

#include "util/Error.h"

#include <cmath>
#include <set>

namespace vop {

namespace {

const Shape& need(const ShapeMap& s, const std::string& name, size_t rank)
{
    auto it = s.find(name);
    if (it == s.end())
        throw InputError("checkpoint has no tensor '" + name + "': not a CLIP checkpoint in the official naming");
    if (it->second.size() != rank)
        throw InputError("tensor '" + name + "' has shape " + shapeString(it->second) + ", expected rank " +
                         std::to_string(rank));
    return it->second;
}

int64_t countLayers(const ShapeMap& s, const std::string& prefix)
{
    std::set<int64_t> layers;
    const std::string suffix = ".attn.in_proj_weight";
    for (const auto& [name, shape] : s) {
        if (name.rfind(prefix, 0) != 0 || name.size() <= prefix.size() + suffix.size())
            continue;
        if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        std::string idx = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
        if (idx.find_first_not_of("0123456789") == std::string::npos && !idx.empty())
            layers.insert(std::stoll(idx));
    }
    if (layers.empty())
        throw InputError("checkpoint has no '" + prefix + "N.attn.in_proj_weight' tensors");
    if (*layers.rbegin() != int64_t(layers.size()) - 1)
        throw InputError("checkpoint's '" + prefix + "N' layers are not numbered 0.." +
                         std::to_string(layers.size() - 1));
    return int64_t(layers.size());
}

void addBlocks(ShapeMap& m, const std::string& prefix, int64_t layers, int64_t width, int64_t mlp)
{
    for (int64_t i = 0; i < layers; ++i) {
        const std::string p = prefix + std::to_string(i) + ".";
        m[p + "attn.in_proj_weight"] = {3 * width, width};
        m[p + "attn.in_proj_bias"] = {3 * width};
        m[p + "attn.out_proj.weight"] = {width, width};
        m[p + "attn.out_proj.bias"] = {width};
        m[p + "ln_1.weight"] = {width};
        m[p + "ln_1.bias"] = {width};
        m[p + "mlp.c_fc.weight"] = {mlp, width};
        m[p + "mlp.c_fc.bias"] = {mlp};
        m[p + "mlp.c_proj.weight"] = {width, mlp};
        m[p + "mlp.c_proj.bias"] = {width};
        m[p + "ln_2.weight"] = {width};
        m[p + "ln_2.bias"] = {width};
    }
}

} // namespace

ClipConfig ClipConfig::fromShapes(const ShapeMap& s)
{
    if (s.count("visual.layer1.0.conv1.weight"))
        throw InputError("this is a ResNet CLIP checkpoint; only ViT checkpoints are supported");
    ClipConfig c;
    const Shape& conv = need(s, "visual.conv1.weight", 4);          // [width, 3, patch, patch]
    const Shape& vpos = need(s, "visual.positional_embedding", 2);  // [grid*grid+1, width]
    const Shape& proj = need(s, "visual.proj", 2);                  // [width, embed]
    c.visionWidth = conv[0];
    c.visionPatch = conv[3];
    if (conv[1] != 3 || conv[2] != conv[3])
        throw InputError("tensor 'visual.conv1.weight' has shape " + shapeString(conv) +
                         ", expected [width,3,patch,patch]");
    const int64_t grid = int64_t(std::llround(std::sqrt(double(vpos[0] - 1))));
    if (grid * grid + 1 != vpos[0])
        throw InputError("tensor 'visual.positional_embedding' has " + std::to_string(vpos[0]) +
                         " rows, which is not grid*grid+1");
    c.imageResolution = grid * c.visionPatch;
    c.visionLayers = countLayers(s, "visual.transformer.resblocks.");
    c.visionMlpWidth = need(s, "visual.transformer.resblocks.0.mlp.c_fc.weight", 2)[0];
    c.embedDim = proj[1];

    const Shape& tok = need(s, "token_embedding.weight", 2);  // [vocab, width]
    const Shape& tpos = need(s, "positional_embedding", 2);   // [context, width]
    const Shape& tproj = need(s, "text_projection", 2);       // [width, embed]
    c.vocabSize = tok[0];
    c.textWidth = tok[1];
    c.contextLength = tpos[0];
    c.textLayers = countLayers(s, "transformer.resblocks.");
    c.textMlpWidth = need(s, "transformer.resblocks.0.mlp.c_fc.weight", 2)[0];
    if (tproj[1] != c.embedDim)
        throw InputError("tensor 'text_projection' has shape " + shapeString(tproj) + ", expected [" +
                         std::to_string(c.textWidth) + "," + std::to_string(c.embedDim) + "]");
    if (c.visionWidth % 64 != 0 || c.textWidth % 64 != 0)
        throw InputError("tower widths " + std::to_string(c.visionWidth) + "/" + std::to_string(c.textWidth) +
                         " are not multiples of 64 (heads = width / 64)");
    return c;
}

ClipConfig ClipConfig::vitB32()
{
    return ClipConfig{};
}

ShapeMap ClipConfig::expectedShapes() const
{
    ShapeMap m;
    m["visual.class_embedding"] = {visionWidth};
    m["visual.positional_embedding"] = {visionTokens(), visionWidth};
    m["visual.proj"] = {visionWidth, embedDim};
    m["visual.conv1.weight"] = {visionWidth, 3, visionPatch, visionPatch};
    m["visual.ln_pre.weight"] = {visionWidth};
    m["visual.ln_pre.bias"] = {visionWidth};
    m["visual.ln_post.weight"] = {visionWidth};
    m["visual.ln_post.bias"] = {visionWidth};
    addBlocks(m, "visual.transformer.resblocks.", visionLayers, visionWidth, visionMlpWidth);
    m["token_embedding.weight"] = {vocabSize, textWidth};
    m["positional_embedding"] = {contextLength, textWidth};
    m["ln_final.weight"] = {textWidth};
    m["ln_final.bias"] = {textWidth};
    m["text_projection"] = {textWidth, embedDim};
    m["logit_scale"] = {};
    addBlocks(m, "transformer.resblocks.", textLayers, textWidth, textMlpWidth);
    return m;
}

int64_t ClipConfig::parameterCount() const
{
    int64_t n = 0;
    for (const auto& [name, shape] : expectedShapes()) {
        int64_t k = 1;
        for (auto d : shape) k *= d;
        n += k;
    }
    return n;
}

std::string ClipConfig::summary() const
{
    return "vision ViT " + std::to_string(visionWidth) + "w x " + std::to_string(visionLayers) + "L patch " +
           std::to_string(visionPatch) + " @" + std::to_string(imageResolution) + ", text " +
           std::to_string(textWidth) + "w x " + std::to_string(textLayers) + "L ctx " +
           std::to_string(contextLength) + ", embed " + std::to_string(embedDim);
}

std::optional<ClipConfig> ClipConfig::fromSummary(const std::string& s)
{
    ClipConfig c;
    long long vw, vl, patch, res, tw, tl, ctx, embed;
    char tail = 0;
    if (std::sscanf(s.c_str(), "vision ViT %lldw x %lldL patch %lld @%lld, text %lldw x %lldL ctx %lld, embed %lld%c", &vw,
                    &vl, &patch, &res, &tw, &tl, &ctx, &embed, &tail) != 8)
        return std::nullopt;
    c.visionWidth = vw;
    c.visionLayers = vl;
    c.visionPatch = patch;
    c.imageResolution = res;
    c.textWidth = tw;
    c.textLayers = tl;
    c.contextLength = ctx;
    c.embedDim = embed;
    c.visionMlpWidth = 4 * vw;
    c.textMlpWidth = 4 * tw;
    if (c.summary() != s)
        return std::nullopt;
    return c;
}

bool ClipConfig::operator==(const ClipConfig& o) const
{
    return embedDim == o.embedDim && imageResolution == o.imageResolution && visionPatch == o.visionPatch &&
           visionWidth == o.visionWidth && visionLayers == o.visionLayers && visionMlpWidth == o.visionMlpWidth &&
           contextLength == o.contextLength && vocabSize == o.vocabSize && textWidth == o.textWidth &&
           textLayers == o.textLayers && textMlpWidth == o.textMlpWidth;
}

} // namespace vop
