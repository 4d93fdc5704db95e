#pragma once
// The facade the library, search, CLI and UI use: CLIP + a prompt set (or none: zero-shot) on a
// device, encoding clips (F frames each) and texts to L2-normalised vectors. No torch here.
#include "model/ClipEncoder.h"
#include "prompts/Variant.h"

#include <memory>
#include <string>
#include <vector>

namespace vop {

struct BackboneIdentity;
class VopModel;

class VopEncoder {
public:
    // `promptsPath` empty: zero-shot CLIP with `zeroFrames` frames per clip.
    VopEncoder(ClipEncoder clip, const std::string& promptsPath = "", int zeroFrames = 12);
    ~VopEncoder();
    VopEncoder(VopEncoder&&) noexcept;
    VopEncoder& operator=(VopEncoder&&) noexcept;

    const ClipConfig& config() const;
    const PromptOptions& promptOptions() const;
    std::string promptsPath() const;
    int framesPerClip() const;
    ClipEncoder& clip();

    // sha256 of the checkpoint (computed once, on first use) and the shape summary.
    BackboneIdentity backbone();

    // clips[i] = the frames of clip i (any size; preprocessed here) -> [N][E], L2-normalised.
    // Every clip must have framesPerClip() frames for the position-specific variants.
    Embeddings encodeClips(const std::vector<std::vector<RgbImage>>& clips, int clipsPerBatch = 4);
    // Texts -> [N][E], L2-normalised unless `normalize` is false (captions cut to the room beside
    // the text prompts).
    Embeddings encodeTexts(const std::vector<std::string>& texts, bool normalize = true);

    VopModel& vopModel(); // needs torch headers

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace vop
