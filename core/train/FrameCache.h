#pragma once
// Decoded frames, kept on disk so that epochs (and later runs) never decode a video again.
// A video contributes F segments x S candidate frames (the middles of F*S equal parts of it,
// in time order); with S odd the middle candidate of segment j is the middle of the segment,
// the frame evaluation uses, and training draws one candidate per segment at random. Frames are
// stored preprocessed as uint8 R x R RGB (shorter side resized bicubic as Pillow does, centre
// crop), so evaluation only normalises them. Entries are keyed by the sha256 of the video file
// and the sampling settings. No torch, no FFmpeg: decoding is injected (VideoFrames.h gives the
// FFmpeg one).
#include "train/Dataset.h"
#include "util/Image.h"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace vop {

struct FrameSampling {
    int frames = 12;     // F
    int perSegment = 3;  // S candidates per segment
    int resolution = 224;

    int count() const { return frames * perSegment; }
    int index(int segment, int candidate) const { return segment * perSegment + candidate; }
    int evalIndex(int segment) const { return segment * perSegment + perSegment / 2; }
    std::string key() const; // "F12xS3@224/v1"
};

class FrameCache {
public:
    // Raw frames of a video at the middles of `count` equal parts of it, in order (fewer than
    // `count` are padded by repeating the last). Throws on failure.
    using Decoder = std::function<std::vector<RgbImage>(const std::string& videoPath, int count)>;

    // `dir` is created when needed. Throws InputError for impossible sampling settings.
    FrameCache(std::string dir, FrameSampling sampling);

    const std::string& dir() const { return m_dir; }
    const FrameSampling& sampling() const { return m_sampling; }

    // The cache file of a video, decoding it first unless a valid entry exists (`reused` says
    // which). Decoding errors propagate (InputError from the decoder). Written atomically.
    std::string ensure(const std::string& videoPath, const Decoder& decode, bool* reused = nullptr);

    // Frames `indices` (0 .. count()-1) of a cache file, R x R each. Throws Error when the file
    // is missing or damaged.
    std::vector<RgbImage> load(const std::string& file, const std::vector<int>& indices) const;

    // Writes frames (raw, any size) as an entry for the key of `videoPath` (for tests and tools).
    std::string store(const std::string& videoPath, const std::vector<RgbImage>& rawFrames);

private:
    std::string entryPath(const std::string& videoPath) const;
    bool valid(const std::string& file) const;

    std::string m_dir;
    FrameSampling m_sampling;
};

// userDataDir()/frame-cache
std::string defaultFrameCacheDir();

struct PrepareReport {
    size_t decoded = 0, reused = 0, failed = 0;
};

// Sets framesFile of every video of `data`; a video that fails to decode is removed and recorded
// in data.skipped with the decoder's message. `progress(done, total)` after each video; `cancel`
// makes it throw Cancelled between videos.
PrepareReport prepareFrames(Dataset& data, FrameCache& cache, const FrameCache::Decoder& decode,
                            const std::function<void(size_t, size_t)>& progress = {},
                            const std::atomic<bool>* cancel = nullptr);

} // namespace vop
