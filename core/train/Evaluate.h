#pragma once
// Retrieval evaluation of a prompt set (or of zero-shot CLIP) on a dataset whose frames are in
// the frame cache: every distinct caption (by CLIP's text cleaning) is a t2v query over the
// videos; every video a v2t query over the distinct captions. No torch in this header.
#include "model/ClipEncoder.h"
#include "train/Dataset.h"
#include "train/FrameCache.h"
#include "train/Metrics.h"

#include <atomic>
#include <functional>
#include <string>

namespace vop {

struct EvalOptions {
    std::string promptsPath;    // "" = zero-shot CLIP
    std::string backboneSha256; // checked against the prompt set's when both are known
    int batch = 16;             // clips per forward pass
    const std::atomic<bool>* cancel = nullptr;
    std::function<void(size_t, size_t)> progress; // (clips encoded, clips)
};

// The frames per clip a prompt set was made for (its metadata).
int promptSetFrames(const std::string& promptsPath);

// The cache's F must equal the prompt set's frames (any F for zero-shot). Throws InputError when
// the data has fewer than two videos or does not fit the prompt set.
RetrievalMetrics evaluatePrompts(ClipEncoder& clip, const Dataset& data, const FrameCache& cache,
                                 const EvalOptions& options);

// The distinct captions of a dataset and the videos each describes (captions compared after
// CLIP's text cleaning: case, whitespace, HTML entities).
struct CaptionIndex {
    std::vector<std::string> texts;
    std::vector<std::vector<size_t>> textVideos;
};
CaptionIndex indexCaptions(const Dataset& data);

} // namespace vop
