#pragma once
// Runs one core job (a function that takes a vop::service::JobControl) on a worker thread and
// re-emits its progress as Qt signals on the thread that owns the runner (the UI thread):
//
//   auto* runner = new JobRunner(this);
//   connect(runner, &JobRunner::progress, this, &Panel::showProgress);
//   connect(runner, &JobRunner::failed, this, &Panel::showError);
//   runner->start([&svc](vop::service::JobControl& job) { svc.index({}, job); });
//   runner->pause(); runner->resume(); runner->cancel();   // any time, also before start()
//
// Every signal is emitted on the runner's thread, in the order the job reported, so receivers
// never need locks. Progress reports are coalesced (the UI sees the latest one, never a backlog);
// phase and pause changes are never dropped. Every exception of the job is caught at the thread
// boundary and becomes failed(message): a crash in a job ends the job, not the application.
// Exactly one of finished(), cancelled(), failed() ends each start(), followed by ended().
#include "service/Job.h"

#include <QMetaType>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

class QThread;

namespace vop::ui {

// vop::service::JobProgress with Qt types, for queued signals.
struct JobProgressData {
    QString phase;           // one of vop::service::phase::*
    qint64 done = 0;
    qint64 total = 0;        // 0: unknown
    QString unit;            // what done/total count: "files", "vectors", ...
    double rate = 0;         // speed (0: unknown), in rateUnit ...
    QString rateUnit;        // ... "frames/s", "vectors/s"
    double etaSeconds = -1;  // < 0: unknown
    bool paused = false;
    QString detail;

    double fraction() const { return total > 0 ? double(done) / double(total) : 0.0; }
    static JobProgressData from(const vop::service::JobProgress& p);
};

class JobRunner : public QObject {
    Q_OBJECT
public:
    using JobFn = std::function<void(vop::service::JobControl&)>;

    explicit JobRunner(QObject* parent = nullptr);
    // Cancels a running job and waits for it to end (jobs honour a cancel at their checkpoints).
    ~JobRunner() override;

    // Starts `fn` on a new worker thread. False (and nothing happens) while a job runs.
    // A cancel() or pause() sent before start() applies to this job.
    bool start(JobFn fn);

    bool isRunning() const { return m_running; }
    bool isPaused() const;
    // The state of the current or last job (Pending before the first start).
    vop::service::JobState state() const;
    // The failure message of the last job ("" unless it failed).
    QString errorMessage() const { return m_error; }
    // The latest progress delivered to the UI thread.
    const JobProgressData& lastProgress() const { return m_last; }
    // Blocks until the running job has ended and its final signals are delivered (processes
    // events meanwhile); false on timeout. For shutdown and tests.
    bool waitForEnd(int timeoutMs = -1);

public Q_SLOTS:
    void pause();
    void resume();
    void cancel();

Q_SIGNALS:
    void started();
    void progress(const vop::ui::JobProgressData& progress);
    void phaseChanged(const QString& phase);
    void pausedChanged(bool paused);
    void finished();
    void cancelled();
    void failed(const QString& message);
    void ended(); // after finished(), cancelled() or failed()

private:
    void run(); // worker thread
    void listen(const vop::service::JobProgress& p); // worker thread
    void drain(); // UI thread
    void finish(vop::service::JobState state, const QString& error); // UI thread

    JobFn m_fn;
    std::unique_ptr<vop::service::JobControl> m_control;
    std::unique_ptr<QThread> m_thread;
    bool m_running = false;
    QString m_error;
    JobProgressData m_last;

    // Worker -> UI hand-over: reports in order; a plain progress report replaces a plain one
    // still waiting at the end of the queue.
    struct Report {
        vop::service::JobProgress progress;
        bool phaseChanged = false;
        bool pausedChanged = false;
    };
    std::mutex m_mu;
    std::vector<Report> m_queue;
    bool m_posted = false;
    // Worker-side memory of what was reported, to post phase and pause changes explicitly.
    std::string m_workerPhase;
    bool m_workerPaused = false;
};

} // namespace vop::ui

Q_DECLARE_METATYPE(vop::ui::JobProgressData)
