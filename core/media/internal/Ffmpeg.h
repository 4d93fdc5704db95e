#pragma once
// Private to core/media: FFmpeg RAII handles and helpers shared by the decoders, the prober
// and the JPEG encoder. Nothing outside core/media includes this header (public headers are
// FFmpeg-free).
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

#include "util/Image.h"

#include <memory>
#include <string>

namespace vop::media::detail {

// Routes FFmpeg's log to the "media" logger at debug level (so nothing reaches stderr) and
// does any other one-time set-up. Called by every entry point of core/media; cheap after once.
void ensureFfmpegReady();

// "Invalid data found when processing input" for an AVERROR code.
std::string errorString(int averror);

struct FormatCloser {
    void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct CodecFreer {
    void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameFreer {
    void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketFreer {
    void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsFreer {
    void operator()(SwsContext* c) const { sws_freeContext(c); }
};
using FormatPtr = std::unique_ptr<AVFormatContext, FormatCloser>;
using CodecPtr = std::unique_ptr<AVCodecContext, CodecFreer>;
using FramePtr = std::unique_ptr<AVFrame, FrameFreer>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFreer>;

FramePtr allocFrame();
PacketPtr allocPacket();

// The stream's side data of `type` (FFmpeg 5.1 API, with the 6.1+ one behind a version check).
const uint8_t* streamSideData(const AVStream* st, AVPacketSideDataType type, size_t* size = nullptr);

// Clockwise rotation in degrees (0, 90, 180, 270) that makes the stream's frames upright,
// read off its display matrix; 0 when there is none or it is not a multiple of 90.
int streamRotation(const AVStream* st);

bool frameIsKey(const AVFrame* f);

// Rotates an RGB image clockwise by 90, 180 or 270 degrees.
RgbImage rotateRgb(const RgbImage& src, int clockwiseDegrees);

// Converts decoded frames to RGB24 at a requested size with swscale. Keeps its SwsContext
// between calls while the frame geometry stays the same.
class RgbConverter {
public:
    RgbConverter();
    ~RgbConverter();
    RgbConverter(const RgbConverter&) = delete;
    RgbConverter& operator=(const RgbConverter&) = delete;

    // Scales `frame` to dstW x dstH RGB24 (SWS_AREA when shrinking, bicubic otherwise).
    RgbImage convert(const AVFrame* frame, int dstW, int dstH);

private:
    SwsContext* m_ctx = nullptr;
};

// Size (width, height) that keeps the aspect ratio of srcW x srcH and makes the shorter side
// at most `maxShortSide` (0: no limit); never smaller than 1 and rounded to integers.
void fitShortSide(int srcW, int srcH, int maxShortSide, int* dstW, int* dstH);

} // namespace vop::media::detail
