#pragma once
// The VoP prompt machinery on a frozen CLIP (VOP_SPEC.md):
//  - VopPrompts owns the only trainable tensors of a variant (names as in trainableShapes()),
//  - VopModel runs the frozen towers with those prompts: text prompts after [SOT] in every
//    prompted layer, frame-level visual prompts after [CLS] (shared, position-specific or
//    context-generated), and for the F variants joint attention over all tokens of a clip in
//    the layers from K_s on, with video-level prompts and a frame position embedding.
// Prompts are inserted at the input of a layer and their outputs dropped after it ("deep,
// replace"); at layer 0 they are inserted after the positional embedding, before ln_pre.
#include "model/ClipModel.h"
#include "prompts/Variant.h"

#include <torch/nn/modules/rnn.h>
#include <torch/nn/modules/transformerlayer.h>

namespace vop {

class VopPromptsImpl : public torch::nn::Module {
public:
    VopPromptsImpl(const ClipConfig& config, const PromptOptions& options);

    const PromptOptions& options() const { return m_options; }
    const ClipConfig& config() const { return m_config; }
    int splitDepth() const { return m_split; }
    int frameLayers() const { return m_frameLayers; }

    // Frame-level prompts for layer i given the layer's input x [B*F, T, D] of B clips of F
    // frames: [B*F, p, D], or an undefined tensor when layer i has none.
    torch::Tensor framePrompts(int layer, const torch::Tensor& x, int64_t clips, int64_t frames);
    // Video-level prompts of joint layer i (i >= splitDepth): [p, D] or undefined.
    torch::Tensor videoPrompts(int layer) const;
    // Text prompts of layer i: [p, W] or undefined.
    torch::Tensor textPrompts(int layer) const;

    torch::Tensor framePosition; // [F, D] (F variants with joint layers)

    // The trainable tensors, name -> tensor (names as in trainableShapes()).
    std::map<std::string, torch::Tensor> tensors() const;
    // Copies tensors in; every name must be present with its exact shape (InputError otherwise).
    void load(const std::map<std::string, torch::Tensor>& tensors);

private:
    torch::Tensor generated(const torch::Tensor& cls); // [B, F, D] -> [B*F, videoLength, D]

    ClipConfig m_config;
    PromptOptions m_options;
    int m_split = 0;
    int m_frameLayers = 0;
    std::shared_ptr<torch::nn::Module> m_text, m_visual, m_context;
    torch::Tensor m_textPrompts, m_visualPrompts, m_shared, m_position, m_video;
    torch::nn::LSTM m_lstm{nullptr};
    torch::nn::TransformerEncoderLayer m_encoder{nullptr};
    torch::nn::Linear m_fc{nullptr};
};
TORCH_MODULE(VopPrompts);

class VopModel {
public:
    // `clip` is frozen here; `prompts` holds the trainable tensors (may be a `zero` set).
    VopModel(ClipModel clip, VopPrompts prompts);

    ClipModel& clip() { return m_clip; }
    VopPrompts& prompts() { return m_prompts; }
    const PromptOptions& options() const { return m_prompts->options(); }
    // Context length of the caption tokens: the model's context minus the text prompt length.
    int64_t captionLength() const;

    // frames [B, F, 3, R, R] -> per-frame embeddings [B, F, E] (unnormalised)
    torch::Tensor encodeFrames(const torch::Tensor& frames);
    // frames [B, F, 3, R, R] -> clip embeddings [B, E]: normalise frames, mean, normalise
    torch::Tensor encodeClips(const torch::Tensor& frames);
    // ids [B, T] (T <= captionLength(), SOT..EOT zero padded) -> [B, E] (unnormalised)
    torch::Tensor encodeText(const torch::Tensor& ids);

private:
    ClipModel m_clip;
    VopPrompts m_prompts;
};

// Clip embedding from per-frame embeddings [B, F, E] -> [B, E].
torch::Tensor poolFrames(const torch::Tensor& frameEmbeddings);

} // namespace vop
