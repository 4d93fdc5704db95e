#pragma once
// Private to core/media: the state of an open VideoDecoder, shared by VideoOpen.cpp (opening,
// describing) and VideoDecoder.cpp (decoding, seeking).
#include "media/VideoDecoder.h"
#include "media/internal/Ffmpeg.h"

#include <cmath>
#include <limits>
#include <optional>
#include <string>

namespace vop::media {

namespace detail {
inline constexpr double kNoTime = -std::numeric_limits<double>::infinity();
inline constexpr double kEps = 1e-6;
// Without a trustworthy keyframe index, a target at most this far ahead is reached by
// decoding forward; farther away, seeking is cheaper.
inline constexpr double kForwardWindow = 5.0;
// A decoder that swallows this many packets without giving a frame (while it is meant to
// decode every one) is fed garbage: stop there rather than read a damaged file to its end.
inline constexpr int kMaxPacketsWithoutFrame = 10000;

inline const char* const kEncrypted = "encrypted stream (DRM), cannot decode";
inline const char* const kNothingDecodable = "no decodable video frames (damaged or truncated file)";

} // namespace detail

struct VideoDecoder::Impl {
    std::string path;
    DecoderOptions opts;
    VideoInfo info;
    DecoderStats stats;

    detail::FormatPtr fmt;
    detail::CodecPtr codec;
    AVStream* st = nullptr;
    int vs = -1;
    double tb = 0;        // seconds per stream tick
    double startSec = 0;  // stream start on the container clock
    double frameDur = 0.04;
    bool trustIndex = false;
    // Index timestamps are decode times in MP4 (presentation times elsewhere); seeking takes
    // presentation times. The keyframes' offset between the two, measured on the first one.
    double indexOffset = 0;

    detail::FramePtr cur = detail::allocFrame(); // the last frame out of the decoder
    detail::FramePtr tmp = detail::allocFrame();
    detail::PacketPtr pkt = detail::allocPacket();
    bool haveCur = false;
    double curTime = 0;       // absolute seconds of `cur`
    // `cur` answers targets in (prevTime, curTime]: prevTime is the frame before it, or -inf
    // when decoding began at the stream's start, or just under curTime after a seek elsewhere.
    double prevTime = detail::kNoTime;
    double readPos = 0;       // where continued decoding proceeds from (absolute seconds)
    double seekPos = 0;       // the time asked of the last seek
    bool fromStart = true;    // decoding began at the start of the stream
    int framesSinceSeek = 0;
    bool continuable = true;  // decoder state allows decoding forward from readPos
    bool seekFails = false;   // the demuxer cannot seek (raw streams without timestamps)
    bool noTimestamps = false; // frame times come from counting frames since the start
    int missingTimestamps = 0; // frames in a row without one
    bool justSeeked = false;
    bool flushing = false;
    bool eof = false;
    int packetsSinceFrame = 0;
    std::optional<double> endTime; // last decodable frame, once the end has been reached
    // Packets before this time (absolute seconds) may be dropped when no frame refers to them
    // (DecoderOptions::skipNonReference); -inf: decode every packet. skippedUpTo: the latest
    // time of a packet sent while dropping was allowed (a frame that may not have come out).
    double skipBefore = detail::kNoTime;
    double skippedUpTo = detail::kNoTime;

    // The last converted frame, handed out again for repeated requests.
    bool haveOut = false;
    double outTime = 0;
    VideoFrame out;
    double lastFastKey = std::nan("");

    detail::RgbConverter conv;

    void openInput();
    void openCodec();
    void describe();
    void scanDuration();
    void checkDimensions() const; // kMaxVideoSide, kMaxVideoPixels (VideoInfo.h)
    void checkDuration() const;   // kMaxVideoSeconds

    int readVideoPacket();
    bool nextFrame();
    void decodeUntil(double target);
    void decodeForwardTo(double target); // decodeUntil, dropping what it may (accurate seeks)
    void sendPacket();
    void seekTo(double t);
    void resetDecodeState();
    bool canContinueTo(double target) const;
    double keyframeBefore(double t) const;
    double nearestKeyframe(double t) const;
    bool landedTooLate(double target) const;
    double clampTarget(double seconds) const;
    VideoFrame output();

    VideoFrame accurate(double seconds);
    VideoFrame fast(double seconds);
};

} // namespace vop::media
