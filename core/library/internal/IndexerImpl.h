#pragma once
// Indexer's private parts, shared by Indexer.cpp (the run: the lock, the scan, the work list) and
// IndexerPipeline.cpp (the decode, encode and write stages). Only core/library includes this.
#include "library/Indexer.h"
#include "library/internal/BlockingQueue.h"
#include "store/IndexSync.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace vop::library {

namespace detail {

using Clock = std::chrono::steady_clock;

inline double since(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Job {
    store::FileRecord file;
    bool addSpace = false;                   // indexed already; only this space's embeddings are missing
    std::vector<store::SegmentRecord> existing;
};

// One file on its way through the pipeline. Every field is guarded by `mu`.
struct FileTask {
    explicit FileTask(Job j) : job(std::move(j)) {}
    Job job;
    std::mutex mu;
    std::optional<store::MediaInfo> media;
    std::vector<media::Segment> spans;
    std::vector<std::string> thumbs;
    std::vector<std::vector<float>> vectors;
    size_t expected = 0;
    size_t encoded = 0;
    bool decodeDone = false;
    bool handedOff = false;
    bool cancelled = false;
    enum class Problem { None, Skip, Fail } problem = Problem::None;
    std::string reason;
};

struct SegmentItem {
    FileTask* task = nullptr;
    size_t index = 0;
    std::vector<RgbImage> frames; // empty when it reuses an embedding
    size_t reuseOf = kNoReuse;    // else: the earlier segment of the file whose embedding it takes
    static constexpr size_t kNoReuse = size_t(-1);
};

// Mean absolute difference of two images of the same size (0-255), or +inf when the sizes differ.
double meanAbsDiff(const RgbImage& a, const RgbImage& b);

// Whether every frame of `next` is within `maxDiff` of the same frame of `prev`.
bool sameFrames(const std::vector<RgbImage>& prev, const std::vector<RgbImage>& next, double maxDiff);

} // namespace detail

struct Indexer::Impl {
    Impl(std::string db, VopEncoder& enc, IndexerOptions o) : dbPath(std::move(db)), encoder(enc), options(std::move(o)) {}

    std::string dbPath;
    VopEncoder& encoder;
    IndexerOptions options;

    std::atomic<bool> paused{false};
    std::atomic<bool> cancelled{false};
    std::mutex pauseMu;
    std::condition_variable pauseCv;

    mutable std::mutex indexMu;
    std::shared_ptr<store::VectorIndex> index;

    bool pausedNow() const { return paused || (options.pauseFlag && options.pauseFlag->load()); }

    // False when cancelled; blocks while paused.
    bool waitWhilePaused()
    {
        std::unique_lock<std::mutex> lock(pauseMu);
        // An outside pause flag (a job's) is polled; pause() / resume() / cancel() wake at once.
        auto outsideCancel = [&] { return options.cancelFlag && options.cancelFlag->load(); };
        while (!pauseCv.wait_for(lock, std::chrono::milliseconds(50),
                                 [&] { return !pausedNow() || cancelled || outsideCancel(); })) {
        }
        if (outsideCancel())
            cancelled = true;
        return !cancelled;
    }

    IndexReport run(Indexer& self, const std::vector<std::string>& roots, const IndexProgressFn& progress);
    void runPipeline(store::Catalog& catalog, const store::IndexKey& key, std::vector<detail::Job> jobs,
                     IndexReport& report, IndexProgress& prog, const IndexProgressFn& progress,
                     const std::string& indexDir);
    struct Pipeline;
};

// The indexing pipeline of one run, in three stages: decode workers read the segments of files,
// one encoder thread embeds them in batches, and the writer (the thread that called run) stores
// each complete file. This is the state they share; each group says who touches it.
struct Indexer::Impl::Pipeline {
    Pipeline(Impl& owner, store::Catalog& cat, const store::IndexKey& k, std::vector<detail::Job> jobs,
             IndexReport& rep, IndexProgress& pr, const IndexProgressFn& fn, const std::string& dir);

    void run();

    // Set up before the threads start, read-only afterwards.
    Impl& d;
    store::Catalog& catalog;
    const store::IndexKey& key;
    IndexReport& report;
    IndexProgress& prog;
    const IndexProgressFn& progress;
    const std::string& indexDir;
    const detail::Clock::time_point t0 = detail::Clock::now();
    const int frames;
    SegmentOptions clipOptions;
    SegmentOptions addOptions;
    int segmentsPerBatch = 0;
    size_t batch = 0;
    int workers = 0;
    std::vector<std::unique_ptr<detail::FileTask>> tasks;
    int64_t bytesTotal = 0;

    // Between the stages. The encode queue is bounded; its capacity is known once set up.
    std::optional<detail::BlockingQueue<detail::SegmentItem>> encodeQueue;
    detail::BlockingQueue<detail::FileTask*> writeQueue;

    // Decode workers.
    std::atomic<size_t> next{0};
    std::atomic<int> workersLeft{0};
    std::mutex timeMu; // guards decodeSeconds and decodeCpu
    double decodeSeconds = 0, decodeCpu = 0;

    // The encoder thread (read by the writer after it joined).
    double encodeSeconds = 0, encoderWait = 0;
    int64_t framesEncoded = 0, segmentsReused = 0;
    std::exception_ptr encoderFailure;

    // The writer.
    std::string indexPath;
    std::shared_ptr<store::VectorIndex> index;
    int64_t bytesDone = 0;
    detail::Clock::time_point lastSave, lastProgress; // set when the writer starts
    std::exception_ptr writerFailure;
    std::set<int64_t> offlineRoots; // roots that went away during this run

    void handOff(detail::FileTask& t);

    // Decode stage (one per worker thread).
    void decodeStage();
    void decodeFile(detail::FileTask& t, double& busy, detail::Clock::time_point& tb);

    // Encode stage (one thread).
    void encodeStage();
    void encodeItems(std::vector<detail::SegmentItem>& items);
    void storeVectors(const std::vector<detail::SegmentItem*>& live, std::vector<std::vector<float>>& vecs,
                      const std::string& failure);

    // Write stage (this thread).
    void writeStage();
    void writeFile(detail::FileTask& t);
    void storeFailure(detail::FileTask& t, detail::FileTask::Problem problem, const std::string& reason);
    void storeContent(detail::FileTask& t);
    bool rootWentAway(const store::FileRecord& f);
    void reportProgress();
    void saveIndex();
    void stopWorkers();
};

} // namespace vop::library
