#pragma once
// Still images through FFmpeg: PNG, JPEG, BMP, TIFF, WebP, GIF (first frame), ... in, JPEG out.
#include <cstddef> // before util/Image.h, which uses size_t without including it
#include <string>

#include "util/Image.h"

namespace vop::media {

// Decodes an image file to 8-bit RGB: RGB PNGs come out byte for byte; RGBA drops alpha,
// gray and palette images expand to RGB, JPEG converts from YCbCr. EXIF orientation is not
// applied (as in Pillow's Image.open, which CLIP's reference preprocessing uses).
// `maxShortSide` > 0 downscales (area averaging) so the shorter side is at most that.
// Throws vop::InputError ("cannot read image: ...", "not an image: ...").
RgbImage decodeImageFile(const std::string& path, int maxShortSide = 0);

// The same, from the bytes of an image file held in memory.
RgbImage decodeImage(const std::string& bytes, int maxShortSide = 0);

// Encodes as baseline JPEG (FFmpeg's mjpeg encoder, full-range 4:2:0), first shrinking so the
// longer side is at most `maxSide` (0: keep the size). `quality` 1..100 as in libjpeg-like
// tools (maps onto mjpeg's quantiser scale 31..2). Returns the file's bytes.
std::string encodeJpeg(const RgbImage& image, int maxSide = 320, int quality = 85);

} // namespace vop::media
