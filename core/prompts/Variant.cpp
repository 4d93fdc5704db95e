#include "prompts/Variant.h"

#include "util/Error.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace vop {

namespace {
struct VariantName {
    Variant v;
    const char* name;
    const char* display;
};
constexpr VariantName kNames[] = {
    {Variant::Zero, "zero", "zero-shot CLIP"}, {Variant::Vop, "vop", "VoP"},
    {Variant::VopP, "vop-p", "VoP^P"},         {Variant::VopC, "vop-c", "VoP^C"},
    {Variant::VopF, "vop-f", "VoP^F"},         {Variant::VopFP, "vop-fp", "VoP^{F+P}"},
    {Variant::VopFC, "vop-fc", "VoP^{F+C}"},
};

int toInt(const std::map<std::string, std::string>& m, const std::string& key, int fallback)
{
    auto it = m.find(key);
    if (it == m.end()) return fallback;
    try {
        return std::stoi(it->second);
    } catch (const std::exception&) {
        throw InputError("prompt set metadata '" + key + "' is not a number: '" + it->second + "'");
    }
}
} // namespace

std::string variantName(Variant v)
{
    for (const auto& n : kNames)
        if (n.v == v) return n.name;
    return "?";
}

std::string variantDisplayName(Variant v)
{
    for (const auto& n : kNames)
        if (n.v == v) return n.display;
    return "?";
}

Variant parseVariant(const std::string& name)
{
    for (const auto& n : kNames)
        if (name == n.name) return n.v;
    throw InputError("unknown variant '" + name + "': use zero, vop, vop-p, vop-c, vop-f, vop-fp or vop-fc");
}

std::vector<Variant> allVariants()
{
    std::vector<Variant> v;
    for (const auto& n : kNames) v.push_back(n.v);
    return v;
}

std::string contextModuleName(ContextModule m)
{
    switch (m) {
    case ContextModule::BiLstm: return "bilstm";
    case ContextModule::Lstm: return "lstm";
    case ContextModule::Transformer: return "transformer";
    }
    return "?";
}

ContextModule parseContextModule(const std::string& name)
{
    if (name == "bilstm") return ContextModule::BiLstm;
    if (name == "lstm") return ContextModule::Lstm;
    if (name == "transformer") return ContextModule::Transformer;
    throw InputError("unknown context module '" + name + "': use bilstm, lstm or transformer");
}

bool usesPositionPrompts(Variant v) { return v == Variant::VopP || v == Variant::VopFP; }
bool usesContextPrompts(Variant v) { return v == Variant::VopC || v == Variant::VopFC; }
bool usesFunctionSplit(Variant v) { return v == Variant::VopF || v == Variant::VopFP || v == Variant::VopFC; }

int PromptOptions::visualDepth(const ClipConfig& c) const
{
    if (variant == Variant::Zero) return 0;
    return depth < 0 ? int(c.visionLayers) : std::min(depth, int(c.visionLayers));
}

int PromptOptions::textDepth(const ClipConfig& c) const
{
    if (variant == Variant::Zero) return 0;
    return depth < 0 ? int(c.textLayers) : std::min(depth, int(c.textLayers));
}

int PromptOptions::resolvedSplitDepth(const ClipConfig& c) const
{
    const int L = int(c.visionLayers);
    if (!usesFunctionSplit(variant)) return L;
    if (splitDepth >= 0) return std::min(splitDepth, L);
    return int(std::lround(2.0 * L / 3.0)); // 8 of 12, as in the paper; 2 of 3
}

std::map<std::string, std::string> PromptOptions::toMetadata() const
{
    std::ostringstream std;
    std << initStd;
    return {{"variant", variantName(variant)},
            {"text_length", std::to_string(textLength)},
            {"visual_length", std::to_string(visualLength)},
            {"video_length", std::to_string(videoLength)},
            {"frames", std::to_string(frames)},
            {"depth", std::to_string(depth)},
            {"split_depth", std::to_string(splitDepth)},
            {"context_module", contextModuleName(context)},
            {"init_std", std.str()}};
}

PromptOptions PromptOptions::fromMetadata(const std::map<std::string, std::string>& m)
{
    PromptOptions o;
    auto v = m.find("variant");
    if (v == m.end())
        throw InputError("prompt set has no 'variant' in its metadata");
    o.variant = parseVariant(v->second);
    o.textLength = toInt(m, "text_length", o.textLength);
    o.visualLength = toInt(m, "visual_length", o.visualLength);
    o.videoLength = toInt(m, "video_length", o.videoLength);
    o.frames = toInt(m, "frames", o.frames);
    o.depth = toInt(m, "depth", o.depth);
    o.splitDepth = toInt(m, "split_depth", o.splitDepth);
    if (auto c = m.find("context_module"); c != m.end()) o.context = parseContextModule(c->second);
    if (auto s = m.find("init_std"); s != m.end()) o.initStd = std::atof(s->second.c_str());
    return o;
}

std::string PromptOptions::describe() const
{
    std::ostringstream s;
    s << variantDisplayName(variant) << ": text prompts " << textLength << ", visual prompts " << visualLength
      << ", video prompts " << videoLength << ", frames " << frames << ", depth "
      << (depth < 0 ? std::string("all") : std::to_string(depth));
    if (usesFunctionSplit(variant))
        s << ", split depth " << (splitDepth < 0 ? std::string("2L/3") : std::to_string(splitDepth));
    if (usesContextPrompts(variant))
        s << ", context " << contextModuleName(context);
    return s.str();
}

std::map<std::string, Shape> trainableShapes(const ClipConfig& c, const PromptOptions& o)
{
    std::map<std::string, Shape> s;
    if (o.variant == Variant::Zero) return s;
    auto add = [&](const std::string& name, Shape shape) {
        for (auto d : shape)
            if (d <= 0) return; // zero-length prompts hold no tensor
        s[name] = std::move(shape);
    };
    const int64_t D = c.visionWidth, W = c.textWidth;
    add("text.prompts", {o.textDepth(c), o.textLength, W});

    const int Ks = o.resolvedSplitDepth(c);
    const int vDepth = o.visualDepth(c);
    const int64_t frameLayers = std::min(vDepth, Ks); // layers with frame-level prompts
    if (usesPositionPrompts(o.variant)) {
        add("visual.shared", {frameLayers, o.videoLength, D});
        add("visual.position", {frameLayers, o.frames, o.videoLength, D});
    } else if (usesContextPrompts(o.variant)) {
        add("visual.shared", {frameLayers, o.videoLength, D});
        if (frameLayers > 0 && o.videoLength > 0) {
            const int64_t G = 4 * D; // LSTM gates
            switch (o.context) {
            case ContextModule::BiLstm:
                for (const char* sfx : {"", "_reverse"}) {
                    add(std::string("context.lstm.weight_ih_l0") + sfx, {G, D});
                    add(std::string("context.lstm.weight_hh_l0") + sfx, {G, D});
                    add(std::string("context.lstm.bias_ih_l0") + sfx, {G});
                    add(std::string("context.lstm.bias_hh_l0") + sfx, {G});
                }
                add("context.fc.weight", {o.videoLength * D, 2 * D});
                break;
            case ContextModule::Lstm:
                add("context.lstm.weight_ih_l0", {G, D});
                add("context.lstm.weight_hh_l0", {G, D});
                add("context.lstm.bias_ih_l0", {G});
                add("context.lstm.bias_hh_l0", {G});
                add("context.fc.weight", {o.videoLength * D, D});
                break;
            case ContextModule::Transformer:
                add("context.encoder.self_attn.in_proj_weight", {3 * D, D});
                add("context.encoder.self_attn.in_proj_bias", {3 * D});
                add("context.encoder.self_attn.out_proj.weight", {D, D});
                add("context.encoder.self_attn.out_proj.bias", {D});
                add("context.encoder.linear1.weight", {D, D});
                add("context.encoder.linear1.bias", {D});
                add("context.encoder.linear2.weight", {D, D});
                add("context.encoder.linear2.bias", {D});
                add("context.encoder.norm1.weight", {D});
                add("context.encoder.norm1.bias", {D});
                add("context.encoder.norm2.weight", {D});
                add("context.encoder.norm2.bias", {D});
                add("context.fc.weight", {o.videoLength * D, D});
                break;
            }
            add("context.fc.bias", {o.videoLength * D});
        }
    } else {
        add("visual.prompts", {frameLayers, o.visualLength, D});
    }
    if (usesFunctionSplit(o.variant) && Ks < c.visionLayers) {
        add("visual.video", {std::max(0, vDepth - Ks), o.visualLength, D});
        add("visual.frame_position", {o.frames, D});
    }
    return s;
}

ParameterCount countParameters(const ClipConfig& c, const PromptOptions& o)
{
    ParameterCount n;
    for (const auto& [name, shape] : trainableShapes(c, o)) {
        int64_t k = 1;
        for (auto d : shape) k *= d;
        (name == "visual.frame_position" ? n.framePosition : n.prompts) += k;
    }
    return n;
}

bool isVisualPromptTensor(const std::string& name)
{
    return name.rfind("visual.", 0) == 0 || name.rfind("context.", 0) == 0;
}

bool isTextOnly(const ClipConfig& config, const PromptOptions& options)
{
    if (options.variant == Variant::Zero)
        return false;
    for (const auto& [name, shape] : trainableShapes(config, options))
        if (isVisualPromptTensor(name))
            return false;
    return true;
}

} // namespace vop
