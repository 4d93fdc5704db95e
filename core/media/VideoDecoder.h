#pragma once
#include "media/VideoInfo.h"
#include "util/Image.h"

#include <cstdint>
#include <memory>
#include <string>

namespace vop::media {

enum class SeekMode {
    Accurate, // the frame shown at the requested time: first frame whose time is >= it
    Fast,     // the keyframe nearest the requested time (no decoding between keyframes)
};

struct DecoderOptions {
    int maxShortSide = 0; // downscale (area averaging) so the shorter side is at most this; 0: full size
    int threads = 0;      // decoder threads; 0: as many as FFmpeg sees fit
    // Accurate seeks: while decoding forward to a target, frames no other frame refers to
    // (non-reference B-frames) and that lie before the target are not decoded at all. The frames
    // handed out are the same, bit for bit (nothing decoded depends on a skipped frame).
    bool skipNonReference = true;
};

struct VideoFrame {
    double time = 0;       // seconds from the start of the video (the stream's first frame is 0)
    bool keyframe = false;
    RgbImage image;        // upright (rotation applied), square pixels
};

// Counters that make the decoder's cost visible (tests check that sampling does not re-seek).
struct DecoderStats {
    int seeks = 0;
    int64_t packetsRead = 0;
    int64_t framesDecoded = 0;
    int64_t framesConverted = 0;
    int64_t decodeErrors = 0;
};

// One open video file that hands out frames at given times. Requests in increasing time order
// are cheapest: a target close ahead is reached by decoding forward, not by seeking. Truncated
// files give what decodes (a target past the last decodable frame gives that frame); a file
// with nothing decodable throws InputError. Not thread-safe: one decoder per thread.
class VideoDecoder {
public:
    // Opens the file and its best video stream; throws vop::InputError as probe() does
    // (except for encryption and undecodable content, which surface on the first frameAt).
    explicit VideoDecoder(const std::string& path, const DecoderOptions& options = {});
    ~VideoDecoder();
    VideoDecoder(VideoDecoder&&) noexcept;
    VideoDecoder& operator=(VideoDecoder&&) noexcept;
    VideoDecoder(const VideoDecoder&) = delete;
    VideoDecoder& operator=(const VideoDecoder&) = delete;

    const VideoInfo& info() const;
    const DecoderStats& stats() const;

    // The frame at `seconds` from the start (clamped to [0, end]).
    VideoFrame frameAt(double seconds, SeekMode mode = SeekMode::Accurate);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace vop::media
