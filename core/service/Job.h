#pragma once
// One job model for every long operation (indexing, index rebuild, model loading, frame-cache
// preparation, training, evaluation): a JobControl that the caller keeps and the job polls.
//
//   JobControl job;                       // caller side (e.g. the GUI thread)
//   job.onProgress([](const JobProgress& p) { ... });   // runs on the job's thread
//   std::thread t([&] { auto out = runJob<IndexReport>(job, [&](JobControl& c) { return svc.index(roots, c); }); });
//   job.pause(); job.resume(); job.cancel();           // any thread, any time, also before start
//
// Rules the jobs keep:
//  - a cancel sent before the job starts is honoured: the job ends Cancelled without working;
//  - an exception thrown by a progress listener never escapes a worker thread: the job is
//    cancelled and ends Failed with that error (report() swallows it and remembers it);
//  - pause is honoured at the job's checkpoints (between files, batches, steps);
//  - the outcome is a state (Finished, Cancelled, Failed), a result or an error message.
// No Qt, no torch: both front ends use this as it is.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace vop::service {

enum class JobState { Pending, Running, Finished, Cancelled, Failed };
const char* toString(JobState s); // "pending", "running", ...

// Phases shown to people; jobs use these names so front ends can map them to words.
namespace phase {
inline constexpr const char* LoadingModel = "loading model";
inline constexpr const char* Scanning = "scanning";
inline constexpr const char* LoadingIndex = "loading index";
inline constexpr const char* BuildingIndex = "building index";
inline constexpr const char* Indexing = "indexing";
inline constexpr const char* SavingIndex = "saving index";
inline constexpr const char* ReadingData = "reading data";
inline constexpr const char* PreparingFrames = "preparing frames";
inline constexpr const char* SearchingRate = "searching the learning rate"; // train: --lr auto's trials
inline constexpr const char* Training = "training";
inline constexpr const char* Evaluating = "evaluating";
} // namespace phase

struct JobProgress {
    std::string phase;        // one of phase::*
    int64_t done = 0;         // units done in this phase
    int64_t total = 0;        // 0: unknown
    std::string unit;         // what done/total count: "files", "vectors", "videos", "steps", "bytes"
    double rate = 0;          // speed (0: unknown), in rateUnit ...
    std::string rateUnit;     // ... e.g. "frames/s" while indexing files, "clips/s" while training
    double etaSeconds = -1;   // < 0: unknown
    bool paused = false;
    std::string detail;       // the file or step at hand, for a status line
    double fraction() const { return total > 0 ? double(done) / double(total) : 0.0; }
};

class JobControl {
public:
    using ProgressFn = std::function<void(const JobProgress&)>;

    JobControl() = default;
    JobControl(const JobControl&) = delete;
    JobControl& operator=(const JobControl&) = delete;

    // Caller side --------------------------------------------------------------------------
    // The listener runs on the job's thread; set it before the job starts.
    void onProgress(ProgressFn fn) { m_listener = std::move(fn); }
    void cancel();
    void pause();
    void resume();
    bool isCancelled() const { return m_cancelled.load(); }
    bool isPaused() const { return m_paused.load(); }
    JobState state() const { return m_state.load(); }
    std::string error() const;         // the failure message once Failed
    JobProgress lastProgress() const;  // the last report (any thread)

    // Job side -----------------------------------------------------------------------------
    // Passes `p` to the listener. A listener that throws cancels the job; the error is kept
    // and becomes the job's failure. Never throws.
    void report(const JobProgress& p);
    // Waits while paused (reporting paused once). False when cancelled.
    bool checkpoint();
    // Throws vop::Cancelled when cancelled (after waiting out a pause).
    void throwIfCancelled();
    // For core calls that poll: true when cancelled.
    std::function<bool()> cancelledFn() const
    {
        return [this] { return m_cancelled.load(); };
    }
    // For core calls that read a flag (the trainer, frame preparation).
    const std::atomic<bool>* cancelFlag() const { return &m_cancelled; }
    const std::atomic<bool>* pauseFlag() const { return &m_paused; }
    // The exception a listener threw, if any.
    std::exception_ptr listenerFailure() const;

    // Runner side (runJob) ----------------------------------------------------------------
    void markRunning();
    void markEnded(JobState s, const std::string& error = {});
    // Blocks until the job has ended (any thread but the job's).
    void waitEnded() const;

private:
    ProgressFn m_listener;
    std::atomic<bool> m_cancelled{false};
    std::atomic<bool> m_paused{false};
    std::atomic<JobState> m_state{JobState::Pending};
    mutable std::mutex m_mu;
    mutable std::condition_variable m_cv;
    std::string m_error;
    JobProgress m_last;
    std::exception_ptr m_listenerFailure;
};

// Cancelled for vop::Cancelled, Failed (with the message) for anything else.
JobState describeFailure(std::exception_ptr e, std::string& message);

template <class R>
struct JobOutcome {
    JobState state = JobState::Pending;
    std::optional<R> result; // set when Finished (and when a job returns a partial result on cancel)
    std::string error;       // set when Failed
    bool ok() const { return state == JobState::Finished; }
};

// Runs `fn` as the job of `control` on the calling thread, turning every exception into the
// outcome: vop::Cancelled -> Cancelled, anything else -> Failed with its message. A cancel
// before the start returns Cancelled without calling `fn`. A job that returns normally while
// cancelled (a partial result, e.g. an index run stopped between files) ends Cancelled with
// that result.
template <class R, class Fn>
JobOutcome<R> runJob(JobControl& control, Fn&& fn)
{
    JobOutcome<R> out;
    if (control.isCancelled()) {
        control.markEnded(JobState::Cancelled);
        out.state = JobState::Cancelled;
        return out;
    }
    control.markRunning();
    std::string error;
    JobState state = JobState::Finished;
    try {
        out.result = fn(control);
        if (control.listenerFailure())
            std::rethrow_exception(control.listenerFailure());
        if (control.isCancelled())
            state = JobState::Cancelled;
    } catch (...) {
        std::exception_ptr e = control.listenerFailure() ? control.listenerFailure() : std::current_exception();
        state = describeFailure(e, error);
    }
    control.markEnded(state, error);
    out.state = state;
    out.error = error;
    return out;
}

} // namespace vop::service
