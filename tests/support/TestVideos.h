#pragma once
// Short test videos made with the ffmpeg CLI (packaging/install-deps.sh installs it).
#include "TestFiles.h"
#include "TestMain.h"

#include <cstdlib>
#include <string>

namespace vop::test {

// Runs `ffmpeg -nostdin -v error -y ARGS`; a failure stops the test with the command line.
inline void ffmpeg(const std::string& args)
{
    const std::string cmd = "ffmpeg -nostdin -hide_banner -v error -y " + args;
    if (std::system(cmd.c_str()) != 0)
        fail(__FILE__, __LINE__, "ffmpeg failed (is the ffmpeg CLI installed?): " + cmd, true);
}

// A short test video: `seconds` long, `size` pixels, `fps` frames/s, h264 in whatever container
// the name says; `variant` changes the picture (pattern and hue), so videos differ. `path` is
// given to ffmpeg as a file: URL, so any name works ("10:30.mp4" is not a protocol).
inline void makeVideo(const std::string& path, double seconds, int variant = 0, const std::string& size = "64x36",
                      int fps = 5)
{
    static const char* sources[] = {"testsrc2", "smptebars", "rgbtestsrc", "mandelbrot", "testsrc"};
    const std::string src = std::string(sources[variant % 5]) + "=size=" + size + ":rate=" + std::to_string(fps);
    const std::string vf = "hue=h=" + std::to_string((variant * 47) % 360);
    ffmpeg("-f lavfi -i " + src + " -t " + std::to_string(seconds) + " -vf " + vf +
           " -c:v libx264 -preset ultrafast -pix_fmt yuv420p -threads 1 " + shellQuote("file:" + path));
}

} // namespace vop::test
