#include "media/Sniff.h"

#include "util/VideoExtensions.h"

#include "media/internal/Ffmpeg.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

namespace vop::media {

namespace {

constexpr size_t kSniffBytes = 64 * 1024; // enough for MPEG-TS and friends to be recognised

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

// Formats that FFmpeg opens but that never hold a video of their own.
bool isAudioOrImageFormat(const std::string& name)
{
    static const char* const kAudioOnly[] = {
        "mp3", "aac", "ac3", "eac3", "flac", "wav", "w64", "aiff", "ape", "wv", "tta", "dts", "dtshd",
        "amr", "amrnb", "amrwb", "au", "caf", "mpc", "mpc8", "tak", "truehd", "mlp", "loas", "latm",
        "voc", "xwma", "s337m", "spdif", "sbc", "shn", "ircam", "sox", "codec2", "dsf", "iff", "mod",
        "libopenmpt", "libgme", "xmv", "sln", "alp", "msf", "vag", "wsaud", "bonk", "apm", "aa",
    };
    for (const char* a : kAudioOnly)
        if (name == a)
            return true;
    const auto endsWith = [&](const char* suffix) {
        const size_t n = std::strlen(suffix);
        return name.size() >= n && name.compare(name.size() - n, n, suffix) == 0;
    };
    return endsWith("_pipe") || name == "image2" || name == "gif" || name == "apng" ||
           name == "tty" || name == "srt" || name == "ass" || name == "webvtt";
}

} // namespace

const std::vector<std::string>& videoExtensions()
{
    return vop::videoExtensions();
}

bool isLikelyVideoFile(const std::string& path)
{
    const size_t slash = path.find_last_of('/');
    const size_t dot = path.find_last_of('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash) || dot + 1 == path.size())
        return false;
    const std::string ext = lower(path.substr(dot + 1));
    const auto& exts = videoExtensions();
    return std::find(exts.begin(), exts.end(), ext) != exts.end();
}

std::string sniffFormat(const std::string& path)
{
    detail::ensureFfmpegReady();
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f)
        return {};
    // the probe functions may read AVPROBE_PADDING_SIZE bytes past the end: keep them zero
    std::vector<unsigned char> buf(kSniffBytes + AVPROBE_PADDING_SIZE, 0);
    const size_t n = std::fread(buf.data(), 1, kSniffBytes, f);
    std::fclose(f);
    if (n == 0)
        return {};
    AVProbeData pd{};
    pd.filename = ""; // content only: an extension must not vouch for the bytes
    pd.buf = buf.data();
    pd.buf_size = int(n);
    int score = 0;
    const AVInputFormat* fmt = av_probe_input_format3(&pd, 1, &score);
    // Weak matches (a few bytes that happen to look like an MP3 frame header) are noise.
    if (!fmt || score <= AVPROBE_SCORE_RETRY)
        return {};
    return fmt->name;
}

bool sniffVideo(const std::string& path)
{
    const std::string name = sniffFormat(path);
    return !name.empty() && !isAudioOrImageFormat(name);
}

} // namespace vop::media
