#pragma once
// One video cut into the clips that get an embedding each: its segments (media::planSegments),
// F frames sampled uniformly in each, and a thumbnail per segment. Shared by the indexing
// pipeline and query by example, so both see a video the same way.
#include "media/Segments.h"
#include "media/VideoDecoder.h"
#include "store/CatalogTypes.h"
#include "util/Image.h"

#include <string>
#include <vector>

namespace vop::library {

struct SegmentOptions {
    int frames = 12;              // F frames per segment
    double segmentMax = 30;       // a video up to this long is one segment
    double window = 15;           // longer ones: windows of this length ...
    double overlap = 0;           // ... overlapping by this much
    media::SeekMode seek = media::SeekMode::Accurate;
    int maxShortSide = 224;       // decode size (area downscale); the model resizes again
    int decoderThreads = 1;       // FFmpeg threads per open file
    bool skipNonReference = true; // media::DecoderOptions::skipNonReference
    bool thumbnails = true;
    int thumbnailSide = 320;      // longer side of the JPEG
    int thumbnailQuality = 80;
};

struct DecodedSegment {
    media::Segment span;
    std::vector<RgbImage> frames; // options.frames of them, upright
    std::string thumbnailJpeg;    // "" when thumbnails are off
};

class VideoSegments {
public:
    // Opens the file. Throws vop::InputError with a reason a person understands (not a video,
    // no video stream, encrypted, nothing decodable, ...).
    VideoSegments(const std::string& path, const SegmentOptions& options);
    ~VideoSegments();
    VideoSegments(VideoSegments&&) noexcept;
    VideoSegments& operator=(VideoSegments&&) noexcept;

    const media::VideoInfo& info() const;
    store::MediaInfo mediaInfo() const;
    // The planned segments (from the duration and the options).
    const std::vector<media::Segment>& segments() const;
    // The frames and the thumbnail of a span (normally one of segments(); cheapest in
    // increasing order). Throws InputError when nothing in the file decodes.
    DecodedSegment read(const media::Segment& span);
    const media::DecoderStats& stats() const;

private:
    media::VideoDecoder m_decoder;
    SegmentOptions m_options;
    std::vector<media::Segment> m_segments;
};

} // namespace vop::library
