#pragma once
// The VoP prompt variants and their hyper-parameters (VOP_SPEC.md). No torch here, so the CLI,
// the store and the UI can name variants and count parameters without the model.
#include "model/ClipConfig.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vop {

enum class Variant {
    Zero,  // zero-shot CLIP, no prompts
    Vop,   // text + visual prompts in every layer
    VopP,  // visual: shared + frame-position-specific prompts
    VopC,  // visual: shared + prompts generated from the frames' [CLS] context (BiLSTM)
    VopF,  // frame-level prompts in layers < K_s, joint attention over the clip with video-level prompts after
    VopFP, // VoP^F with position-specific prompts (as VoP^P) in the frame-level layers
    VopFC, // VoP^F with context-generated prompts (as VoP^C) in the frame-level layers
};

enum class ContextModule { BiLstm, Lstm, Transformer };

std::string variantName(Variant v);             // "zero", "vop", "vop-p", "vop-c", "vop-f", "vop-fp", "vop-fc"
std::string variantDisplayName(Variant v);      // "VoP^{F+C}" style
Variant parseVariant(const std::string& name);  // throws InputError listing the names
std::vector<Variant> allVariants();
std::string contextModuleName(ContextModule m); // "bilstm", "lstm", "transformer"
ContextModule parseContextModule(const std::string& name);

bool usesPositionPrompts(Variant v);  // P, F+P
bool usesContextPrompts(Variant v);   // C, F+C
bool usesFunctionSplit(Variant v);    // F, F+P, F+C

struct PromptOptions {
    Variant variant = Variant::Vop;
    int textLength = 8;    // text prompt tokens per layer
    int visualLength = 8;  // frame-level visual prompt tokens per layer (VoP, VoP^F) and video-level (VoP^F)
    int videoLength = 4;   // VoP^P / VoP^C: shared tokens = specific tokens = videoLength
    int frames = 12;       // F
    int depth = -1;        // prompts in layers 1..depth of each tower; -1 = every layer
    int splitDepth = -1;   // K_s: frame-level layers before the joint ones; -1 = round(2L/3) (8 of 12)
    ContextModule context = ContextModule::BiLstm;
    double initStd = 0.02;

    // Depth and split depth resolved for a backbone (clamped to its layer counts).
    int visualDepth(const ClipConfig& c) const;
    int textDepth(const ClipConfig& c) const;
    int resolvedSplitDepth(const ClipConfig& c) const;

    std::map<std::string, std::string> toMetadata() const;
    static PromptOptions fromMetadata(const std::map<std::string, std::string>& meta); // throws InputError
    std::string describe() const; // one line, for `prompts info`
};

// Trainable tensors of a variant on a backbone, name -> shape (the prompt set's content).
// On ViT-B/32 (L = 12, D = 768, text width W = 512, F = 12, K_s = 8) with the defaults:
//   vop     text [12,8,512] + visual [12,8,768]                                     =    122,880
//   vop-p   text + shared [12,4,768] + position [12,12,4,768]                       =    528,384
//   vop-c   text + shared [12,4,768] + BiLSTM 2 x (2 x [3072,768] + 2 x [3072])
//           + FC [3072,1536] + [3072]                                                = 14,257,152
//   vop-f   text + frame-level [8,8,768] + video-level [4,8,768]                    =    122,880
//           + frame position [12,768]                                                 +    9,216
//   vop-fp  text + shared [8,4,768] + position [8,12,4,768] + video-level [4,8,768] =    393,216 + 9,216
//   vop-fc  text [12,8,512] 49,152 + shared [8,4,768] 24,576 + BiLSTM 9,449,472
//           + FC 4,721,664 + video-level [4,8,768] 24,576                            = 14,269,440 + 9,216
// The paper quotes 14.1M for VoP^{F+C}, less than VoP^C's 14.3M; with the generator shared by
// all frame-level layers as in VoP^C, the generator alone is 14.17M, so the frame-level prompt
// layers (8 instead of 12) only save 12,288 + the video-level prompts add 24,576. The paper's
// exact F+C configuration is not published; this is the derivation we implement.
std::map<std::string, Shape> trainableShapes(const ClipConfig& config, const PromptOptions& options);

struct ParameterCount {
    int64_t prompts = 0;        // prompt tokens (and VoP^C's generator network)
    int64_t framePosition = 0;  // VoP^F's frame position embedding
    int64_t total() const { return prompts + framePosition; }
};
ParameterCount countParameters(const ClipConfig& config, const PromptOptions& options);

// True for a prompt-set tensor that changes the video side (`visual.*`, `context.*`).
bool isVisualPromptTensor(const std::string& name);
// True when `options` on `config` give no visual prompt tensor (trainableShapes), i.e. a set
// made with them is text-only: it encodes videos exactly as zero-shot CLIP. Variant::Zero is not
// a prompt set: false.
bool isTextOnly(const ClipConfig& config, const PromptOptions& options);

} // namespace vop
