#include "media/internal/Ffmpeg.h"

#include "util/Error.h"
#include "util/Log.h"

extern "C" {
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstring>
#include <mutex>
#include <string>

namespace vop::media::detail {

namespace {

// FFmpeg prints warnings about damaged input to stderr by default; a library scan meets many
// damaged files, and the CLI's output must stay readable. Everything goes to our "media"
// logger at debug level instead (VOPSEARCH_LOG=debug shows it).
void logCallback(void* avcl, int level, const char* fmt, va_list vl)
{
    if (level > AV_LOG_WARNING)
        return; // info/verbose/debug/trace chatter: not even worth formatting
#ifdef VOPSEARCH_HAVE_SPDLOG
    // Never destroyed: FFmpeg may still log from other statics' destructors at exit.
    static const auto& logger = *new std::shared_ptr<spdlog::logger>(vop::log::get("media"));
    if (!logger->should_log(spdlog::level::debug))
        return;
    // FFmpeg writes some lines in pieces: collect them per thread until the newline.
    thread_local int printPrefix = 1;
    thread_local std::string pending;
    char piece[1024];
    av_log_format_line2(avcl, level, fmt, vl, piece, sizeof piece, &printPrefix);
    pending += piece;
    if (pending.empty() || (pending.back() != '\n' && pending.size() < 4096))
        return;
    while (!pending.empty() && (pending.back() == '\n' || pending.back() == '\r'))
        pending.pop_back();
    if (!pending.empty())
        logger->debug("ffmpeg: {}", pending);
    pending.clear();
#else
    (void)avcl;
    (void)fmt;
    (void)vl;
#endif
}

} // namespace

void ensureFfmpegReady()
{
    static std::once_flag once;
    std::call_once(once, [] { av_log_set_callback(&logCallback); });
}

std::string errorString(int averror)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    if (av_strerror(averror, buf, sizeof buf) < 0)
        return "error " + std::to_string(averror);
    return buf;
}

FramePtr allocFrame()
{
    FramePtr f(av_frame_alloc());
    if (!f)
        throw std::bad_alloc();
    return f;
}

PacketPtr allocPacket()
{
    PacketPtr p(av_packet_alloc());
    if (!p)
        throw std::bad_alloc();
    return p;
}

const uint8_t* streamSideData(const AVStream* st, AVPacketSideDataType type, size_t* size)
{
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 29, 100)
    const AVPacketSideData* sd = av_packet_side_data_get(st->codecpar->coded_side_data,
                                                         st->codecpar->nb_coded_side_data, type);
    if (!sd)
        return nullptr;
    if (size)
        *size = sd->size;
    return sd->data;
#else
    size_t n = 0;
    const uint8_t* data = av_stream_get_side_data(st, type, &n);
    if (size)
        *size = n;
    return data;
#endif
}

int streamRotation(const AVStream* st)
{
    size_t size = 0;
    const uint8_t* data = streamSideData(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!data || size < 9 * sizeof(int32_t))
        return 0;
    // av_display_rotation_get gives the counter-clockwise angle the content was rotated by;
    // showing it upright means turning it back clockwise, as ffmpeg's autorotate does.
    double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(data));
    if (std::isnan(ccw))
        return 0;
    long theta = std::lround(-ccw);
    theta = ((theta % 360) + 360) % 360;
    for (int r : {0, 90, 180, 270, 360})
        if (std::abs(theta - r) <= 1)
            return r % 360;
    return 0; // arbitrary angles are rare (and ffmpeg itself only approximates them)
}

bool frameIsKey(const AVFrame* f)
{
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(58, 7, 100)
    return (f->flags & AV_FRAME_FLAG_KEY) != 0;
#else
    return f->key_frame != 0;
#endif
}

RgbImage rotateRgb(const RgbImage& src, int deg)
{
    deg = ((deg % 360) + 360) % 360;
    if (deg == 0 || src.empty())
        return src;
    const int w = src.width, h = src.height;
    RgbImage dst;
    dst.width = deg == 180 ? w : h;
    dst.height = deg == 180 ? h : w;
    dst.pixels.resize(size_t(w) * size_t(h) * 3);
    for (int y = 0; y < h; ++y) {
        const uint8_t* s = src.row(y);
        for (int x = 0; x < w; ++x, s += 3) {
            int dx, dy;
            if (deg == 90) { // clockwise: the left column becomes the top row
                dx = h - 1 - y;
                dy = x;
            } else if (deg == 180) {
                dx = w - 1 - x;
                dy = h - 1 - y;
            } else { // 270 clockwise = 90 counter-clockwise
                dx = y;
                dy = w - 1 - x;
            }
            uint8_t* d = dst.row(dy) + size_t(dx) * 3;
            d[0] = s[0];
            d[1] = s[1];
            d[2] = s[2];
        }
    }
    return dst;
}

void fitShortSide(int srcW, int srcH, int maxShortSide, int* dstW, int* dstH)
{
    *dstW = std::max(1, srcW);
    *dstH = std::max(1, srcH);
    const int shortSide = std::min(*dstW, *dstH);
    if (maxShortSide <= 0 || shortSide <= maxShortSide)
        return;
    const double scale = double(maxShortSide) / shortSide;
    if (*dstW <= *dstH) {
        *dstW = maxShortSide;
        *dstH = std::max(1, int(std::lround(srcH * scale)));
    } else {
        *dstH = maxShortSide;
        *dstW = std::max(1, int(std::lround(srcW * scale)));
    }
}

RgbConverter::RgbConverter() = default;

RgbConverter::~RgbConverter()
{
    sws_freeContext(m_ctx);
}

namespace {

bool isFullRangeYuvj(AVPixelFormat f)
{
    return f == AV_PIX_FMT_YUVJ420P || f == AV_PIX_FMT_YUVJ422P || f == AV_PIX_FMT_YUVJ444P ||
           f == AV_PIX_FMT_YUVJ440P || f == AV_PIX_FMT_YUVJ411P;
}

} // namespace

RgbImage RgbConverter::convert(const AVFrame* frame, int dstW, int dstH)
{
    const auto srcFmt = AVPixelFormat(frame->format);
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(srcFmt);
    if (!desc || frame->width <= 0 || frame->height <= 0)
        throw InputError("decoded frame has no usable pixel format");
    const bool shrinking = dstW < frame->width || dstH < frame->height;
    // Area averaging when shrinking (no aliasing on 4K input); accurate rounding and full
    // chroma interpolation so colours match what ffmpeg's own conversion gives.
    const int flags = (shrinking ? SWS_AREA : SWS_BICUBIC) | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT;
    m_ctx = sws_getCachedContext(m_ctx, frame->width, frame->height, srcFmt, dstW, dstH,
                                 AV_PIX_FMT_RGB24, flags, nullptr, nullptr, nullptr);
    if (!m_ctx)
        throw InputError(std::string("cannot convert pixel format ") + desc->name + " to RGB");

    const bool yuv = !(desc->flags & AV_PIX_FMT_FLAG_RGB) && desc->nb_components >= 3 &&
                     !(desc->flags & AV_PIX_FMT_FLAG_PAL);
    if (yuv) {
        // Video is limited range unless the frame says otherwise; the colour matrix comes from
        // the stream (BT.601 when unspecified, as ffmpeg's scale filter assumes).
        const int srcRange = (frame->color_range == AVCOL_RANGE_JPEG || isFullRangeYuvj(srcFmt)) ? 1 : 0;
        const int* srcMatrix = sws_getCoefficients(frame->colorspace);
        const int* dstMatrix = sws_getCoefficients(SWS_CS_DEFAULT);
        sws_setColorspaceDetails(m_ctx, srcMatrix, srcRange, dstMatrix, 1, 0, 1 << 16, 1 << 16);
    }

    // swscale's SIMD paths want aligned destination rows; a packed RgbImage row (w*3 bytes)
    // rarely is, so scale into an aligned buffer and copy the rows out.
    uint8_t* dstData[4] = {};
    int dstLinesize[4] = {};
    if (av_image_alloc(dstData, dstLinesize, dstW, dstH, AV_PIX_FMT_RGB24, 32) < 0)
        throw std::bad_alloc();
    std::unique_ptr<uint8_t, void (*)(void*)> guard(dstData[0], &av_free);
    const int rows = sws_scale(m_ctx, frame->data, frame->linesize, 0, frame->height, dstData, dstLinesize);
    if (rows <= 0)
        throw InputError("cannot convert the decoded frame to RGB");

    RgbImage out;
    out.width = dstW;
    out.height = dstH;
    out.pixels.resize(size_t(dstW) * size_t(dstH) * 3);
    for (int y = 0; y < dstH; ++y)
        std::memcpy(out.row(y), dstData[0] + size_t(y) * dstLinesize[0], size_t(dstW) * 3);
    return out;
}

} // namespace vop::media::detail
