#include "prompts/VopModel.h"

#include "util/Error.h"

#include <torch/torch.h>

namespace vop {

namespace {
struct Holder : torch::nn::Module {}; // a named group of parameters ("text", "visual", "context")
}

VopPromptsImpl::VopPromptsImpl(const ClipConfig& c, const PromptOptions& o)
    : m_config(c), m_options(o)
{
    if (o.textLength < 0 || o.visualLength < 0 || o.videoLength < 0 || o.frames < 1)
        throw InputError("prompt lengths must be >= 0 and frames >= 1");
    if (o.textLength >= c.contextLength - 2)
        throw InputError("text prompt length " + std::to_string(o.textLength) + " leaves no room for a caption in a " +
                         std::to_string(c.contextLength) + "-token context");
    m_split = o.resolvedSplitDepth(c);
    m_frameLayers = std::min(o.visualDepth(c), m_split);
    const auto shapes = trainableShapes(c, o);
    const double stdev = o.initStd;
    auto param = [&](std::shared_ptr<torch::nn::Module>& holder, const char* group, const std::string& name) {
        const std::string full = std::string(group) + "." + name;
        auto it = shapes.find(full);
        if (it == shapes.end())
            return torch::Tensor();
        if (!holder)
            holder = register_module(group, std::make_shared<Holder>());
        return holder->register_parameter(name, torch::randn(it->second) * stdev);
    };
    m_textPrompts = param(m_text, "text", "prompts");          // [Lt, p, W]
    m_visualPrompts = param(m_visual, "visual", "prompts");    // [Lf, p, D]
    m_shared = param(m_visual, "visual", "shared");            // [Lf, vl, D]
    m_position = param(m_visual, "visual", "position");        // [Lf, F, vl, D]
    m_video = param(m_visual, "visual", "video");              // [Lj, p, D]
    framePosition = param(m_visual, "visual", "frame_position"); // [F, D]

    if (shapes.count("context.fc.bias")) {
        const int64_t D = c.visionWidth;
        m_context = register_module("context", std::make_shared<Holder>());
        int64_t fcIn = D;
        switch (o.context) {
        case ContextModule::BiLstm:
        case ContextModule::Lstm:
            m_lstm = m_context->register_module(
                "lstm", torch::nn::LSTM(torch::nn::LSTMOptions(D, D).batch_first(true).bidirectional(
                            o.context == ContextModule::BiLstm)));
            fcIn = o.context == ContextModule::BiLstm ? 2 * D : D;
            break;
        case ContextModule::Transformer:
            m_encoder = m_context->register_module(
                "encoder", torch::nn::TransformerEncoderLayer(
                               torch::nn::TransformerEncoderLayerOptions(D, std::max<int64_t>(1, D / 64))
                                   .dim_feedforward(D)
                                   .dropout(0.0)));
            break;
        }
        m_fc = m_context->register_module("fc", torch::nn::Linear(fcIn, o.videoLength * D));
    }
    // The module's parameters must be exactly the documented trainable tensors.
    auto named = named_parameters();
    if (named.size() != shapes.size())
        throw Error("internal: prompt module has " + std::to_string(named.size()) + " tensors, expected " +
                    std::to_string(shapes.size()));
    for (const auto& p : named)
        if (!shapes.count(p.key()) || shapes.at(p.key()) != p.value().sizes().vec())
            throw Error("internal: prompt tensor '" + p.key() + "' does not match its declared shape");
}

torch::Tensor VopPromptsImpl::generated(const torch::Tensor& cls)
{
    const int64_t B = cls.size(0), F = cls.size(1), D = cls.size(2);
    auto in = cls.to(torch::kFloat32);                                        // [B, F, D]
    torch::Tensor ctx;
    if (m_lstm)
        ctx = std::get<0>(m_lstm->forward(in));                               // [B, F, D or 2D]
    else
        ctx = m_encoder->forward(in.transpose(0, 1)).transpose(0, 1);         // [B, F, D]
    auto tokens = m_fc->forward(ctx);                                         // [B, F, vl*D]
    return tokens.reshape({B * F, m_options.videoLength, D}).to(cls.scalar_type()); // [B*F, vl, D]
}

torch::Tensor VopPromptsImpl::framePrompts(int layer, const torch::Tensor& x, int64_t clips, int64_t frames)
{
    if (layer >= m_frameLayers)
        return {};
    const int64_t BF = x.size(0), D = x.size(2);
    const auto dt = x.scalar_type();
    if (m_visualPrompts.defined())
        return m_visualPrompts[layer].to(dt).unsqueeze(0).expand({BF, -1, D});   // [B*F, p, D]
    if (m_position.defined()) {
        if (frames != m_options.frames)
            throw InputError(variantDisplayName(m_options.variant) + " prompts were made for clips of " +
                             std::to_string(m_options.frames) + " frames, got " + std::to_string(frames));
        auto shared = m_shared[layer].to(dt).unsqueeze(0).expand({BF, -1, D});  // [B*F, vl, D]
        auto pos = m_position[layer].to(dt).unsqueeze(0)                        // [1, F, vl, D]
                       .expand({clips, -1, -1, -1})
                       .reshape({BF, m_options.videoLength, D});             // [B*F, vl, D]
        return torch::cat({shared, pos}, 1);                                   // [B*F, 2vl, D]
    }
    if (m_fc) {
        auto shared = m_shared[layer].to(dt).unsqueeze(0).expand({BF, -1, D});  // [B*F, vl, D]
        auto cls = x.select(1, 0).reshape({clips, frames, D});                 // [B, F, D]
        return torch::cat({shared, generated(cls)}, 1);                        // [B*F, 2vl, D]
    }
    if (m_shared.defined())
        return m_shared[layer].to(dt).unsqueeze(0).expand({BF, -1, D});
    return {};
}

torch::Tensor VopPromptsImpl::videoPrompts(int layer) const
{
    const int j = layer - m_split;
    if (!m_video.defined() || j < 0 || j >= m_video.size(0))
        return {};
    return m_video[j];                                                         // [p, D]
}

torch::Tensor VopPromptsImpl::textPrompts(int layer) const
{
    if (!m_textPrompts.defined() || layer >= m_textPrompts.size(0))
        return {};
    return m_textPrompts[layer];                                               // [p, W]
}

std::map<std::string, torch::Tensor> VopPromptsImpl::tensors() const
{
    std::map<std::string, torch::Tensor> out;
    for (const auto& p : named_parameters()) out[p.key()] = p.value();
    return out;
}

void VopPromptsImpl::load(const std::map<std::string, torch::Tensor>& in)
{
    auto named = named_parameters();
    for (const auto& p : named) {
        auto it = in.find(p.key());
        if (it == in.end())
            throw InputError("prompt set lacks tensor '" + p.key() + "' that " + variantDisplayName(m_options.variant) +
                             " needs");
        if (it->second.sizes() != p.value().sizes())
            throw InputError("prompt tensor '" + p.key() + "' has shape " + shapeString(it->second.sizes().vec()) +
                             ", expected " + shapeString(p.value().sizes().vec()));
    }
    for (const auto& [name, t] : in)
        if (!named.contains(name))
            throw InputError("prompt set has unexpected tensor '" + name + "' for " +
                             variantDisplayName(m_options.variant));
    torch::NoGradGuard g;
    for (auto& p : named) p.value().copy_(in.at(p.key()));
}

// ------------------------------------------------------------------------------------------
VopModel::VopModel(ClipModel clip, VopPrompts prompts)
    : m_clip(std::move(clip)), m_prompts(std::move(prompts))
{
    m_clip->freeze();
    if (m_clip->config() != m_prompts->config())
        throw InputError("prompt set was made for backbone '" + m_prompts->config().summary() + "', not '" +
                         m_clip->config().summary() + "'");
}

int64_t VopModel::captionLength() const
{
    const auto& c = m_clip->config();
    return m_prompts->textPrompts(0).defined() ? c.contextLength - options().textLength : c.contextLength;
}

torch::Tensor VopModel::encodeFrames(const torch::Tensor& frames)
{
    m_clip->requireImageTower();
    auto& vis = m_clip->visual;
    const int64_t B = frames.size(0), F = frames.size(1);
    const int L = int(vis->transformer->layers());
    const int Ks = m_prompts->splitDepth();
    auto x = vis->embed(frames.flatten(0, 1));                                 // [B*F, 1+N, D]
    const int64_t T = x.size(1), D = x.size(2);
    torch::Tensor joint;                                                       // [B, F + F*N, D]
    for (int i = 0; i < L; ++i) {
        auto block = vis->transformer->block(i);
        if (i < Ks) {
            auto P = m_prompts->framePrompts(i, x, B, F);                      // [B*F, p, D]
            const int64_t p = P.defined() ? P.size(1) : 0;
            if (p) x = torch::cat({x.slice(1, 0, 1), P, x.slice(1, 1)}, 1);  // [B*F, 1+p+N, D]
            if (i == 0) x = vis->lnPre(x);
            x = block->forward(x);
            if (p) x = torch::cat({x.slice(1, 0, 1), x.slice(1, 1 + p)}, 1); // [B*F, 1+N, D]
            continue;
        }
        if (i == Ks) {
            if (Ks == 0) x = vis->lnPre(x);
            auto y = x.view({B, F, T, D});                                     // [B, F, 1+N, D]
            if (m_prompts->framePosition.defined())
                y = y + m_prompts->framePosition.to(y.scalar_type()).view({1, F, 1, D});
            joint = torch::cat({y.select(2, 0),                               // [B, F, D]  the F [CLS]
                                y.slice(2, 1).reshape({B, F * (T - 1), D})},  // [B, F*N, D] all patches
                               1);                                             // [B, F + F*N, D]
        }
        auto Q = m_prompts->videoPrompts(i);                                   // [p, D]
        const int64_t p = Q.defined() ? Q.size(0) : 0;
        if (p)
            joint = torch::cat({joint.slice(1, 0, F), Q.to(joint.scalar_type()).unsqueeze(0).expand({B, p, D}),
                                joint.slice(1, F)}, 1);                        // [B, F + p + F*N, D]
        joint = block->forward(joint);
        if (p) joint = torch::cat({joint.slice(1, 0, F), joint.slice(1, F + p)}, 1);
    }
    auto cls = Ks < L ? joint.slice(1, 0, F)                                   // [B, F, D]
                      : x.select(1, 0).reshape({B, F, D});                     // [B, F, D]
    return vis->head(cls);                                                     // [B, F, E]
}

torch::Tensor poolFrames(const torch::Tensor& e)
{
    auto n = torch::nn::functional::normalize(e.to(torch::kFloat32), torch::nn::functional::NormalizeFuncOptions().dim(-1));
    return torch::nn::functional::normalize(n.mean(1), torch::nn::functional::NormalizeFuncOptions().dim(-1)); // [B, E]
}

torch::Tensor VopModel::encodeClips(const torch::Tensor& frames)
{
    return poolFrames(encodeFrames(frames));
}

torch::Tensor VopModel::encodeText(const torch::Tensor& ids)
{
    if (ids.size(1) > captionLength())
        throw InputError("caption of " + std::to_string(ids.size(1)) + " tokens exceeds the " +
                         std::to_string(captionLength()) + " that fit beside the text prompts");
    auto eot = ids.argmax(-1);                                                 // [B]
    const int64_t T = eot.max().item<int64_t>() + 1;
    auto x = m_clip->embedTokens(ids.slice(1, 0, T));                          // [B, T, W]
    const int64_t B = x.size(0), W = x.size(2);
    auto& tower = m_clip->transformer;
    for (int i = 0; i < int(tower->layers()); ++i) {
        auto P = m_prompts->textPrompts(i);                                    // [p, W]
        const int64_t p = P.defined() ? P.size(0) : 0;
        if (p) x = torch::cat({x.slice(1, 0, 1), P.to(x.scalar_type()).unsqueeze(0).expand({B, p, W}),
                               x.slice(1, 1)}, 1);                             // [B, T+p, W]
        x = tower->block(i)->forward(x, ClipModelImpl::causalMask(x.size(1), x.options()));
        if (p) x = torch::cat({x.slice(1, 0, 1), x.slice(1, 1 + p)}, 1);      // [B, T, W]
    }
    return m_clip->textHead(x, eot);                                           // [B, E]
}

} // namespace vop
