#pragma once
// The model facade for code that should not see torch (library, search, CLI, UI): a CLIP
// model plus its tokenizer on a device, encoding images and texts to plain float vectors.
// Thread-compatible: one encoder is used by one thread at a time.
#include "model/ClipConfig.h"
#include "model/Precision.h"
#include "util/Image.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace vop {

class ClipModelImpl;
class ClipTokenizer;

using Embeddings = std::vector<std::vector<float>>;

class ClipEncoder {
public:
    struct Options {
        std::string checkpoint;        // required unless synthetic
        std::string vocab;             // BPE file; default: resolved next to the checkpoint / model folders
        std::string device = "auto";   // auto | cpu | cuda | cuda:N
        bool halfOnCuda = true;        // fp16 compute on CUDA
        // CPU precision of the image and the text tower (Precision.h). Training always runs fp32.
        Precision imagePrecision = Precision::Fp32;
        Precision textPrecision = Precision::Fp32;
        int threads = 0;               // CPU threads for torch; 0 = all cores
        // On the CPU, load the text tower only and the image tower's weights with the first image
        // (ensureImageTower): a text query needs 40% of ViT-B/32's weights. Shapes are checked at once.
        bool lazyImageTower = false;
        std::function<bool(double)> progress; // loading progress; return false to cancel
    };

    explicit ClipEncoder(const Options& options);
    // A randomly initialised model of `config` (benchmarks). `vocab` may be empty: then only
    // token-id inputs and images can be encoded.
    static ClipEncoder synthetic(const ClipConfig& config, const std::string& device, const std::string& vocab = "",
                                 uint64_t seed = 0, bool halfOnCuda = true);
    ~ClipEncoder();
    ClipEncoder(ClipEncoder&&) noexcept;
    ClipEncoder& operator=(ClipEncoder&&) noexcept;

    const ClipConfig& config() const;
    std::string deviceName() const;
    std::string checkpointPath() const;
    std::string format() const; // checkpoint format ("torchscript", "safetensors", "safetensors-hf", "synthetic")
    bool hasTokenizer() const;
    const ClipTokenizer& tokenizer() const; // throws when there is none

    // Images of any size -> preprocessed (Pillow-compatible) -> [N][embedDim], unnormalised.
    Embeddings encodeImages(const std::vector<RgbImage>& images, int batchSize = 32);
    // Already preprocessed [N, 3, R, R] floats -> [N][embedDim].
    Embeddings encodePreprocessed(const std::vector<float>& chw, int count, int batchSize = 32);
    // Texts -> [N][embedDim], unnormalised. Texts longer than the context are truncated.
    Embeddings encodeTexts(const std::vector<std::string>& texts);
    // Token ids [N][context] (SOT..EOT, zero padded) -> [N][embedDim].
    Embeddings encodeTokenIds(const std::vector<std::vector<int>>& ids);

    // Loads the image tower's weights if Options::lazyImageTower left them out (the image
    // methods above call it; so must a caller that runs the image tower of model(false)).
    void ensureImageTower();
    bool imageTowerLoaded() const;

    // The torch model, for callers that build on it (prompts, trainer). Needs torch headers.
    // The image tower is loaded first unless `withImageTower` is false.
    ClipModelImpl& model(bool withImageTower = true);
    std::shared_ptr<ClipModelImpl> modelPtr(bool withImageTower = true);
    bool halfPrecision() const; // fp16 compute (CUDA only)

    // The precision each tower computes in on the CPU, Auto resolved (Fp32 or Int8, never Auto;
    // always Fp32 on CUDA).
    Precision imagePrecision() const;
    Precision textPrecision() const;
    // Switches the towers' CPU precision (image Auto: resolveImagePrecision; text Auto: int8 when
    // this CPU has a vector int8 kernel and a probe query passes the gate). The constructor
    // applies the Options' fields; synthetic encoders start in fp32. Throws InputError when image
    // Int8 is asked for and this LibTorch has no quantized engine. A lazily loaded image tower
    // gets its int8 packs when it loads.
    void setPrecision(Precision image, Precision text);
    // Only the text tower's (benchmarks, tests).
    void setTextPrecision(Precision p);

private:
    ClipEncoder();
    struct Impl;
    std::unique_ptr<Impl> d;
};

// What Auto means for the image tower on this machine: Int8 where the CPU has VNNI but no AMX
// and this LibTorch has oneDNN, else Fp32 (measured, docs/BENCHMARKS.md). Fp32/Int8 pass through.
Precision resolveImagePrecision(Precision p);

// L2-normalise every row in place (zero rows stay zero).
void normalizeRows(Embeddings& rows);
float cosine(const std::vector<float>& a, const std::vector<float>& b);

} // namespace vop
