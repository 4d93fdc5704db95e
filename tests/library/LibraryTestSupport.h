#pragma once
// Helpers for the library tests: a temporary folder removed at exit, short videos made with the
// ffmpeg CLI, file helpers, and the tiny CLIP fixture (64 px) as a zero-shot encoder.
#include "TestFiles.h"
#include "TestMain.h"
#include "TestVideos.h"

#include "model/ClipEncoder.h"
#include "prompts/VopEncoder.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vop::test::library {

namespace fs = std::filesystem;

inline std::string shared(const std::string& rel)
{
    return sharedDir() + "/" + rel;
}

inline std::string tinyCheckpoint() { return shared("fixtures/clip-tiny/model.safetensors"); }
inline std::string vocabFile() { return shared("clip/bpe_simple_vocab_16e6.txt.gz"); }

inline const std::string& tempRoot() { return vop::test::runTempDir(); }

using vop::test::freshDir; // a fresh folder under the temp root

using vop::test::shellQuote;

using vop::test::ffmpeg;
using vop::test::makeVideo;

using vop::test::readBytes;
using vop::test::writeBytes;

inline std::string randomBytes(size_t n, unsigned seed)
{
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (char& c : s)
        c = char(rng() & 0xff);
    return s;
}

// Sets a file's mtime to `secondsAgo` in the past (tests avoid the settle window that way).
inline void ageFile(const std::string& path, double secondsAgo = 60)
{
    struct timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    struct timespec times[2];
    times[0] = times[1] = now;
    times[1].tv_sec -= time_t(secondsAgo);
    ::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW);
}

inline void ageTree(const std::string& dir, double secondsAgo = 60)
{
    for (auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file() && !e.is_symlink())
            ageFile(e.path().string(), secondsAgo);
}

// The tiny CLIP fixture on the CPU, zero-shot, `frames` frames per clip.
inline VopEncoder tinyEncoder(int frames = 4)
{
    ClipEncoder::Options o;
    o.checkpoint = tinyCheckpoint();
    o.vocab = vocabFile();
    o.device = "cpu";
    o.threads = 2;
    return VopEncoder(ClipEncoder(o), "", frames);
}

} // namespace vop::test::library
