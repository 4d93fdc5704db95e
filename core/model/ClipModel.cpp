#include "model/ClipModel.h"
#include "model/Device.h"

#include "model/SmallLinear.h"
#include "util/Error.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>

namespace vop {

namespace {

// CLIP computes LayerNorm in fp32 whatever the activations' dtype (fp16 on CUDA).
torch::Tensor layerNorm32(torch::nn::LayerNorm& ln, const torch::Tensor& x)
{
    if (x.scalar_type() == torch::kFloat32)
        return ln->forward(x);
    return ln->forward(x.to(torch::kFloat32)).to(x.scalar_type());
}

torch::Tensor quickGelu(const torch::Tensor& x)
{
    return x * torch::sigmoid(1.702 * x);
}

// Inference (nothing records gradients, CPU fp32) uses the layer's int8 form when it has one:
// the image tower's oneDNN packs (Int8Linear.h, many rows), else the text tower's streamed int8
// weights (Int8Stream.h, few rows; vop::linear falls back to fp32 when `stream` is undefined).
torch::Tensor project(const torch::Tensor& x, const Int8Linear& dyn, const Int8Weight& stream, const torch::Tensor& w,
                      const torch::Tensor& b)
{
    if (dyn.defined() && !torch::GradMode::is_enabled() && x.device().is_cpu() && x.scalar_type() == torch::kFloat32)
        return dyn(x);
    return vop::linear(x, w, b, stream);
}

} // namespace

// ------------------------------------------------------------------------------------------
ProjectionImpl::ProjectionImpl(int64_t in, int64_t out)
{
    weight = register_parameter("weight", torch::empty({out, in}));
    bias = register_parameter("bias", torch::empty({out}));
}

TokenEmbeddingImpl::TokenEmbeddingImpl(int64_t vocab, int64_t width)
{
    weight = register_parameter("weight", torch::empty({vocab, width}));
}

torch::Tensor TokenEmbeddingImpl::forward(const torch::Tensor& ids)
{
    return torch::embedding(weight, ids); // [.., width]
}

bool inClipPart(const std::string& name, ClipPart part)
{
    if (part == ClipPart::All)
        return true;
    return (name.rfind("visual.", 0) == 0) == (part == ClipPart::Image);
}

// ------------------------------------------------------------------------------------------
AttentionImpl::AttentionImpl(int64_t width, int64_t h)
    : heads(h)
{
    in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * width, width}));
    in_proj_bias = register_parameter("in_proj_bias", torch::empty({3 * width}));
    out_proj = register_module("out_proj", Projection(width, width));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask)
{
    const int64_t B = x.size(0), N = x.size(1), D = x.size(2), hd = D / heads;
    auto qkv = project(x, in_proj_dyn8, in_proj_int8, in_proj_weight, in_proj_bias); // [B, N, 3D]
    qkv = qkv.view({B, N, 3, heads, hd}).permute({2, 0, 3, 1, 4});       // [3, B, H, N, hd]
    auto q = qkv[0], k = qkv[1], v = qkv[2];                              // [B, H, N, hd]
    torch::Tensor out;
#if TORCH_VERSION_MAJOR >= 2
    // The mask is passed as a Tensor, which converts to the optional of every 2.x release (its own
    // c10::optional before 2.4, std::optional after; the c10 alias is being removed).
    out = mask.defined() ? at::scaled_dot_product_attention(q, k, v, mask.to(q.dtype()))   // [B, H, N, hd]
                         : at::scaled_dot_product_attention(q, k, v);
#else
    auto scores = torch::matmul(q * (1.0 / std::sqrt(double(hd))), k.transpose(-2, -1)); // [B, H, N, N]
    if (mask.defined())
        scores = scores + mask;
    out = torch::matmul(torch::softmax(scores, -1), v);                  // [B, H, N, hd]
#endif
    out = out.transpose(1, 2).reshape({B, N, D});                         // [B, N, D]
    return project(out, out_proj_dyn8, out_proj_int8, out_proj->weight, out_proj->bias); // [B, N, D]
}

void AttentionImpl::setInt8(bool on)
{
    in_proj_dyn8 = on ? Int8Linear(in_proj_weight, in_proj_bias) : Int8Linear();
    out_proj_dyn8 = on ? Int8Linear(out_proj->weight, out_proj->bias) : Int8Linear();
}

void AttentionImpl::quantizeInt8(bool on)
{
    in_proj_int8 = on ? vop::quantizeInt8(in_proj_weight) : Int8Weight();
    out_proj_int8 = on ? vop::quantizeInt8(out_proj->weight) : Int8Weight();
}

MlpImpl::MlpImpl(int64_t width, int64_t hidden)
{
    c_fc = register_module("c_fc", Projection(width, hidden));
    c_proj = register_module("c_proj", Projection(hidden, width));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x)
{
    auto h = quickGelu(project(x, c_fc_dyn8, c_fc_int8, c_fc->weight, c_fc->bias)); // [.., hidden]
    return project(h, c_proj_dyn8, c_proj_int8, c_proj->weight, c_proj->bias);      // [.., width]
}

void MlpImpl::setInt8(bool on)
{
    c_fc_dyn8 = on ? Int8Linear(c_fc->weight, c_fc->bias) : Int8Linear();
    c_proj_dyn8 = on ? Int8Linear(c_proj->weight, c_proj->bias) : Int8Linear();
}

void MlpImpl::quantizeInt8(bool on)
{
    c_fc_int8 = on ? vop::quantizeInt8(c_fc->weight) : Int8Weight();
    c_proj_int8 = on ? vop::quantizeInt8(c_proj->weight) : Int8Weight();
}

ResidualBlockImpl::ResidualBlockImpl(int64_t width, int64_t heads, int64_t mlpWidth)
{
    attn = register_module("attn", Attention(width, heads));
    ln_1 = register_module("ln_1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(1e-5)));
    mlp = register_module("mlp", Mlp(width, mlpWidth));
    ln_2 = register_module("ln_2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(1e-5)));
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& mask)
{
    auto y = x + attn->forward(layerNorm32(ln_1, x), mask);  // [B, N, D]
    return y + mlp->forward(layerNorm32(ln_2, y));           // [B, N, D]
}

TransformerImpl::TransformerImpl(int64_t width, int64_t layers, int64_t heads, int64_t mlpWidth)
{
    resblocks = register_module("resblocks", torch::nn::ModuleList());
    for (int64_t i = 0; i < layers; ++i) {
        blocks.emplace_back(width, heads, mlpWidth);
        resblocks->push_back(blocks.back());
    }
}

torch::Tensor TransformerImpl::forward(torch::Tensor x, const torch::Tensor& mask)
{
    for (auto& b : blocks) x = b->forward(x, mask);
    return x;
}

void TransformerImpl::setInt8(bool on)
{
    for (auto& b : blocks) {
        b->attn->setInt8(on);
        b->mlp->setInt8(on);
    }
}

// ------------------------------------------------------------------------------------------
VisionTowerImpl::VisionTowerImpl(const ClipConfig& c)
{
    const int64_t w = c.visionWidth;
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, w, c.visionPatch)
                                                           .stride(c.visionPatch).bias(false)));
    class_embedding = register_parameter("class_embedding", torch::zeros({w}));
    positional_embedding = register_parameter("positional_embedding", torch::zeros({c.visionTokens(), w}));
    ln_pre = register_module("ln_pre", torch::nn::LayerNorm(torch::nn::LayerNormOptions({w}).eps(1e-5)));
    transformer = register_module("transformer", Transformer(w, c.visionLayers, c.visionHeads(), c.visionMlpWidth));
    ln_post = register_module("ln_post", torch::nn::LayerNorm(torch::nn::LayerNormOptions({w}).eps(1e-5)));
    proj = register_parameter("proj", torch::zeros({w, c.embedDim}));
}

torch::Tensor VisionTowerImpl::embed(const torch::Tensor& images)
{
    const int64_t B = images.size(0);
    auto x = conv1->forward(images.to(conv1->weight.scalar_type()));      // [B, D, G, G]
    x = x.flatten(2).transpose(1, 2);                                      // [B, G*G, D]
    auto cls = class_embedding.to(x.scalar_type()).view({1, 1, -1}).expand({B, 1, x.size(2)}); // [B, 1, D]
    x = torch::cat({cls, x}, 1);                                           // [B, 1+G*G, D]
    return x + positional_embedding.to(x.scalar_type());                   // [B, 1+G*G, D]
}

torch::Tensor VisionTowerImpl::head(const torch::Tensor& cls)
{
    return torch::matmul(layerNorm32(ln_post, cls), proj);                 // [.., E]
}

torch::Tensor VisionTowerImpl::forward(const torch::Tensor& images)
{
    auto x = layerNorm32(ln_pre, embed(images));                           // [B, 1+G*G, D]
    x = transformer->forward(x);                                           // [B, 1+G*G, D]
    return head(x.select(1, 0));                                           // [B, E]
}

// ------------------------------------------------------------------------------------------
ClipModelImpl::ClipModelImpl(const ClipConfig& c)
    : m_config(c)
{
    visual = register_module("visual", VisionTower(c));
    token_embedding = register_module("token_embedding", TokenEmbedding(c.vocabSize, c.textWidth));
    positional_embedding = register_parameter("positional_embedding", torch::zeros({c.contextLength, c.textWidth}));
    transformer = register_module("transformer", Transformer(c.textWidth, c.textLayers, c.textHeads(), c.textMlpWidth));
    ln_final = register_module("ln_final", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.textWidth}).eps(1e-5)));
    text_projection = register_parameter("text_projection", torch::zeros({c.textWidth, c.embedDim}));
    logit_scale = register_parameter("logit_scale", torch::tensor(std::log(1.0 / 0.07)));
}

torch::Tensor ClipModelImpl::encodeImage(const torch::Tensor& images)
{
    requireImageTower();
    return visual->forward(images);                                        // [B, E]
}

void ClipModelImpl::requireImageTower() const
{
    if (!m_imageLoaded)
        throw Error("the image tower of this model was not loaded (the encoder loads it with the first image)");
}

torch::Tensor ClipModelImpl::embedTokens(const torch::Tensor& ids)
{
    const int64_t T = ids.size(1);
    auto x = token_embedding->forward(ids);                                // [B, T, W]
    return x + positional_embedding.slice(0, 0, T).to(x.scalar_type());    // [B, T, W]
}

torch::Tensor ClipModelImpl::causalMask(int64_t n, const torch::TensorOptions& opts)
{
    return torch::full({n, n}, -std::numeric_limits<float>::infinity(), opts).triu(1); // [N, N]
}

torch::Tensor ClipModelImpl::textHead(const torch::Tensor& x, const torch::Tensor& eotIndex)
{
    auto y = layerNorm32(ln_final, x);                                     // [B, N, W]
    auto rows = torch::arange(y.size(0), eotIndex.options().dtype(torch::kLong));
    auto feat = y.index({rows, eotIndex.to(torch::kLong)});                // [B, W]
    return torch::matmul(feat, text_projection.to(feat.scalar_type()));   // [B, E]
}

torch::Tensor ClipModelImpl::encodeText(const torch::Tensor& ids)
{
    auto eot = ids.argmax(-1);                                             // [B]
    const int64_t T = eot.max().item<int64_t>() + 1;
    auto x = embedTokens(ids.slice(1, 0, T));                              // [B, T, W]
    x = transformer->forward(x, causalMask(T, x.options()));              // [B, T, W]
    return textHead(x, eot);                                               // [B, E]
}

void ClipModelImpl::loadWeights(const WeightMap& weights)
{
    ShapeMap shapes;
    for (const auto& [name, t] : weights) shapes[name] = t.sizes().vec();
    loadWeights(weights, shapes, ClipPart::All);
}

void ClipModelImpl::checkShapes(const ShapeMap& shapes)
{
    auto params = named_parameters(/*recurse=*/true);
    std::vector<std::string> missing, unexpected;
    for (const auto& p : params)
        if (!shapes.count(p.key())) missing.push_back(p.key());
    for (const auto& [name, t] : shapes)
        if (!params.contains(name)) unexpected.push_back(name);
    auto list = [](const std::vector<std::string>& v) {
        std::string s;
        for (size_t i = 0; i < v.size() && i < 5; ++i) s += (i ? ", '" : "'") + v[i] + "'";
        if (v.size() > 5) s += " and " + std::to_string(v.size() - 5) + " more";
        return s;
    };
    if (!missing.empty())
        throw InputError("checkpoint lacks tensor" + std::string(missing.size() > 1 ? "s " : " ") + list(missing));
    if (!unexpected.empty())
        throw InputError("checkpoint has unexpected tensor" + std::string(unexpected.size() > 1 ? "s " : " ") +
                         list(unexpected));
    for (const auto& p : params) {
        const auto& shape = shapes.at(p.key());
        if (shape != p.value().sizes().vec())
            throw InputError("tensor '" + p.key() + "' has shape " + shapeString(shape) + ", expected " +
                             shapeString(p.value().sizes().vec()));
    }
}

void ClipModelImpl::loadWeights(const WeightMap& weights, const ShapeMap& allShapes, ClipPart part)
{
    checkShapes(allShapes);
    auto params = named_parameters(/*recurse=*/true);
    for (const auto& p : params) {
        if (!inClipPart(p.key(), part))
            continue;
        auto it = weights.find(p.key());
        if (it == weights.end())
            throw InputError("checkpoint lacks tensor '" + p.key() + "'");
        if (!it->second.is_floating_point())
            throw InputError("tensor '" + p.key() + "' is not floating point");
    }
    torch::NoGradGuard noGrad;
    relayoutProjections(part, /*keepValues=*/false); // the copy below writes the transposed layout directly
    for (auto& p : params)
        if (inClipPart(p.key(), part))
            p.value().copy_(weights.at(p.key()));   // converts the dtype on the way
    m_imageLoaded = part != ClipPart::Text;
}

void ClipModelImpl::useTransposedWeights(ClipPart part)
{
    relayoutProjections(part, /*keepValues=*/true);
}

void ClipModelImpl::relayoutProjections(ClipPart part, bool keepValues)
{
    torch::NoGradGuard noGrad;
    auto relayout = [keepValues](torch::Tensor& w) {
        if (w.dim() != 2 || (w.stride(0) == 1 && w.stride(1) == w.size(0)))
            return;
        w.set_data(keepValues ? w.detach().t().contiguous().t() : torch::empty({w.size(1), w.size(0)}, w.options()).t());
    };
    std::vector<Transformer*> towers;
    if (part != ClipPart::Image) towers.push_back(&transformer);
    if (part != ClipPart::Text) towers.push_back(&visual->transformer);
    for (auto* tower : towers)
        for (auto& b : (*tower)->blocks) {
            relayout(b->attn->in_proj_weight);
            relayout(b->attn->out_proj->weight);
            relayout(b->mlp->c_fc->weight);
            relayout(b->mlp->c_proj->weight);
        }
}

double ClipModelImpl::quantizeTextInt8(bool on)
{
    double worst = 0;
    for (auto& b : transformer->blocks) {
        b->attn->quantizeInt8(on);
        b->mlp->quantizeInt8(on);
        for (const Int8Weight* q : {&b->attn->in_proj_int8, &b->attn->out_proj_int8, &b->mlp->c_fc_int8,
                                    &b->mlp->c_proj_int8})
            worst = std::max(worst, q->relativeError);
    }
    return worst;
}

bool ClipModelImpl::textInt8() const
{
    return !transformer->blocks.empty() && transformer->blocks.front()->attn->in_proj_int8.defined();
}

void ClipModelImpl::freeze()
{
    for (auto& p : parameters()) p.set_requires_grad(false);
}

// ------------------------------------------------------------------------------------------
ClipModel loadClipModel(const std::string& checkpointPath, const std::function<bool(double)>& progress)
{
    auto ckpt = readCheckpoint(checkpointPath, progress);
    const auto config = ClipConfig::fromShapes(ckpt.shapes());
    crossCheckExtras(ckpt, config);
    ClipModel model(config);
    model->loadWeights(ckpt.weights);
    model->eval();
    return model;
}

ClipModel randomClipModel(const ClipConfig& c, uint64_t seed)
{
    ScopedTorchSeed seeded(seed);
    ClipModel model(c);
    torch::NoGradGuard noGrad;
    torch::nn::init::normal_(model->token_embedding->weight, 0.0, 0.02);
    torch::nn::init::normal_(model->positional_embedding, 0.0, 0.01);
    auto initTower = [](Transformer& t, int64_t width) {
        const double projStd = std::pow(double(width), -0.5) * std::pow(2.0 * double(t->layers()), -0.5);
        const double attnStd = std::pow(double(width), -0.5);
        const double fcStd = std::pow(2.0 * double(width), -0.5);
        for (auto& b : t->blocks) {
            torch::nn::init::normal_(b->attn->in_proj_weight, 0.0, attnStd);
            torch::nn::init::zeros_(b->attn->in_proj_bias);
            torch::nn::init::normal_(b->attn->out_proj->weight, 0.0, projStd);
            torch::nn::init::zeros_(b->attn->out_proj->bias);
            torch::nn::init::normal_(b->mlp->c_fc->weight, 0.0, fcStd);
            torch::nn::init::zeros_(b->mlp->c_fc->bias);
            torch::nn::init::normal_(b->mlp->c_proj->weight, 0.0, projStd);
            torch::nn::init::zeros_(b->mlp->c_proj->bias);
        }
    };
    initTower(model->transformer, c.textWidth);
    initTower(model->visual->transformer, c.visionWidth);
    const double vscale = std::pow(double(c.visionWidth), -0.5);
    model->visual->class_embedding.normal_(0.0, vscale);
    model->visual->positional_embedding.normal_(0.0, vscale);
    model->visual->proj.normal_(0.0, vscale);
    model->text_projection.normal_(0.0, std::pow(double(c.textWidth), -0.5));
    model->useTransposedWeights();
    model->eval();
    return model;
}

} // namespace vop
