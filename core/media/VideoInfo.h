#pragma once
#include <cstdint>
#include <string>

namespace vop::media {

// What a video file holds, read off its headers (and, where they say nothing about the
// duration, off its packets).
struct VideoInfo {
    double duration = 0;     // seconds of video; 0 when nothing tells
    double startTime = 0;    // seconds on the container's clock where the video starts
    int width = 0;           // upright display size: sample aspect ratio and rotation applied
    int height = 0;
    int codedWidth = 0;      // size of the decoded pictures, before aspect ratio and rotation
    int codedHeight = 0;
    int rotation = 0;        // clockwise degrees (0, 90, 180, 270) that make frames upright
    double frameRate = 0;    // frames per second; 0 when unknown
    int64_t frameCount = 0;  // as the container states it; 0 when it does not
    std::string codec;       // "h264", "mpeg4", ...
    std::string container;   // FFmpeg's demuxer name: "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"
    bool hasAudio = false;
    bool encrypted = false;  // the headers carry DRM (CENC) initialisation data
};

// What a video may claim (docs/RELIABILITY.md). A file whose headers say more is refused with an
// InputError when it is opened, before a frame is decoded: a damaged or crafted header, not a
// video anyone can watch. Sampling costs time in proportion to the duration (one embedding per
// window), so the duration bound also bounds the work one file can cause.
constexpr int kMaxVideoSide = 16384;                  // pixels, either side
constexpr int64_t kMaxVideoPixels = 8192ll * 8192;    // 67 megapixels (8K UHD is 33)
constexpr double kMaxVideoSeconds = 7 * 24 * 3600.0;  // a week

struct ProbeOptions {
    // Decode the first frame too, so that an encrypted or undecodable file is reported here
    // (throws InputError) rather than when its frames are sampled. Off: headers only, and an
    // encrypted file comes back with `encrypted` set.
    bool requireDecodable = true;
};

// Opens `path`, picks its best video stream and describes it. Throws vop::InputError with a
// message a person understands: "empty file (0 bytes)", "cannot open: ...", "no video stream
// (audio only)", "encrypted stream (DRM), cannot decode", "no decodable video frames ...".
VideoInfo probe(const std::string& path, const ProbeOptions& options = {});

} // namespace vop::media
