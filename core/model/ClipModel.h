#pragma once
// CLIP (ViT image tower + causal text transformer) in LibTorch, with the reference semantics of
// openai/CLIP: pre-LN residual blocks, QuickGELU, LayerNorm in fp32, [CLS] token, positional
// embeddings, ln_pre / ln_post / proj, causal text mask, feature at the [EOT] position.
// Parameter names equal the official checkpoint's (named_parameters() of ClipModel gives
// "visual.transformer.resblocks.0.attn.in_proj_weight", ...).
//
// Extension points for the VoP prompts (core/prompts): the towers expose their stages —
// embedding, ln_pre, each residual block and the head — so a caller can insert and drop extra
// tokens at the input of any layer, run a group of layers over another token layout (several
// frames jointly), and encode text from token embeddings.
#include "model/Checkpoint.h"
#include "model/ClipConfig.h"
#include "model/Int8Linear.h"
#include "model/Int8Stream.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace vop {

// nn.Linear's parameters (weight [out, in], bias [out]) without its random initialisation: a
// checkpoint overwrites them, and drawing ~120M random numbers for ViT-B/32 cost a model load
// ~0.3 s. Uninitialised until loaded (randomClipModel initialises them).
class ProjectionImpl : public torch::nn::Module {
public:
    ProjectionImpl(int64_t in, int64_t out);
    torch::Tensor weight, bias;
};
TORCH_MODULE(Projection);

// nn.Embedding's table ("weight" [vocab, width]), uninitialised likewise.
class TokenEmbeddingImpl : public torch::nn::Module {
public:
    TokenEmbeddingImpl(int64_t vocab, int64_t width);
    torch::Tensor forward(const torch::Tensor& ids); // [..] -> [.., width]
    torch::Tensor weight;
};
TORCH_MODULE(TokenEmbedding);

// The parts of a model a load covers: the image tower is every "visual.*" tensor; the text part
// is the rest (text tower, logit_scale).
enum class ClipPart { All, Text, Image };
bool inClipPart(const std::string& name, ClipPart part);

// nn.MultiheadAttention's parameters (in_proj_weight/bias, out_proj) with batch-first inputs.
class AttentionImpl : public torch::nn::Module {
public:
    AttentionImpl(int64_t width, int64_t heads);
    // x: [B, N, D]; mask: additive [N, N] or undefined -> [B, N, D]
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask = {});

    // on: packs the projections in int8 (Int8Linear); forward then uses them whenever no
    // gradient is recorded. The fp32 weights stay (training uses them). off: drops the packs.
    void setInt8(bool on);

    torch::Tensor in_proj_weight, in_proj_bias;
    Projection out_proj{nullptr};
    int64_t heads;
    Int8Linear in_proj_dyn8, out_proj_dyn8;  // image tower: oneDNN packs (setInt8)
    Int8Weight in_proj_int8, out_proj_int8; // text tower: streamed int8 (quantizeInt8; not parameters, see Int8Stream.h)
    void quantizeInt8(bool on);
};
TORCH_MODULE(Attention);

class MlpImpl : public torch::nn::Module {
public:
    MlpImpl(int64_t width, int64_t hidden);
    torch::Tensor forward(const torch::Tensor& x); // c_proj(QuickGELU(c_fc(x)))
    void setInt8(bool on); // as AttentionImpl::setInt8
    Projection c_fc{nullptr}, c_proj{nullptr};
    Int8Linear c_fc_dyn8, c_proj_dyn8; // as in AttentionImpl
    Int8Weight c_fc_int8, c_proj_int8;
    void quantizeInt8(bool on);
};
TORCH_MODULE(Mlp);

// x + attn(ln_1(x)); x + mlp(ln_2(x))
class ResidualBlockImpl : public torch::nn::Module {
public:
    ResidualBlockImpl(int64_t width, int64_t heads, int64_t mlpWidth);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask = {}); // [B, N, D]

    Attention attn{nullptr};
    torch::nn::LayerNorm ln_1{nullptr}, ln_2{nullptr};
    Mlp mlp{nullptr};
};
TORCH_MODULE(ResidualBlock);

class TransformerImpl : public torch::nn::Module {
public:
    TransformerImpl(int64_t width, int64_t layers, int64_t heads, int64_t mlpWidth);
    int64_t layers() const { return int64_t(blocks.size()); }
    ResidualBlock block(int64_t i) const { return blocks[size_t(i)]; }
    torch::Tensor forward(torch::Tensor x, const torch::Tensor& mask = {});
    // Every block's four projections in int8 for inference, or back to fp32 (Int8Linear.h).
    void setInt8(bool on);

    torch::nn::ModuleList resblocks;
    std::vector<ResidualBlock> blocks;
};
TORCH_MODULE(Transformer);

class VisionTowerImpl : public torch::nn::Module {
public:
    explicit VisionTowerImpl(const ClipConfig& c);

    // images [B, 3, R, R] (normalised) -> tokens [B, 1+G*G, D]: [CLS] + patches, positional
    // embedding added, before ln_pre.
    torch::Tensor embed(const torch::Tensor& images);
    torch::Tensor lnPre(const torch::Tensor& x) { return ln_pre(x); }
    // cls [.., D] -> ln_post -> proj -> [.., E]
    torch::Tensor head(const torch::Tensor& cls);
    // Plain CLIP: images [B, 3, R, R] -> [B, E] (unnormalised)
    torch::Tensor forward(const torch::Tensor& images);

    torch::nn::Conv2d conv1{nullptr};
    torch::Tensor class_embedding, positional_embedding, proj;
    torch::nn::LayerNorm ln_pre{nullptr}, ln_post{nullptr};
    Transformer transformer{nullptr};
};
TORCH_MODULE(VisionTower);

class ClipModelImpl : public torch::nn::Module {
public:
    explicit ClipModelImpl(const ClipConfig& config);

    const ClipConfig& config() const { return m_config; }

    // ---- image tower
    torch::Tensor encodeImage(const torch::Tensor& images); // [B,3,R,R] -> [B,E]
    void requireImageTower() const; // throws when the image tower's weights are not loaded

    // ---- text tower
    // ids [B, T] (T <= context) -> [B, T, W]: token embedding + positional embedding[:T]
    torch::Tensor embedTokens(const torch::Tensor& ids);
    // Additive causal mask [N, N] (-inf above the diagonal) on the given device/dtype.
    static torch::Tensor causalMask(int64_t n, const torch::TensorOptions& opts);
    // x [B, N, W] -> ln_final -> row eotIndex[b] -> text_projection -> [B, E]
    torch::Tensor textHead(const torch::Tensor& x, const torch::Tensor& eotIndex);
    // Plain CLIP: ids [B, T] -> [B, E] (unnormalised). Positions after the last [EOT] never
    // influence it (causal mask), so the sequence is cut after the longest [EOT] first.
    torch::Tensor encodeText(const torch::Tensor& ids);

    // Copies `weights` (official names, any float dtype) into the parameters. Every parameter
    // must be present with its exact shape; unknown tensors are refused. The messages name the
    // tensor and both shapes.
    void loadWeights(const WeightMap& weights);
    // The same checks against a checkpoint's shapes (all its tensors), then copies the tensors of
    // `part` only (`weights` may hold just those). A model loaded with ClipPart::Text has an image
    // tower without weights until loadWeights(.., Image): imageTowerLoaded() says which, and
    // encodeImage refuses to run before.
    void loadWeights(const WeightMap& weights, const ShapeMap& allShapes, ClipPart part);
    bool imageTowerLoaded() const { return m_imageLoaded; }
    // Freeze all backbone parameters (VoP trains prompts only).
    void freeze();
    // Stores every projection weight [out, in] column-major (a transposed view of a contiguous
    // [in, out] tensor). Shapes and names are unchanged; torch::linear then hands OpenBLAS the
    // layout it multiplies fastest (measured here: 1.6x for [1600,768]x[768,3072], 3x for 77 rows).
    // loadWeights() and randomClipModel() apply it.
    void useTransposedWeights(ClipPart part = ClipPart::All);
    // Int8 copies of the text tower's block weights (in_proj, out_proj, c_fc, c_proj: nearly all
    // the bytes a query reads), used by inference on the CPU (Int8Stream.h); false drops them. The fp32 weights stay
    // for training, other devices and what compares against them. Returns the largest relative
    // quantisation error of a matrix (||W - Wq||_F / ||W||_F), 0 when off.
    double quantizeTextInt8(bool on);
    bool textInt8() const;

    VisionTower visual{nullptr};
    TokenEmbedding token_embedding{nullptr};
    torch::Tensor positional_embedding, text_projection, logit_scale;
    Transformer transformer{nullptr};
    torch::nn::LayerNorm ln_final{nullptr};

private:
    void checkShapes(const ShapeMap& shapes);
    void relayoutProjections(ClipPart part, bool keepValues);
    ClipConfig m_config;
    bool m_imageLoaded = true;
};
TORCH_MODULE(ClipModel);

// Builds a model from a checkpoint file (config read off its weights), in fp32 on CPU.
ClipModel loadClipModel(const std::string& checkpointPath, const std::function<bool(double)>& progress = {});

// A randomly initialised model of the given shape (CLIP's init: normal std 0.02 / width^-0.5),
// seeded: for benchmarks and tests that need no weights file.
ClipModel randomClipModel(const ClipConfig& config, uint64_t seed = 0);

} // namespace vop
