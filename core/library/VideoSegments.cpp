#include "library/VideoSegments.h"

#include "media/FrameSampler.h"
#include "media/ImageCodec.h"
#include "media/Thumbnail.h"
#include "util/Error.h"

#include <cmath>

namespace vop::library {

namespace {

media::DecoderOptions decoderOptions(const SegmentOptions& o)
{
    media::DecoderOptions d;
    d.maxShortSide = o.maxShortSide;
    d.threads = o.decoderThreads;
    d.skipNonReference = o.skipNonReference;
    return d;
}

} // namespace

namespace {

// FFmpeg's wording for a file no demuxer accepts says little to a person; say what it means.
media::VideoDecoder openDecoder(const std::string& path, const SegmentOptions& options)
{
    try {
        return media::VideoDecoder(path, decoderOptions(options));
    } catch (const InputError& e) {
        const std::string what = e.what();
        if (what.find("Invalid data found") != std::string::npos)
            throw InputError("not a video FFmpeg can read, or a damaged one (" + what + ")");
        throw;
    }
}

} // namespace

VideoSegments::VideoSegments(const std::string& path, const SegmentOptions& options)
    : m_decoder(openDecoder(path, options)), m_options(options)
{
    if (m_options.frames < 1)
        throw InputError("frames per clip must be at least 1");
    const auto& info = m_decoder.info();
    if (info.encrypted)
        throw InputError("encrypted video (DRM): it cannot be decoded");
    const double duration = std::isfinite(info.duration) ? std::max(0.0, info.duration) : 0.0;
    m_segments = media::planSegments(duration, options.segmentMax, options.window, options.overlap);
}

VideoSegments::~VideoSegments() = default;
VideoSegments::VideoSegments(VideoSegments&&) noexcept = default;
VideoSegments& VideoSegments::operator=(VideoSegments&&) noexcept = default;

const media::VideoInfo& VideoSegments::info() const { return m_decoder.info(); }
const std::vector<media::Segment>& VideoSegments::segments() const { return m_segments; }
const media::DecoderStats& VideoSegments::stats() const { return m_decoder.stats(); }

store::MediaInfo VideoSegments::mediaInfo() const
{
    const auto& i = m_decoder.info();
    store::MediaInfo m;
    m.durationSeconds = i.duration;
    m.width = i.width;
    m.height = i.height;
    m.codec = i.codec;
    return m;
}

DecodedSegment VideoSegments::read(const media::Segment& span)
{
    DecodedSegment out;
    out.span = span;
    auto frames = media::sampleFrames(m_decoder, span.start, span.end, m_options.frames, m_options.seek);
    if (frames.size() != size_t(m_options.frames))
        throw InputError("could not sample " + std::to_string(m_options.frames) + " frames");
    for (const auto& f : frames)
        if (f.image.empty())
            throw InputError("a decoded frame is empty");
    if (m_options.thumbnails) {
        const size_t best = media::pickThumbnail(frames);
        out.thumbnailJpeg = media::encodeJpeg(frames[best].image, m_options.thumbnailSide, m_options.thumbnailQuality);
    }
    out.frames.reserve(frames.size());
    for (auto& f : frames)
        out.frames.push_back(std::move(f.image));
    return out;
}

} // namespace vop::library
