#pragma once
#include "util/Image.h"

#include <string>

namespace vop::cli {

// Decodes an image file through core/media; an InputError when this build has no media support
// or the file cannot be decoded.
RgbImage loadImageFile(const std::string& path);

} // namespace vop::cli
