#pragma once
// Training and evaluation data: videos with captions, read from three layouts (no decoding here,
// no torch):
//  1. labelled folders: ROOT/<label>/*.mp4, the caption being the folder name ("_" read as a
//     space), optionally through a template such as "a video of {}";
//  2. sidecar captions: clip.mp4 beside clip.txt (anywhere under ROOT), one caption per line;
//  3. MSR-VTT: the annotation JSON (MSRVTT_data.json: "videos" with split, "sentences" with
//     video_id and caption, or a flat list of {video_id, caption[, split]}) or a CSV with a header
//     (video_id; caption or sentence; optional split), plus a folder of <video_id>.<ext> files and
//     optionally a split list (MSRVTT_train.9k.csv, MSRVTT_train.7k.csv, a text file of ids, or
//     MSRVTT_JSFUSION_test.csv for 1k-A, whose sentences then replace the video's captions).
// Problems with single samples (a missing video, an empty caption file, a row without a caption)
// skip the sample and are counted with a message naming the file and line; problems that make
// the whole input unusable throw InputError naming the file and line.
#include <cstdint>
#include <string>
#include <vector>

namespace vop {

// Bounds on what the readers accept (docs/RELIABILITY.md): an annotation, split-list or caption
// file larger than kMaxTextFileBytes is refused with a message; captions of a video beyond
// kMaxCaptionsPerVideo are ignored (said once in `skipped`). MSR-VTT has 20 per video in a 25 MB file.
constexpr uint64_t kMaxTextFileBytes = 256ull << 20;
constexpr size_t kMaxCaptionsPerVideo = 1000;

struct VideoItem {
    std::string id;                    // label/file stem, sidecar path, or MSR-VTT video_id
    std::string path;                  // the video file
    std::vector<std::string> captions; // at least one
    std::string split;                 // MSR-VTT "train"/"validate"/"test"; "" elsewhere
    std::string framesFile;            // the frame cache entry, once prepared (FrameCache)
};

struct Dataset {
    std::string format; // "folders", "sidecar", "msrvtt"
    std::string source; // what was read (folder or annotation file)
    std::vector<VideoItem> videos;
    std::vector<std::string> skipped; // one message per skipped sample ("file:line: why")

    size_t captionCount() const;
};

struct DatasetOptions {
    std::string captionTemplate = "{}"; // folders: "{}" is replaced by the label
    // msrvtt
    std::string videoDir;  // "" = videos/all, videos or the annotation file's folder, whichever holds them
    std::string split;     // keep only videos of this split ("" = all); "val" also matches "validate"
    std::string splitList; // keep only the ids in this list (CSV with a video_id column or one id per line)
};

// Labelled folders. Throws InputError when ROOT is missing or has no label folder with videos.
Dataset readLabelledFolders(const std::string& root, const DatasetOptions& options = {});
// Sidecar captions. Throws InputError when ROOT is missing or holds no captioned video.
Dataset readSidecarCaptions(const std::string& root, const DatasetOptions& options = {});
// MSR-VTT style annotations (a .json or .csv file, or a folder holding MSRVTT_data.json).
Dataset readMsrvtt(const std::string& annotations, const DatasetOptions& options = {});
// One of the above by name: "folders", "sidecar", "msrvtt".
Dataset readDataset(const std::string& format, const std::string& path, const DatasetOptions& options = {});

// Whether the file name ends in a video extension (case-insensitive).
bool hasVideoExtension(const std::string& path);

// Splits by video (never a video's captions apart), seeded and stratified by label (a video's
// first caption: the folder's caption for labelled folders): every label with at least two videos
// has at least one in training and one in validation, and round(fraction * N) videos (at least
// two when fraction > 0; more when there are more such labels) go to `validation`, shared among
// the labels in proportion to their size; labels with a single video (and captions that are all
// different, as in MSR-VTT) fill the rest in a seeded order. Throws InputError when the training
// part would hold fewer than two videos.
struct DatasetSplit {
    Dataset train, validation;
};
DatasetSplit splitValidation(const Dataset& data, double fraction, uint64_t seed);

// Throws InputError unless the dataset holds at least `minimum` videos ("what" names the use).
void requireVideos(const Dataset& data, size_t minimum, const std::string& what);

// A fingerprint of the videos and captions (order-sensitive), for resume checks.
std::string datasetFingerprint(const Dataset& data);

} // namespace vop
