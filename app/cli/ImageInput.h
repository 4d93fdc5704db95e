#pragma once
#include "util/Image.h"

#include <string>
#include <vector>

namespace vop::cli {

// Decodes an image file through core/media; an InputError when this build has no media support
// or the file cannot be decoded.
RgbImage loadImageFile(const std::string& path);

// `frames` frames sampled uniformly over the whole video (middle of F equal parts, accurate seek).
std::vector<RgbImage> loadVideoClip(const std::string& path, int frames);

} // namespace vop::cli
