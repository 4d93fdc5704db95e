#pragma once
// Plain records exchanged with the Catalog. Times: `*_at` are Unix seconds, file mtimes are
// nanoseconds since the Unix epoch (what std::filesystem / stat give), segment bounds are
// seconds from the start of the video. Unknown media facts are 0 / "" (NULL in the database).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vop::store {

enum class FileStatus { Pending, Indexed, Skipped, Failed, Offline };

const char* toString(FileStatus s);           // "pending", "indexed", ...
FileStatus fileStatusFromString(const std::string& s); // throws vop::Error on an unknown name

struct RootRecord {
    int64_t id = 0;
    std::string path;
    int64_t addedAt = 0;
    bool mounted = true;
};

// What a folder scan knows about a file; the input of Catalog::upsertFile.
struct FileInfo {
    std::string path;
    std::optional<int64_t> rootId;
    int64_t size = 0;
    int64_t mtimeNs = 0;
    std::string contentHash; // hash of head + tail, hex; "" when not computed yet
};

// What decoding learns about a file.
struct MediaInfo {
    double durationSeconds = 0;
    int width = 0;
    int height = 0;
    std::string codec;
};

struct FileRecord {
    int64_t id = 0;
    std::optional<int64_t> rootId;
    std::string path;
    int64_t size = 0;
    int64_t mtimeNs = 0;
    std::string contentHash;
    MediaInfo media;
    FileStatus status = FileStatus::Pending;
    std::string error;
    int64_t indexedAt = 0; // 0 when never indexed
};

struct UpsertResult {
    int64_t fileId = 0;
    bool created = false; // a new record
    bool changed = false; // an existing record whose size, mtime or content hash changed
};

struct ModelRecord {
    int64_t id = 0;
    std::string sha256; // of the checkpoint file
    std::string name;
    int dim = 0;        // embedding dimension
};

struct PromptSetRecord {
    int64_t id = 0;
    std::string sha256; // of the prompt-set file
    std::string variant;
    int64_t modelId = 0; // the backbone it was fitted on
    std::string name;
};

// One vector of a segment, in the space of (model, prompt set); no prompt set = zero-shot.
struct EmbeddingInput {
    int64_t modelId = 0;
    std::optional<int64_t> promptSetId;
    std::vector<float> vector; // float32, size = the model's dim; need not be normalised
};

struct SegmentContent {
    double start = 0;
    double end = 0;
    std::string thumbnailJpeg; // may be empty
    std::vector<EmbeddingInput> embeddings;
};

// Everything indexing produced for one file, written by Catalog::replaceFileContent.
struct FileContent {
    std::optional<MediaInfo> media; // when set, replaces the file's media facts
    std::vector<SegmentContent> segments;
};

struct ReplaceResult {
    std::vector<int64_t> segmentIds;            // in the order given
    std::vector<int64_t> embeddingIds;          // new rows, in the order given
    std::vector<int64_t> removedEmbeddingIds;   // rows of the previous content (any model)
};

// An embedding added to an existing segment (e.g. for a newly fitted prompt set).
struct NewEmbedding {
    int64_t segmentId = 0;
    EmbeddingInput embedding;
};

struct SegmentRecord {
    int64_t id = 0;
    int64_t fileId = 0;
    double start = 0;
    double end = 0;
    bool hasThumbnail = false;
};

// A search hit resolved to its moment: which file, where in it.
struct SegmentHit {
    int64_t embeddingId = 0;
    int64_t segmentId = 0;
    int64_t fileId = 0;
    std::string path;
    double start = 0;
    double end = 0;
    FileStatus fileStatus = FileStatus::Indexed;
};

struct CatalogCounts {
    int64_t roots = 0;
    int64_t files = 0;
    int64_t indexedFiles = 0;
    int64_t pendingFiles = 0;
    int64_t skippedFiles = 0;
    int64_t failedFiles = 0;
    int64_t offlineFiles = 0;
    int64_t segments = 0;
    int64_t embeddings = 0;
};

// The embeddings of one (model, prompt set) as a whole.
struct EmbeddingStats {
    int64_t count = 0;
    int64_t maxRowid = 0; // 0 when none
};

} // namespace vop::store
