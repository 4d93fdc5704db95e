#include "media/VideoDecoder.h"

#include "media/internal/Ffmpeg.h"
#include "util/Error.h"
#include "util/Log.h"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

namespace vop::media {

using namespace detail;

namespace {

constexpr double kNoTime = -std::numeric_limits<double>::infinity();
constexpr double kEps = 1e-6;
// Without a trustworthy keyframe index, a target at most this far ahead is reached by
// decoding forward; farther away, seeking is cheaper.
constexpr double kForwardWindow = 5.0;
// A decoder that swallows this many packets without giving a frame is fed garbage: stop.
constexpr int kMaxPacketsWithoutFrame = 3000;

const char* const kEncrypted = "encrypted stream (DRM), cannot decode";
const char* const kNothingDecodable = "no decodable video frames (damaged or truncated file)";

// Formats whose demuxer loads the complete keyframe index when it opens the file. Others
// (MPEG-TS, raw streams) index as they read, so their index says nothing about what lies ahead.
bool indexIsComplete(const AVFormatContext* fmt, const AVStream* st)
{
    if (avformat_index_get_entries_count(st) <= 0)
        return false;
    const std::string name = fmt->iformat->name;
    return name.rfind("mov", 0) == 0 || name.rfind("matroska", 0) == 0 || name == "avi";
}

} // namespace

struct VideoDecoder::Impl {
    std::string path;
    DecoderOptions opts;
    VideoInfo info;
    DecoderStats stats;

    FormatPtr fmt;
    CodecPtr codec;
    AVStream* st = nullptr;
    int vs = -1;
    double tb = 0;        // seconds per stream tick
    double startSec = 0;  // stream start on the container clock
    double frameDur = 0.04;
    bool trustIndex = false;
    // Index timestamps are decode times in MP4 (presentation times elsewhere); seeking takes
    // presentation times. The keyframes' offset between the two, measured on the first one.
    double indexOffset = 0;

    FramePtr cur = allocFrame(); // the last frame out of the decoder
    FramePtr tmp = allocFrame();
    PacketPtr pkt = allocPacket();
    bool haveCur = false;
    double curTime = 0;       // absolute seconds of `cur`
    // `cur` answers targets in (prevTime, curTime]: prevTime is the frame before it, or -inf
    // when decoding began at the stream's start, or just under curTime after a seek elsewhere.
    double prevTime = kNoTime;
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

    // The last converted frame, handed out again for repeated requests.
    bool haveOut = false;
    double outTime = 0;
    VideoFrame out;
    double lastFastKey = std::nan("");

    RgbConverter conv;

    void openInput();
    void openCodec();
    void describe();
    void scanDuration();

    int readVideoPacket();
    bool nextFrame();
    void decodeUntil(double target);
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

void VideoDecoder::Impl::openInput()
{
    struct stat sb {};
    if (::stat(path.c_str(), &sb) != 0)
        throw InputError(std::string("cannot open: ") + std::strerror(errno));
    if (!S_ISREG(sb.st_mode))
        throw InputError("cannot open: not a regular file");
    if (sb.st_size == 0)
        throw InputError("empty file (0 bytes)");

    // "file:" keeps names with ':' ',' '#' '?' from being read as protocols or options; the
    // whitelist keeps a crafted file (an mp4 data reference, a playlist) from opening others.
    AVDictionary* options = nullptr;
    av_dict_set(&options, "protocol_whitelist", "file", 0);
    AVFormatContext* raw = nullptr;
    const int r = avformat_open_input(&raw, ("file:" + path).c_str(), nullptr, &options);
    av_dict_free(&options);
    if (r < 0)
        throw InputError("cannot open: " + errorString(r));
    fmt.reset(raw);
    const int si = avformat_find_stream_info(fmt.get(), nullptr);
    if (si < 0)
        throw InputError("cannot read the streams: " + errorString(si));

    if (vs < 0) {
        vs = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
        // Cover art in music files is a "video" stream of one picture: not a video.
        if (vs >= 0 && (fmt->streams[vs]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            vs = -1;
            for (unsigned i = 0; i < fmt->nb_streams; ++i) {
                const AVStream* s = fmt->streams[i];
                if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
                    !(s->disposition & AV_DISPOSITION_ATTACHED_PIC))
                    vs = int(i);
            }
        }
        if (vs < 0) {
            for (unsigned i = 0; i < fmt->nb_streams; ++i)
                if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
                    throw InputError("no video stream (audio only)");
            throw InputError("no video stream");
        }
    }
    st = fmt->streams[vs];
    for (unsigned i = 0; i < fmt->nb_streams; ++i)
        if (int(i) != vs)
            fmt->streams[i]->discard = AVDISCARD_ALL;
    tb = av_q2d(st->time_base);
}

void VideoDecoder::Impl::openCodec()
{
    const AVCodec* dec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!dec)
        throw InputError(std::string("unsupported video codec: ") + avcodec_get_name(st->codecpar->codec_id));
    codec.reset(avcodec_alloc_context3(dec));
    if (!codec)
        throw std::bad_alloc();
    int r = avcodec_parameters_to_context(codec.get(), st->codecpar);
    if (r < 0)
        throw InputError("cannot set up the video decoder: " + errorString(r));
    codec->pkt_timebase = st->time_base;
    codec->thread_count = opts.threads;
    codec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    r = avcodec_open2(codec.get(), dec, nullptr);
    if (r < 0)
        throw InputError(std::string("cannot open the ") + dec->name + " decoder: " + errorString(r));
}

void VideoDecoder::Impl::describe()
{
    const AVCodecParameters* par = st->codecpar;
    info.codec = avcodec_get_name(par->codec_id);
    info.container = fmt->iformat->name;
    info.codedWidth = par->width;
    info.codedHeight = par->height;
    info.rotation = streamRotation(st);
    info.frameCount = st->nb_frames > 0 ? st->nb_frames : 0;

    const AVRational sar = av_guess_sample_aspect_ratio(fmt.get(), st, nullptr);
    int w = par->width;
    if (sar.num > 0 && sar.den > 0 && sar.num != sar.den)
        w = std::max(1, int(std::lround(par->width * av_q2d(sar))));
    const bool swap = info.rotation == 90 || info.rotation == 270;
    info.width = swap ? par->height : w;
    info.height = swap ? w : par->height;

    const AVRational fr = av_guess_frame_rate(fmt.get(), st, nullptr);
    const double fps = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0;
    if (fps > 0 && fps < 1000) {
        info.frameRate = fps;
        frameDur = 1.0 / fps;
    }

    for (unsigned i = 0; i < fmt->nb_streams; ++i) {
        if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
            info.hasAudio = true;
        if (streamSideData(fmt->streams[i], AV_PKT_DATA_ENCRYPTION_INIT_INFO))
            info.encrypted = true; // CENC 'pssh' data sits on whichever stream came last
    }

    const bool fmtStartKnown = fmt->start_time != AV_NOPTS_VALUE;
    if (st->start_time != AV_NOPTS_VALUE)
        startSec = st->start_time * tb;
    else if (fmtStartKnown)
        startSec = double(fmt->start_time) / AV_TIME_BASE;
    info.startTime = startSec;

    if (st->duration != AV_NOPTS_VALUE && st->duration > 0) {
        info.duration = st->duration * tb;
    } else if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0) {
        const double fmtStart = fmtStartKnown ? double(fmt->start_time) / AV_TIME_BASE : startSec;
        info.duration = std::max(0.0, fmtStart + double(fmt->duration) / AV_TIME_BASE - startSec);
    } else {
        scanDuration();
    }
    readPos = startSec;
}

// Raw elementary streams say nothing about their length: read every packet's timestamp.
void VideoDecoder::Impl::scanDuration()
{
    double first = std::numeric_limits<double>::infinity(), last = kNoTime;
    int64_t n = 0;
    while (av_read_frame(fmt.get(), pkt.get()) >= 0) {
        if (pkt->stream_index == vs) {
            const int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
            if (ts != AV_NOPTS_VALUE) {
                first = std::min(first, ts * tb);
                last = std::max(last, ts * tb + (pkt->duration > 0 ? pkt->duration * tb : frameDur));
            }
            ++n;
        }
        av_packet_unref(pkt.get());
    }
    if (n == 0)
        throw InputError(kNothingDecodable);
    if (last > kNoTime) {
        if (st->start_time == AV_NOPTS_VALUE && fmt->start_time == AV_NOPTS_VALUE)
            startSec = first;
        info.startTime = startSec;
        // the last packet's duration is often unset: count one frame for it
        info.duration = std::max(0.0, last - startSec);
    } else {
        // Not one timestamp (raw H.264): frames are timed by counting them, so every position
        // is reached by decoding from the start.
        noTimestamps = seekFails = true;
        if (info.frameRate > 0)
            info.duration = n / info.frameRate;
    }
    VOP_LOG_DEBUG("media", "{}: duration {:.3f} s from a scan of {} packets", path, info.duration, n);
    // Back to the start; a fresh open is the one way back that every demuxer supports.
    fmt.reset();
    openInput();
}

int VideoDecoder::Impl::readVideoPacket()
{
    for (;;) {
        const int r = av_read_frame(fmt.get(), pkt.get());
        if (r < 0)
            return r; // end of file, or a read error in a truncated file: both end the input
        if (pkt->stream_index != vs) {
            av_packet_unref(pkt.get());
            continue;
        }
        if (av_packet_get_side_data(pkt.get(), AV_PKT_DATA_ENCRYPTION_INFO, nullptr)) {
            av_packet_unref(pkt.get());
            throw InputError(kEncrypted);
        }
        ++stats.packetsRead;
        return 0;
    }
}

// Pulls the next frame out of the decoder into `cur`; false at the end of what decodes.
bool VideoDecoder::Impl::nextFrame()
{
    if (eof)
        return false;
    for (;;) {
        int r = avcodec_receive_frame(codec.get(), tmp.get());
        if (r >= 0) {
            ++stats.framesDecoded;
            packetsSinceFrame = 0;
            int64_t ts = tmp->best_effort_timestamp;
            if (ts == AV_NOPTS_VALUE)
                ts = tmp->pts;
            double t;
            if (ts != AV_NOPTS_VALUE) {
                t = ts * tb;
                missingTimestamps = 0;
            } else { // no timestamp: one frame after the last, or where the seek went
                t = haveCur ? curTime + frameDur : (fromStart ? startSec : seekPos);
                if (++missingTimestamps >= 3) // not a stray frame: the stream has none
                    noTimestamps = seekFails = true; // seeking would lose count
            }
            prevTime = haveCur ? curTime : (fromStart ? kNoTime : t - 2 * kEps);
            av_frame_unref(cur.get());
            av_frame_move_ref(cur.get(), tmp.get());
            curTime = t;
            haveCur = true;
            readPos = t;
            ++framesSinceSeek;
            return true;
        }
        if (r == AVERROR_EOF || flushing) {
            eof = true;
            if (haveCur && r == AVERROR_EOF && codec->skip_frame == AVDISCARD_DEFAULT)
                endTime = curTime; // (with keyframes only, the last one is not the last frame)
            return false;
        }
        if (r != AVERROR(EAGAIN))
            ++stats.decodeErrors; // a broken frame; the next packets may still decode
        if (packetsSinceFrame > kMaxPacketsWithoutFrame) {
            VOP_LOG_DEBUG("media", "{}: {} packets without a frame, giving up", path, packetsSinceFrame);
            eof = true;
            continuable = false;
            return false;
        }
        r = readVideoPacket();
        if (r < 0) {
            avcodec_send_packet(codec.get(), nullptr); // drain the frames still inside
            flushing = true;
            continue;
        }
        ++packetsSinceFrame;
        r = avcodec_send_packet(codec.get(), pkt.get());
        av_packet_unref(pkt.get());
        if (r < 0 && r != AVERROR(EAGAIN))
            ++stats.decodeErrors;
    }
}

void VideoDecoder::Impl::decodeUntil(double target)
{
    while (!(haveCur && curTime >= target - kEps))
        if (!nextFrame())
            break;
}

void VideoDecoder::Impl::resetDecodeState()
{
    avcodec_flush_buffers(codec.get());
    haveCur = false;
    prevTime = kNoTime;
    flushing = false;
    eof = false;
    continuable = true;
    packetsSinceFrame = 0;
    framesSinceSeek = 0;
}

// Seeks to the keyframe at or before `t` (absolute seconds).
void VideoDecoder::Impl::seekTo(double t)
{
    ++stats.seeks;
    const bool toStart = t <= startSec + kEps;
    int r = -1;
    // Formats without a complete index find the start by searching timestamps, and can land a
    // keyframe late; reopening is the one way back to the very start that never misses.
    if (!seekFails && (!toStart || trustIndex)) {
        const int64_t ts = std::llround(std::max(t, startSec) / tb);
        r = av_seek_frame(fmt.get(), vs, ts, AVSEEK_FLAG_BACKWARD);
        if (r < 0)
            r = avformat_seek_file(fmt.get(), vs, std::numeric_limits<int64_t>::min(), ts, ts, 0);
        if (r < 0)
            VOP_LOG_DEBUG("media", "{}: seek to {:.3f} s failed ({}), reopening", path, t, errorString(r));
    }
    if (r < 0) {
        seekFails = seekFails || !toStart;
        fmt.reset();
        openInput();
    }
    resetDecodeState();
    fromStart = r < 0 || toStart;
    seekPos = fromStart ? startSec : t;
    readPos = fromStart ? startSec : kNoTime; // unknown until a frame comes out
    justSeeked = true;
}

double VideoDecoder::Impl::keyframeBefore(double t) const
{
    if (!trustIndex)
        return std::nan("");
    const int i = av_index_search_timestamp(st, std::llround((t - indexOffset) / tb), AVSEEK_FLAG_BACKWARD);
    const AVIndexEntry* e = i >= 0 ? avformat_index_get_entry(st, i) : nullptr;
    return e ? e->timestamp * tb + indexOffset : startSec;
}

double VideoDecoder::Impl::nearestKeyframe(double t) const
{
    if (!trustIndex)
        return std::nan("");
    const int64_t ts = std::llround((t - indexOffset) / tb);
    const int ib = av_index_search_timestamp(st, ts, AVSEEK_FLAG_BACKWARD);
    const int ia = av_index_search_timestamp(st, ts, 0);
    const AVIndexEntry* b = ib >= 0 ? avformat_index_get_entry(st, ib) : nullptr;
    const AVIndexEntry* a = ia >= 0 ? avformat_index_get_entry(st, ia) : nullptr;
    const double before = b ? b->timestamp * tb + indexOffset : std::nan("");
    const double after = a ? a->timestamp * tb + indexOffset : std::nan("");
    if (b && a)
        return t - before <= after - t ? before : after;
    return b ? before : after;
}

// Decoding forward from where the decoder stands is no dearer than a seek when no keyframe
// lies between here and the target (a seek would land on that keyframe and decode from it).
bool VideoDecoder::Impl::canContinueTo(double target) const
{
    if (!continuable || eof || target < readPos - kEps)
        return false;
    if (seekFails)
        return true; // a "seek" would start over from the beginning
    const double key = keyframeBefore(target);
    if (!std::isnan(key))
        return key <= readPos + kEps;
    return target - readPos <= kForwardWindow;
}

// After a seek the first frame should not be far past the target; if it is, the demuxer
// landed late (timestamp-searching formats) and an earlier seek point is needed.
bool VideoDecoder::Impl::landedTooLate(double target) const
{
    return justSeeked && haveCur && framesSinceSeek == 1 && !fromStart &&
           curTime > target + 1.5 * frameDur + kEps;
}

double VideoDecoder::Impl::clampTarget(double seconds) const
{
    double target = startSec + std::max(0.0, std::isfinite(seconds) ? seconds : 0.0);
    if (endTime && target > *endTime)
        target = *endTime;
    return target;
}

VideoFrame VideoDecoder::Impl::output()
{
    if (!(haveOut && outTime == curTime)) {
        int srcW = cur->width, srcH = cur->height;
        AVRational sar = cur->sample_aspect_ratio;
        if (sar.num <= 0 || sar.den <= 0)
            sar = st->codecpar->sample_aspect_ratio;
        if (sar.num > 0 && sar.den > 0 && sar.num != sar.den)
            srcW = std::max(1, int(std::lround(srcW * av_q2d(sar))));
        int w = 0, h = 0;
        fitShortSide(srcW, srcH, opts.maxShortSide, &w, &h);
        out.image = rotateRgb(conv.convert(cur.get(), w, h), info.rotation);
        out.keyframe = frameIsKey(cur.get());
        out.time = std::max(0.0, curTime - startSec);
        outTime = curTime;
        haveOut = true;
        ++stats.framesConverted;
    }
    return out;
}

VideoFrame VideoDecoder::Impl::accurate(double seconds)
{
    const double target = clampTarget(seconds);
    // The frame at hand already answers: the target falls after the previous frame and not
    // after this one, or the stream has ended and this is its last frame.
    if (haveCur && target <= curTime + kEps && target > prevTime + kEps)
        return output();
    if (haveCur && eof && target > curTime)
        return output();

    justSeeked = false;
    if (!canContinueTo(target))
        seekTo(target);
    decodeUntil(target);
    if (haveCur && !landedTooLate(target))
        return output();

    // Nothing decoded from there (truncated file) or the seek landed late: step back.
    for (double back = 1.0;; back *= 2) {
        const double pos = target - back;
        const bool toStart = pos <= startSec;
        seekTo(toStart ? startSec : pos);
        decodeUntil(target);
        if (haveCur && (toStart || !landedTooLate(target)))
            return output();
        if (toStart)
            break;
    }
    throw InputError(kNothingDecodable);
}

VideoFrame VideoDecoder::Impl::fast(double seconds)
{
    const double target = clampTarget(seconds);
    const double key = nearestKeyframe(target);
    if (!std::isnan(key) && haveOut && key == lastFastKey && haveCur && outTime == curTime)
        return output();

    // Decode keyframes only, and leave the decoder as it was. Not for streams whose times come
    // from counting frames: skipped frames would not be counted.
    struct SkipNonKey {
        AVCodecContext* c;
        SkipNonKey(AVCodecContext* ctx, bool on) : c(on ? ctx : nullptr)
        {
            if (c)
                c->skip_frame = AVDISCARD_NONKEY;
        }
        ~SkipNonKey()
        {
            if (c)
                c->skip_frame = AVDISCARD_DEFAULT;
        }
    } skip(codec.get(), !noTimestamps);

    if (!std::isnan(key)) {
        // The index names the nearest keyframe: seek straight to it.
        seekTo(key);
        nextFrame();
        continuable = false; // the frames after it were skipped: never decode on from here
    } else {
        // No index: from before the target, walk the keyframes to the first one at or after
        // it, and keep whichever of it and the keyframe before it is nearer.
        if (!(noTimestamps && canContinueTo(target)))
            seekTo(target);
        FramePtr before = allocFrame();
        double beforeTime = kNoTime;
        bool found = false;
        while (nextFrame()) {
            if (!frameIsKey(cur.get()))
                continue;
            if (curTime >= target - kEps) {
                found = true;
                break;
            }
            av_frame_unref(before.get());
            av_frame_ref(before.get(), cur.get());
            beforeTime = curTime;
        }
        if (beforeTime > kNoTime && (!found || target - beforeTime < curTime - target)) {
            av_frame_unref(cur.get());
            av_frame_move_ref(cur.get(), before.get());
            curTime = beforeTime;
            haveCur = true;
            eof = false; // `cur` is no longer the last frame read: a later request must seek
            continuable = false;
        }
        prevTime = curTime - 2 * kEps; // answers for exactly this time only
        if (!noTimestamps)
            continuable = false;
    }
    if (haveCur) {
        lastFastKey = key;
        return output();
    }
    // Nothing decodes from there (a truncated file): step back, and take the last keyframe
    // that decodes before the target.
    for (double back = 1.0;; back *= 2) {
        const double pos = std::min(target, std::isnan(key) ? target : key) - back;
        seekTo(pos);
        decodeUntil(target);
        continuable = false;
        if (haveCur) {
            lastFastKey = std::nan("");
            return output();
        }
        if (pos <= startSec)
            break;
    }
    throw InputError(kNothingDecodable);
}

VideoDecoder::VideoDecoder(const std::string& path, const DecoderOptions& options)
    : d(std::make_unique<Impl>())
{
    ensureFfmpegReady();
    d->path = path;
    d->opts = options;
    d->openInput();
    d->openCodec();
    d->describe();
    d->trustIndex = indexIsComplete(d->fmt.get(), d->st);
    if (d->trustIndex) {
        const AVIndexEntry* first = avformat_index_get_entry(d->st, 0);
        d->indexOffset = d->startSec - first->timestamp * d->tb;
        if (std::fabs(d->indexOffset) > 10) // an index that disagrees with the stream: ignore it
            d->trustIndex = false;
    }
}

VideoDecoder::~VideoDecoder() = default;
VideoDecoder::VideoDecoder(VideoDecoder&&) noexcept = default;
VideoDecoder& VideoDecoder::operator=(VideoDecoder&&) noexcept = default;

const VideoInfo& VideoDecoder::info() const
{
    return d->info;
}

const DecoderStats& VideoDecoder::stats() const
{
    return d->stats;
}

VideoFrame VideoDecoder::frameAt(double seconds, SeekMode mode)
{
    return mode == SeekMode::Fast ? d->fast(seconds) : d->accurate(seconds);
}

VideoInfo probe(const std::string& path, const ProbeOptions& options)
{
    VideoDecoder decoder(path, DecoderOptions{32, 0});
    if (options.requireDecodable) {
        if (decoder.info().encrypted)
            throw InputError(kEncrypted);
        decoder.frameAt(0); // throws when nothing decodes or the packets are encrypted
    }
    return decoder.info();
}

} // namespace vop::media
