#include "media/Thumbnail.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>

namespace vop::media {

namespace {

constexpr double kBlackMean = 16;  // below: black, whatever the noise
constexpr double kFlatStddev = 6;  // below: one flat colour

bool blank(const LumaStats& s)
{
    return s.mean < kBlackMean || s.stddev < kFlatStddev;
}

size_t pick(size_t n, const std::function<const RgbImage&(size_t)>& at)
{
    if (n == 0)
        throw std::invalid_argument("pickThumbnail: no frames");
    std::vector<LumaStats> stats(n);
    for (size_t i = 0; i < n; ++i)
        stats[i] = lumaStats(at(i));
    const double middle = (double(n) - 1) / 2;
    size_t best = n;
    for (size_t i = 0; i < n; ++i) {
        if (!blank(stats[i]) && (best == n || std::fabs(i - middle) < std::fabs(best - middle)))
            best = i;
    }
    if (best != n)
        return best;
    best = 0;
    for (size_t i = 1; i < n; ++i) {
        const double ds = stats[i].stddev - stats[best].stddev;
        if (ds > 1e-9 || (std::fabs(ds) <= 1e-9 && stats[i].mean > stats[best].mean))
            best = i;
    }
    return best;
}

} // namespace

LumaStats lumaStats(const RgbImage& image)
{
    LumaStats s;
    if (image.empty())
        return s;
    const int stepX = std::max(1, image.width / 64), stepY = std::max(1, image.height / 64);
    double sum = 0, sum2 = 0;
    long n = 0;
    for (int y = stepY / 2; y < image.height; y += stepY) {
        const uint8_t* row = image.row(y);
        for (int x = stepX / 2; x < image.width; x += stepX) {
            const uint8_t* p = row + size_t(x) * 3;
            const double l = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
            sum += l;
            sum2 += l * l;
            ++n;
        }
    }
    s.mean = sum / n;
    s.stddev = std::sqrt(std::max(0.0, sum2 / n - s.mean * s.mean));
    return s;
}

bool isBlankFrame(const RgbImage& image)
{
    return blank(lumaStats(image));
}

size_t pickThumbnail(const std::vector<RgbImage>& frames)
{
    return pick(frames.size(), [&](size_t i) -> const RgbImage& { return frames[i]; });
}

size_t pickThumbnail(const std::vector<VideoFrame>& frames)
{
    return pick(frames.size(), [&](size_t i) -> const RgbImage& { return frames[i].image; });
}

} // namespace vop::media
