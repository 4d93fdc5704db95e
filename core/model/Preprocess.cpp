#include "model/Preprocess.h"

#include "util/Error.h"

#include <algorithm>
#include <cfenv>
#include <cmath>

namespace vop::preprocess {

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2; // Pillow's PRECISION_BITS for 8 bits per channel

double bicubic(double x)
{
    constexpr double a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

struct Coeffs {
    int ksize = 0;
    std::vector<int> bounds; // per output pixel: first input index, count
    std::vector<int> kk;     // per output pixel: ksize fixed-point weights
};

// Pillow's precompute_coeffs + normalize_coeffs_8bpc, for the box [0, inSize).
Coeffs precompute(int inSize, int outSize)
{
    const double in0 = 0.0, in1 = double(inSize);
    const double scale = (in1 - in0) / outSize;
    const double filterscale = scale < 1.0 ? 1.0 : scale;
    const double support = 2.0 * filterscale; // bicubic support is 2
    Coeffs c;
    c.ksize = int(std::ceil(support)) * 2 + 1;
    c.bounds.resize(size_t(outSize) * 2);
    c.kk.assign(size_t(outSize) * c.ksize, 0);
    std::vector<double> k(c.ksize);
    for (int xx = 0; xx < outSize; ++xx) {
        const double center = in0 + (xx + 0.5) * scale;
        const double ss = 1.0 / filterscale;
        int xmin = int(center - support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = int(center + support + 0.5);
        if (xmax > inSize) xmax = inSize;
        xmax -= xmin;
        double ww = 0.0;
        int x = 0;
        for (; x < xmax; ++x) {
            const double w = bicubic((x + xmin - center + 0.5) * ss);
            k[x] = w;
            ww += w;
        }
        for (x = 0; x < xmax; ++x)
            if (ww != 0.0) k[x] /= ww;
        for (; x < c.ksize; ++x) k[x] = 0;
        c.bounds[xx * 2] = xmin;
        c.bounds[xx * 2 + 1] = xmax;
        for (x = 0; x < c.ksize; ++x) {
            const double v = k[x] * (1 << kPrecisionBits);
            c.kk[size_t(xx) * c.ksize + x] = k[x] < 0 ? int(-0.5 + v) : int(0.5 + v);
        }
    }
    return c;
}

inline uint8_t clip8(int v)
{
    v >>= kPrecisionBits;
    return uint8_t(v < 0 ? 0 : v > 255 ? 255 : v);
}

RgbImage resampleHorizontal(const RgbImage& in, int outW)
{
    const Coeffs c = precompute(in.width, outW);
    RgbImage out{outW, in.height, std::vector<uint8_t>(size_t(outW) * in.height * 3)};
    for (int y = 0; y < in.height; ++y) {
        const uint8_t* src = in.row(y);
        uint8_t* dst = out.row(y);
        for (int xx = 0; xx < outW; ++xx) {
            const int xmin = c.bounds[xx * 2], xmax = c.bounds[xx * 2 + 1];
            const int* k = &c.kk[size_t(xx) * c.ksize];
            int s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
            for (int x = 0; x < xmax; ++x) {
                const uint8_t* p = src + (x + xmin) * 3;
                s0 += p[0] * k[x];
                s1 += p[1] * k[x];
                s2 += p[2] * k[x];
            }
            dst[xx * 3] = clip8(s0);
            dst[xx * 3 + 1] = clip8(s1);
            dst[xx * 3 + 2] = clip8(s2);
        }
    }
    return out;
}

RgbImage resampleVertical(const RgbImage& in, int outH)
{
    const Coeffs c = precompute(in.height, outH);
    RgbImage out{in.width, outH, std::vector<uint8_t>(size_t(in.width) * outH * 3)};
    const int rowLen = in.width * 3;
    std::vector<int> acc(rowLen);
    for (int yy = 0; yy < outH; ++yy) {
        const int ymin = c.bounds[yy * 2], ymax = c.bounds[yy * 2 + 1];
        const int* k = &c.kk[size_t(yy) * c.ksize];
        std::fill(acc.begin(), acc.end(), 1 << (kPrecisionBits - 1));
        for (int y = 0; y < ymax; ++y) {
            const uint8_t* src = in.row(y + ymin);
            const int w = k[y];
            for (int i = 0; i < rowLen; ++i) acc[i] += src[i] * w;
        }
        uint8_t* dst = out.row(yy);
        for (int i = 0; i < rowLen; ++i) dst[i] = clip8(acc[i]);
    }
    return out;
}

void checkImage(const RgbImage& in)
{
    if (in.empty() || in.pixels.size() != size_t(in.width) * in.height * 3)
        throw InputError("image is empty or its pixel buffer does not match " + std::to_string(in.width) + "x" +
                         std::to_string(in.height));
}

} // namespace

RgbImage resizeBicubic(const RgbImage& in, int outW, int outH)
{
    checkImage(in);
    if (outW <= 0 || outH <= 0)
        throw InputError("cannot resize to " + std::to_string(outW) + "x" + std::to_string(outH));
    if (outW == in.width && outH == in.height)
        return in; // Pillow returns a copy when the size does not change
    // Pillow: horizontal pass first (when the width changes), then vertical.
    if (outW != in.width && outH != in.height)
        return resampleVertical(resampleHorizontal(in, outW), outH);
    if (outW != in.width)
        return resampleHorizontal(in, outW);
    return resampleVertical(in, outH);
}

RgbImage resizeShorterSide(const RgbImage& in, int size)
{
    checkImage(in);
    const int w = in.width, h = in.height;
    const int shortSide = std::min(w, h), longSide = std::max(w, h);
    const int newLong = int(double(size) * longSide / shortSide); // int() truncates, as in torchvision
    const int nw = w <= h ? size : newLong;
    const int nh = w <= h ? newLong : size;
    return resizeBicubic(in, nw, nh);
}

RgbImage crop(const RgbImage& in, int x, int y, int w, int h)
{
    checkImage(in);
    if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > in.width || y + h > in.height)
        throw InputError("crop box outside the image");
    RgbImage out{w, h, std::vector<uint8_t>(size_t(w) * h * 3)};
    for (int r = 0; r < h; ++r)
        std::copy_n(in.row(y + r) + size_t(x) * 3, size_t(w) * 3, out.row(r));
    return out;
}

RgbImage centerCrop(const RgbImage& in, int size)
{
    checkImage(in);
    if (in.width < size || in.height < size)
        throw InputError("image " + std::to_string(in.width) + "x" + std::to_string(in.height) +
                         " is smaller than the crop " + std::to_string(size));
    // Python's round() rounds halves to even; nearbyint does the same in the default mode.
    const int top = int(std::nearbyint((in.height - size) / 2.0));
    const int left = int(std::nearbyint((in.width - size) / 2.0));
    return crop(in, left, top, size, size);
}

RgbImage flipHorizontal(const RgbImage& in)
{
    checkImage(in);
    RgbImage out = in;
    for (int y = 0; y < in.height; ++y) {
        const uint8_t* s = in.row(y);
        uint8_t* d = out.row(y);
        for (int x = 0; x < in.width; ++x)
            std::copy_n(s + size_t(x) * 3, 3, d + size_t(in.width - 1 - x) * 3);
    }
    return out;
}

void normalizeInto(const RgbImage& in, float* chw)
{
    checkImage(in);
    const size_t plane = size_t(in.width) * in.height;
    for (size_t i = 0; i < plane; ++i)
        for (int c = 0; c < 3; ++c)
            chw[c * plane + i] = (float(in.pixels[i * 3 + c]) / 255.0f - kMean[c]) / kStd[c];
}

std::vector<float> clipPreprocess(const RgbImage& in, int resolution)
{
    const RgbImage img = centerCrop(resizeShorterSide(in, resolution), resolution);
    std::vector<float> out(size_t(3) * resolution * resolution);
    normalizeInto(img, out.data());
    return out;
}

} // namespace vop::preprocess
