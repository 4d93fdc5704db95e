// Decoding and seeking: frames at given times, by decoding forward where that is cheaper.
#include "media/internal/VideoDecoderImpl.h"

#include "util/Error.h"
#include "util/Log.h"

#include <algorithm>

namespace vop::media {

using namespace detail;

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
        if (packetsSinceFrame > kMaxPacketsWithoutFrame && codec->skip_frame == AVDISCARD_DEFAULT) {
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
        sendPacket();
    }
}

// Sends `pkt` to the decoder; packets before skipBefore go with AVDISCARD_NONREF, so that the
// decoder drops them when no other frame refers to them.
void VideoDecoder::Impl::sendPacket()
{
    const double t = pkt->pts != AV_NOPTS_VALUE ? pkt->pts * tb : std::nan("");
    const bool droppable = skipBefore > kNoTime && t < skipBefore; // false for NaN
    if (droppable)
        skippedUpTo = std::max(skippedUpTo, t);
    if (skipBefore > kNoTime)
        codec->skip_frame = droppable ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
    const int r = avcodec_send_packet(codec.get(), pkt.get());
    av_packet_unref(pkt.get());
    if (r < 0 && r != AVERROR(EAGAIN))
        ++stats.decodeErrors;
}

void VideoDecoder::Impl::decodeUntil(double target)
{
    while (!(haveCur && curTime >= target - kEps))
        if (!nextFrame())
            break;
}

// decodeUntil, not decoding the non-reference frames more than a frame before the target. A
// dropped frame never comes out, so the frame before `cur` may be one that was dropped:
// prevTime takes the latest dropped time. A stream that ends before the target may have
// dropped its last frames, which answer such a target: then it decodes again, dropping nothing.
void VideoDecoder::Impl::decodeForwardTo(double target)
{
    if (!opts.skipNonReference || noTimestamps) {
        decodeUntil(target);
        return;
    }
    skipBefore = target - frameDur;
    skippedUpTo = kNoTime;
    decodeUntil(target);
    skipBefore = kNoTime;
    codec->skip_frame = AVDISCARD_DEFAULT;
    if (haveCur && curTime >= target - kEps) {
        prevTime = std::max(prevTime, std::min(skippedUpTo, curTime - 2 * kEps));
        return;
    }
    if (skippedUpTo > kNoTime && (!haveCur || skippedUpTo > curTime)) {
        seekTo(target);
        decodeUntil(target);
    }
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
    // NaN: the start; far past the end (or +inf): the end, without overflowing a timestamp
    const double s = std::isnan(seconds) ? 0.0 : std::clamp(seconds, 0.0, std::max(info.duration, 0.0) + 3600.0);
    double target = startSec + s;
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
    decodeForwardTo(target);
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

} // namespace vop::media
