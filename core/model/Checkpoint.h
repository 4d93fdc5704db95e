#pragma once
// Checkpoint readers. Three formats map onto one set of official CLIP parameter names:
//  (a) OpenAI's TorchScript archives (ViT-B-32.pt ...): read through torch::jit::load and the
//      archive's named parameters/buffers; its scripted methods are never run;
//  (b) safetensors in the official naming;
//  (c) safetensors in the Hugging Face naming of openai/clip-vit-base-patch32.
#include "model/ClipConfig.h"

#include <torch/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace vop {

using WeightMap = std::map<std::string, torch::Tensor>;

struct Checkpoint {
    std::string path;
    std::string format; // "torchscript", "safetensors", "safetensors-hf"
    // Official names, CPU tensors in the file's dtype. From a safetensors file they are views of
    // its read-only memory map (nothing is copied until a model takes them): never write into them.
    WeightMap weights;
    // Every tensor's shape (official names), also of those a filtered read left out.
    ShapeMap allShapes;
    // Scalars some archives carry that are not weights (input_resolution, context_length,
    // vocab_size); used only to cross-check the shapes.
    std::map<std::string, int64_t> extras;
    std::shared_ptr<const void> keepAlive; // the file mapping `weights` point into, if any

    ShapeMap shapes() const; // allShapes (the weights' shapes when it is empty)
};

// Which tensors a read takes, by official name (all when empty). A TorchScript archive is read
// whole either way; a safetensors file's other tensors are never touched.
using TensorFilter = std::function<bool(const std::string& name)>;

// Reads any of the formats above (detected from the content, not the file name). Throws
// InputError naming the file and what is wrong. `progress(fraction)` may return false to cancel.
Checkpoint readCheckpoint(const std::string& path, const std::function<bool(double)>& progress = {},
                          const TensorFilter& want = {});

// Hugging Face names -> official names (q/k/v concatenated, projections transposed).
// Throws InputError naming an unknown or missing tensor.
WeightMap fromHuggingFaceNames(const WeightMap& hf);
bool looksLikeHuggingFaceNames(const WeightMap& weights);

// Writes tensors (any float/int dtype, any device) as a safetensors file, atomically.
void writeSafeTensors(const std::string& path, const WeightMap& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Reads every tensor of a safetensors file (names as stored) plus its metadata.
WeightMap readSafeTensors(const std::string& path, std::map<std::string, std::string>* metadata = nullptr);

// Checks `extras` against `config` (a mismatch is an InputError).
void crossCheckExtras(const Checkpoint& ckpt, const ClipConfig& config);

} // namespace vop
