// Opening a video: the input, its best video stream, the decoder, and what the headers say.
#include "media/internal/VideoDecoderImpl.h"

#include "util/Error.h"
#include "util/Log.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vop::media {

using namespace detail;

namespace {

bool isMatroska(const AVFormatContext* fmt)
{
    return std::string(fmt->iformat->name).rfind("matroska", 0) == 0;
}

// Whether the keyframe index can tell where keyframes lie ahead of the read position. Only
// formats that read a whole index (MP4 sample tables, Matroska cues, AVI idx1) qualify, and
// only when it reaches the end: MPEG-TS, raw streams, cue-less Matroska and fragmented MP4
// index as they read, and a partial index would send far targets to an early keyframe.
bool indexIsComplete(const AVFormatContext* fmt, AVStream* st, double indexOffset, double tb,
                     double startSec, double duration)
{
    const int n = avformat_index_get_entries_count(st);
    const std::string name = fmt->iformat->name;
    if (n < 2 || duration <= 0 || !(name.rfind("mov", 0) == 0 || isMatroska(fmt) || name == "avi"))
        return false;
    const double last = avformat_index_get_entry(st, n - 1)->timestamp * tb + indexOffset;
    return last >= startSec + duration - std::max(30.0, 0.1 * duration);
}

} // namespace

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

// Before the decoder is opened and before a packet is read for the duration scan: FFmpeg sizes
// its buffers from these.
void VideoDecoder::Impl::checkDimensions() const
{
    const int w = st->codecpar->width, h = st->codecpar->height;
    if (w > kMaxVideoSide || h > kMaxVideoSide || int64_t(w) * h > kMaxVideoPixels)
        throw InputError("the video claims " + std::to_string(w) + "x" + std::to_string(h) +
                         " pixels; vopsearch reads videos up to " + std::to_string(kMaxVideoSide) +
                         " pixels a side and 8192x8192 in all (a damaged header?)");
}

void VideoDecoder::Impl::checkDuration() const
{
    if (info.duration > kMaxVideoSeconds)
        throw InputError("the video claims to last " + std::to_string(int64_t(info.duration / 3600)) +
                         " hours; vopsearch reads videos up to " + std::to_string(int(kMaxVideoSeconds / 3600)) +
                         " hours long (a damaged header?)");
}

VideoDecoder::VideoDecoder(const std::string& path, const DecoderOptions& options)
    : d(std::make_unique<Impl>())
{
    ensureFfmpegReady();
    d->path = path;
    d->opts = options;
    d->openInput();
    d->checkDimensions();
    d->openCodec();
    d->describe();
    d->checkDuration();
    // Matroska reads its cues on the first seek; seeking to the start loads them now.
    if (isMatroska(d->fmt.get()) && d->st->start_time != AV_NOPTS_VALUE)
        av_seek_frame(d->fmt.get(), d->vs, d->st->start_time, AVSEEK_FLAG_BACKWARD);
    if (avformat_index_get_entries_count(d->st) > 0) {
        const AVIndexEntry* first = avformat_index_get_entry(d->st, 0);
        d->indexOffset = d->startSec - first->timestamp * d->tb;
        d->trustIndex = std::fabs(d->indexOffset) <= 10 && // else the index disagrees with the stream
                        indexIsComplete(d->fmt.get(), d->st, d->indexOffset, d->tb, d->startSec, d->info.duration);
    }
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
