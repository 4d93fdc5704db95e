#pragma once
// CLIP's test-time preprocessing, bit-compatible with torchvision on PIL images:
// Resize(shorter side -> R, bicubic) with Pillow's antialiased fixed-point resampler,
// CenterCrop(R) with offsets rounded as Python's round(), RGB / 255, normalise with CLIP's
// mean and std. No torch here: the output is a float CHW buffer.
#include "util/Image.h"

#include <vector>

namespace vop::preprocess {

constexpr float kMean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
constexpr float kStd[3] = {0.26862954f, 0.26130258f, 0.27577711f};

// Pillow's Image.resize((w, h), BICUBIC) for 8-bit RGB (a = -0.5, antialiased when shrinking,
// 22-bit fixed-point coefficients, horizontal pass then vertical, each rounded to 8 bits).
RgbImage resizeBicubic(const RgbImage& in, int outWidth, int outHeight);

// torchvision Resize(size): shorter side -> size, longer side int(size * long / short).
RgbImage resizeShorterSide(const RgbImage& in, int size);

// torchvision CenterCrop(size) for an image at least that large in both directions.
RgbImage centerCrop(const RgbImage& in, int size);

// Crop a box (x, y, w, h) that lies inside the image.
RgbImage crop(const RgbImage& in, int x, int y, int w, int h);

// Horizontal mirror.
RgbImage flipHorizontal(const RgbImage& in);

// (pixel / 255 - mean) / std into `chw` (3 * h * w floats, channel-major).
void normalizeInto(const RgbImage& in, float* chw);

// The whole test-time pipeline: [3 * R * R] floats.
std::vector<float> clipPreprocess(const RgbImage& in, int resolution);

} // namespace vop::preprocess
