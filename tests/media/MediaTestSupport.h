#pragma once
// Helpers for the media tests: a temporary folder that is removed at exit, short videos made
// with the ffmpeg CLI on first use, and pixel helpers.
#include "TestFiles.h"
#include "TestMain.h"

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "util/Image.h"

namespace vop::test::media {

namespace fs = std::filesystem;

inline std::string mediaDir()
{
    return sharedDir() + "/media";
}

inline const std::string& tempDir() { return vop::test::runTempDir(); }

using vop::test::shellQuote;

// Runs `ffmpeg -nostdin -v error -y ARGS`; a failure stops the test with the command line.
inline void ffmpeg(const std::string& args)
{
    const std::string cmd = "ffmpeg -nostdin -hide_banner -v error -y " + args;
    const int rc = std::system(cmd.c_str());
    if (rc != 0)
        fail(__FILE__, __LINE__, "ffmpeg failed (is the ffmpeg CLI installed?): " + cmd, true);
}

inline std::map<std::string, std::string>& generatedFiles()
{
    static std::map<std::string, std::string> made;
    return made;
}

// A file in the temp folder made once by `make(path)` and reused by later tests.
template <typename Make>
std::string generated(const std::string& name, Make make)
{
    auto& made = generatedFiles();
    auto it = made.find(name);
    if (it != made.end())
        return it->second;
    const std::string path = tempDir() + "/" + name;
    make(path);
    made[name] = path;
    return path;
}

using vop::test::readBytes;
using vop::test::writeBytes;

struct Rgb {
    double r = 0, g = 0, b = 0;
};

// Mean colour of a rectangle (whole image by default).
inline Rgb meanColour(const RgbImage& img, int x0 = 0, int y0 = 0, int w = -1, int h = -1)
{
    if (w < 0)
        w = img.width - x0;
    if (h < 0)
        h = img.height - y0;
    Rgb m;
    long n = 0;
    for (int y = y0; y < y0 + h; ++y)
        for (int x = x0; x < x0 + w; ++x) {
            const uint8_t* p = img.row(y) + size_t(x) * 3;
            m.r += p[0];
            m.g += p[1];
            m.b += p[2];
            ++n;
        }
    if (n > 0) {
        m.r /= n;
        m.g /= n;
        m.b /= n;
    }
    return m;
}

// Colour-coded clocks: second s of a generated video is filled with (16 + 32*(s%8),
// 16 + 32*((s/8)%8), 16 + 32*(s/64)), so a decoded frame tells which second it came from.
// `extra` appends filters (e.g. noise, to make the file bigger).
inline std::string secondClockFilter(int seconds, int fps, const std::string& extra = "", const char* size = "64x36")
{
    return std::string("-f lavfi -i \"color=c=black:s=") + size + ":r=" + std::to_string(fps) +
           ":d=" + std::to_string(seconds) +
           ",format=gbrp,geq=r='16+32*mod(floor(T+0.0001),8)':g='16+32*mod(floor((T+0.0001)/8),8)'" +
           ":b='16+32*floor((T+0.0001)/64)'" + extra + "\"";
}

inline int secondFromColour(const RgbImage& img)
{
    const Rgb c = meanColour(img);
    const int lo = int(std::lround((c.r - 16) / 32.0));
    const int mid = int(std::lround((c.g - 16) / 32.0));
    const int hi = int(std::lround((c.b - 16) / 32.0));
    return lo + 8 * mid + 64 * hi;
}

} // namespace vop::test::media
