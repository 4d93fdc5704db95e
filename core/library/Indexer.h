#pragma once
// The indexing pipeline: scan the roots (LibrarySync), then
//
//   decode workers (VideoSegments: segments, F frames, thumbnail)  -- bounded queue -->
//   one encoder thread (VopEncoder, batches of clips; GPU when the encoder is on one) -->
//   the writer (the thread that called run()): one transaction per file, then the HNSW index.
//
// Nothing half-written is ever visible: a file's segments, thumbnails and embeddings are
// committed together (Catalog::replaceFileContent) or not at all, and a kill at any moment
// leaves pending files that the next run picks up. The index file is saved every
// `indexSaveSeconds` and at the end; after a kill it is brought up to date from the catalog.
//
// Threads: run() blocks; pause(), resume() and cancel() may be called from any thread while
// it runs, and cancel() also before: the run then returns at once, cancelled (flags clear when a run ends). The progress callback runs on run()'s
// thread, after every file written and every 100 ms. Exceptions never escape a worker:
// a file that cannot be decoded is reported (skipped: not a usable video; failed: anything
// else) and the run goes on.
#include "library/EmbeddingSpace.h"
#include "library/LibrarySync.h"
#include "library/VideoSegments.h"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vop {
class VopEncoder;
}

namespace vop::library {

struct IndexerOptions {
    SyncOptions sync;
    SegmentOptions segments;      // `frames` is taken from the encoder
    int decodeWorkers = 0;        // 0: from the core count (1..4)
    int segmentsPerBatch = 0;     // segments per encoder call (x F frames); 0: 4 on a CPU, 16 on CUDA
    int queuedSegments = 0;       // decoded segments waiting for the encoder; 0: 4 batches
    double indexSaveSeconds = 30; // save the index this often while indexing (and at the end)
    bool waitForLock = false;     // another indexer on the same catalog: wait (else InputError)
    // When set, the catalog only learns files and spaces but nothing is decoded (a dry run).
    bool scanOnly = false;
    // Held around every encoder batch, so that another user of the same encoder (a search's text
    // query) runs between two batches instead of after the whole run. Null: not shared.
    std::mutex* encoderLock = nullptr;
    // A segment whose every frame differs from the same frame of the file's previous segment by
    // at most this mean absolute difference (0-255 per channel, on the decoded frames the model
    // resizes: short side 224) reuses that segment's embedding instead of being encoded (static
    // shots, slides, screen recordings). 0: only identical frames; < 0: off. The error this
    // allows is measured in docs/LIBRARY.md ("Segments that need no encoding").
    double reuseMaxDiff = 1.0;
    // While this flag is set the run pauses as if pause() had been called (a job's pause).
    const std::atomic<bool>* pauseFlag = nullptr;
    // An outside cancel flag (a job's), read wherever the pipeline checks for a pause (each
    // decoded segment, each encoder batch, and while paused): a cancelled job stops there
    // instead of running on until the next progress callback.
    const std::atomic<bool>* cancelFlag = nullptr;
    // Progress of loading / building the space's index before the pipeline starts (a rebuild of
    // a million vectors takes minutes); returning false cancels the run.
    std::function<bool(size_t done, size_t total)> indexBuildProgress;
};

struct IndexProgress {
    enum class Phase { Scanning, Indexing, Finishing };
    Phase phase = Phase::Scanning;
    int64_t filesFound = 0;     // candidates found so far (scanning)
    int64_t filesTotal = 0;     // files to index in this run
    int64_t filesDone = 0;      // indexed + skipped + failed + postponed
    int64_t filesIndexed = 0;
    int64_t filesSkipped = 0;
    int64_t filesFailed = 0;
    int64_t segmentsDone = 0;
    int64_t framesDone = 0;
    double elapsedSeconds = 0;
    double framesPerSecond = 0;
    double etaSeconds = -1;     // < 0: unknown yet
    bool paused = false;
    std::string currentPath;    // the file written last
};
using IndexProgressFn = std::function<void(const IndexProgress&)>;

// Where the time went. decode is summed over the decode workers (busy time, not wall time);
// encoderWait is the encoder thread waiting for decoded clips (decoding is the bottleneck when
// it is large).
struct IndexTimings {
    double wall = 0;
    double scan = 0;
    double decode = 0;
    double decodeCpu = 0;   // CPU time of the decode workers (their own threads: FFmpeg runs there)
    double encode = 0;
    double store = 0;
    double encoderWait = 0;
    double indexSave = 0;
    int decodeWorkers = 0;
    int segmentsPerBatch = 0;
};

struct IndexReport {
    SpaceIdentity space;
    SyncReport sync;
    std::vector<std::string> indexed;   // files indexed in this run
    std::vector<PathProblem> skipped;   // not usable as videos, postponed, deleted meanwhile
    std::vector<PathProblem> failed;    // unreadable, or an error while decoding or encoding
    int64_t segments = 0;               // segments written in this run
    int64_t frames = 0;                 // frames decoded (and encoded, or reused) in this run
    int64_t framesEncoded = 0;          // frames that went through the encoder
    int64_t segmentsReused = 0;         // segments that took the previous one's embedding
    bool cancelled = false;
    size_t indexVectors = 0;            // vectors in the space's index at the end
    std::string indexFile;
    IndexTimings timings;
};

class Indexer {
public:
    // `dbPath`: the catalog (created when missing). The encoder is used by the encoder thread
    // only, during run().
    Indexer(std::string dbPath, VopEncoder& encoder, IndexerOptions options = {});
    ~Indexer();
    Indexer(const Indexer&) = delete;
    Indexer& operator=(const Indexer&) = delete;

    // Scans `roots` and indexes what is new or changed under them. Throws InputError when
    // another indexer holds the catalog (unless waitForLock), Cancelled never (a cancelled run
    // returns with report.cancelled), other vop::Error on a failing catalog.
    IndexReport run(const std::vector<std::string>& roots, const IndexProgressFn& progress = {});

    void pause();
    void resume();
    void cancel();
    bool isPaused() const;
    bool isCancelled() const;

    // The live index of the space being written (null before the pipeline starts); safe to
    // search from another thread while run() adds to it.
    std::shared_ptr<store::VectorIndex> liveIndex() const;

    struct Impl;

private:
    std::unique_ptr<Impl> d;
};

} // namespace vop::library
