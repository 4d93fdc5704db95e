#pragma once
// Helpers for the training tests: a temporary folder removed at exit, small files, and the
// moving-square videos of the end-to-end tests, made with the ffmpeg CLI from raw RGB frames.
#include "TestFiles.h"
#include "TestMain.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace vop::test::train {

namespace fs = std::filesystem;

inline const std::string& tempDir() { return vop::test::runTempDir(); }

using vop::test::freshDir; // a fresh folder under the temp folder

inline void writeText(const std::string& path, const std::string& text)
{
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

struct Rgb {
    uint8_t r, g, b;
};

// A square of `colour` on black stepping through `steps` positions evenly spaced from (x0, y0) to
// (x1, y1), each held for `hold` frames, 64 x 64 at `fps`, encoded by ffmpeg (MPEG-4 part 2,
// high quality). With steps = F * S the frame cache's k-th sample falls in the middle of the
// k-th hold, so a clip and its reverse give the cache the same frames in opposite order.
inline void writeMovingSquare(const std::string& path, Rgb colour, double x0, double y0, double x1, double y1,
                              int steps = 12, int hold = 4, int fps = 16, int size = 64, int side = 16)
{
    fs::create_directories(fs::path(path).parent_path());
    const std::string cmd = "ffmpeg -nostdin -hide_banner -v error -y -f rawvideo -pix_fmt rgb24 -s " +
                            std::to_string(size) + "x" + std::to_string(size) + " -r " + std::to_string(fps) +
                            " -i - -c:v ffv1 -pix_fmt bgr0 '" + path + "'";
    FILE* pipe = ::popen(cmd.c_str(), "w");
    if (!pipe)
        fail(__FILE__, __LINE__, "cannot start ffmpeg: " + cmd, true);
    std::vector<uint8_t> img(size_t(size) * size_t(size) * 3);
    for (int k = 0; k < steps; ++k) {
        const double t = steps > 1 ? double(k) / (steps - 1) : 0.0;
        const int x = int(x0 + (x1 - x0) * t + 0.5), y = int(y0 + (y1 - y0) * t + 0.5);
        std::fill(img.begin(), img.end(), uint8_t(0));
        for (int yy = y; yy < y + side; ++yy)
            for (int xx = x; xx < x + side; ++xx) {
                if (xx < 0 || yy < 0 || xx >= size || yy >= size) continue;
                uint8_t* p = img.data() + (size_t(yy) * size_t(size) + size_t(xx)) * 3;
                p[0] = colour.r;
                p[1] = colour.g;
                p[2] = colour.b;
            }
        for (int h = 0; h < hold; ++h) std::fwrite(img.data(), 1, img.size(), pipe);
    }
    if (::pclose(pipe) != 0)
        fail(__FILE__, __LINE__, "ffmpeg failed (is the ffmpeg CLI installed?): " + cmd, true);
}

} // namespace vop::test::train
