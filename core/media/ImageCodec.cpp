#include "media/ImageCodec.h"

#include "media/internal/Ffmpeg.h"
#include "util/Error.h"

extern "C" {
#include <libavutil/imgutils.h>
}

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace vop::media {

using namespace detail;

namespace {

// An AVIOContext over bytes in memory, so that image decoding never goes through a file
// name (no image2 pattern expansion of '%', no protocol parsing of ':').
struct MemoryInput {
    const uint8_t* data = nullptr;
    int64_t size = 0;
    int64_t pos = 0;

    static int read(void* opaque, uint8_t* buf, int n)
    {
        auto* m = static_cast<MemoryInput*>(opaque);
        const int64_t left = m->size - m->pos;
        if (left <= 0)
            return AVERROR_EOF;
        const int k = int(std::min<int64_t>(n, left));
        std::memcpy(buf, m->data + m->pos, size_t(k));
        m->pos += k;
        return k;
    }

    static int64_t seek(void* opaque, int64_t offset, int whence)
    {
        auto* m = static_cast<MemoryInput*>(opaque);
        if (whence & AVSEEK_SIZE)
            return m->size;
        int64_t base = 0;
        switch (whence & ~AVSEEK_FORCE) {
        case SEEK_SET: base = 0; break;
        case SEEK_CUR: base = m->pos; break;
        case SEEK_END: base = m->size; break;
        default: return AVERROR(EINVAL);
        }
        if (base + offset < 0 || base + offset > m->size)
            return AVERROR(EINVAL);
        m->pos = base + offset;
        return m->pos;
    }
};

struct AvioFreer {
    void operator()(AVIOContext* c) const
    {
        if (c)
            av_freep(&c->buffer);
        avio_context_free(&c);
    }
};

RgbImage decodeFirstFrame(const std::string& bytes, int maxShortSide)
{
    ensureFfmpegReady();
    if (bytes.empty())
        throw InputError("not an image: empty file (0 bytes)");
    MemoryInput input{reinterpret_cast<const uint8_t*>(bytes.data()), int64_t(bytes.size()), 0};
    constexpr int kBufSize = 1 << 16;
    auto* buf = static_cast<uint8_t*>(av_malloc(kBufSize));
    if (!buf)
        throw std::bad_alloc();
    std::unique_ptr<AVIOContext, AvioFreer> avio(
        avio_alloc_context(buf, kBufSize, 0, &input, &MemoryInput::read, nullptr, &MemoryInput::seek));
    if (!avio) {
        av_free(buf);
        throw std::bad_alloc();
    }

    AVFormatContext* raw = avformat_alloc_context();
    if (!raw)
        throw std::bad_alloc();
    raw->pb = avio.get();
    raw->flags |= AVFMT_FLAG_CUSTOM_IO;
    int r = avformat_open_input(&raw, nullptr, nullptr, nullptr); // frees raw on failure
    if (r < 0)
        throw InputError("not an image: " + errorString(r));
    FormatPtr fmt(raw);
    if ((r = avformat_find_stream_info(fmt.get(), nullptr)) < 0)
        throw InputError("not an image: " + errorString(r));
    const int si = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (si < 0)
        throw InputError("not an image: no picture in it");
    const AVStream* st = fmt->streams[si];
    const AVCodec* dec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!dec)
        throw InputError(std::string("not an image: unsupported codec ") + avcodec_get_name(st->codecpar->codec_id));
    CodecPtr codec(avcodec_alloc_context3(dec));
    if (!codec)
        throw std::bad_alloc();
    avcodec_parameters_to_context(codec.get(), st->codecpar);
    codec->thread_count = 1;
    if ((r = avcodec_open2(codec.get(), dec, nullptr)) < 0)
        throw InputError(std::string("cannot open the ") + dec->name + " decoder: " + errorString(r));

    PacketPtr pkt = allocPacket();
    FramePtr frame = allocFrame();
    bool draining = false;
    int lastError = 0;
    for (;;) {
        r = avcodec_receive_frame(codec.get(), frame.get());
        if (r >= 0)
            break;
        if (r == AVERROR_EOF || draining)
            throw InputError("not an image: " + (lastError < 0 ? errorString(lastError) : std::string("no picture decodes")));
        if (r != AVERROR(EAGAIN))
            lastError = r;
        r = av_read_frame(fmt.get(), pkt.get());
        if (r < 0) {
            avcodec_send_packet(codec.get(), nullptr);
            draining = true;
            continue;
        }
        if (pkt->stream_index == si) {
            const int s = avcodec_send_packet(codec.get(), pkt.get());
            if (s < 0 && s != AVERROR(EAGAIN))
                lastError = s;
        }
        av_packet_unref(pkt.get());
    }

    int w = 0, h = 0;
    fitShortSide(frame->width, frame->height, maxShortSide, &w, &h);
    RgbConverter conv;
    return conv.convert(frame.get(), w, h);
}

} // namespace

RgbImage decodeImage(const std::string& bytes, int maxShortSide)
{
    return decodeFirstFrame(bytes, maxShortSide);
}

RgbImage decodeImageFile(const std::string& path, int maxShortSide)
{
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f)
        throw InputError("cannot read image " + path + ": " + std::strerror(errno));
    std::string bytes;
    char chunk[1 << 16];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0)
        bytes.append(chunk, n);
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed)
        throw InputError("cannot read image " + path + ": read error");
    try {
        return decodeFirstFrame(bytes, maxShortSide);
    } catch (const InputError& e) {
        throw InputError(path + ": " + e.what());
    }
}

std::string encodeJpeg(const RgbImage& image, int maxSide, int quality)
{
    ensureFfmpegReady();
    if (image.empty() || image.pixels.size() < size_t(image.width) * size_t(image.height) * 3)
        throw InputError("cannot encode an empty image as JPEG");
    int w = image.width, h = image.height;
    const int longSide = std::max(w, h);
    if (maxSide > 0 && longSide > maxSide) {
        const double s = double(maxSide) / longSide;
        w = std::max(1, int(std::lround(w * s)));
        h = std::max(1, int(std::lround(h * s)));
    }

    const AVCodec* enc = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    if (!enc)
        throw Error("this FFmpeg has no JPEG (mjpeg) encoder");
    CodecPtr ctx(avcodec_alloc_context3(enc));
    if (!ctx)
        throw std::bad_alloc();
    quality = std::clamp(quality, 1, 100);
    const int qscale = 2 + int(std::lround((100 - quality) * 29.0 / 99.0)); // 100 -> 2, 1 -> 31
    ctx->width = w;
    ctx->height = h;
    ctx->pix_fmt = AV_PIX_FMT_YUVJ420P;
    ctx->color_range = AVCOL_RANGE_JPEG;
    ctx->time_base = AVRational{1, 25};
    ctx->flags |= AV_CODEC_FLAG_QSCALE;
    ctx->global_quality = qscale * FF_QP2LAMBDA;
    int r = avcodec_open2(ctx.get(), enc, nullptr);
    if (r < 0)
        throw Error("cannot open the JPEG encoder: " + errorString(r));

    FramePtr frame = allocFrame();
    frame->format = AV_PIX_FMT_YUVJ420P;
    frame->width = w;
    frame->height = h;
    frame->color_range = AVCOL_RANGE_JPEG;
    if ((r = av_frame_get_buffer(frame.get(), 0)) < 0)
        throw std::bad_alloc();
    const int flags = (w < image.width ? SWS_AREA : SWS_BICUBIC) | SWS_ACCURATE_RND;
    std::unique_ptr<SwsContext, SwsFreer> sws(sws_getContext(image.width, image.height, AV_PIX_FMT_RGB24, w, h,
                                                             AV_PIX_FMT_YUVJ420P, flags, nullptr, nullptr, nullptr));
    if (!sws)
        throw Error("cannot convert RGB to YUV for JPEG");
    // swscale's SIMD reads run past the end of a packed row: give it aligned, padded rows.
    const int stride = FFALIGN(image.width * 3, 64);
    std::unique_ptr<uint8_t, void (*)(void*)> padded(
        static_cast<uint8_t*>(av_mallocz(size_t(stride) * size_t(image.height + 1))), &av_free);
    if (!padded)
        throw std::bad_alloc();
    av_image_copy_plane(padded.get(), stride, image.pixels.data(), image.width * 3, image.width * 3, image.height);
    const uint8_t* src[4] = {padded.get(), nullptr, nullptr, nullptr};
    const int srcStride[4] = {stride, 0, 0, 0};
    sws_scale(sws.get(), src, srcStride, 0, image.height, frame->data, frame->linesize);
    frame->pts = 0;
    frame->quality = ctx->global_quality;

    PacketPtr pkt = allocPacket();
    std::string bytes;
    if ((r = avcodec_send_frame(ctx.get(), frame.get())) < 0 || (r = avcodec_send_frame(ctx.get(), nullptr)) < 0)
        throw Error("JPEG encoding failed: " + errorString(r));
    while ((r = avcodec_receive_packet(ctx.get(), pkt.get())) >= 0) {
        bytes.append(reinterpret_cast<const char*>(pkt->data), size_t(pkt->size));
        av_packet_unref(pkt.get());
    }
    if (r != AVERROR_EOF || bytes.empty())
        throw Error("JPEG encoding failed: " + errorString(r));
    return bytes;
}

} // namespace vop::media
