#include "JobRunner.h"

#include <QEventLoop>
#include <QThread>
#include <QTimer>

namespace vop::ui {

JobProgressData JobProgressData::from(const vop::service::JobProgress& p)
{
    JobProgressData d;
    d.phase = QString::fromStdString(p.phase);
    d.done = p.done;
    d.total = p.total;
    d.rate = p.rate;
    d.unit = QString::fromStdString(p.unit);
    d.rateUnit = QString::fromStdString(p.rateUnit);
    d.etaSeconds = p.etaSeconds;
    d.paused = p.paused;
    d.detail = QString::fromStdString(p.detail);
    return d;
}

JobRunner::JobRunner(QObject* parent)
    : QObject(parent)
    , m_control(std::make_unique<vop::service::JobControl>())
{
    qRegisterMetaType<vop::ui::JobProgressData>("vop::ui::JobProgressData");
}

JobRunner::~JobRunner()
{
    if (m_thread) {
        m_control->cancel(); // also ends a pause
        m_thread->wait();
    }
}

bool JobRunner::isPaused() const
{
    return m_control->isPaused();
}

vop::service::JobState JobRunner::state() const
{
    return m_control->state();
}

void JobRunner::pause()
{
    m_control->pause();
}

void JobRunner::resume()
{
    m_control->resume();
}

void JobRunner::cancel()
{
    m_control->cancel();
}

bool JobRunner::start(JobFn fn)
{
    if (m_running)
        return false;
    // A fresh control for every job after the first; a control that has not run yet keeps the
    // pause or cancel sent before start().
    if (m_control->state() != vop::service::JobState::Pending)
        m_control = std::make_unique<vop::service::JobControl>();
    m_control->onProgress([this](const vop::service::JobProgress& p) { listen(p); });
    m_fn = std::move(fn);
    m_error.clear();
    m_last = JobProgressData{};
    m_workerPhase.clear();
    m_workerPaused = false;
    {
        std::lock_guard<std::mutex> lock(m_mu);
        m_queue.clear();
        m_posted = false;
    }
    m_running = true;
    m_thread.reset(QThread::create([this] { run(); }));
    m_thread->setObjectName(QStringLiteral("JobRunner"));
    m_thread->start();
    Q_EMIT started();
    return true;
}

void JobRunner::run()
{
    using vop::service::JobState;
    JobState state = JobState::Failed;
    QString error;
    try {
        auto outcome = vop::service::runJob<bool>(*m_control, [this](vop::service::JobControl& c) {
            m_fn(c);
            return true;
        });
        state = outcome.state;
        error = QString::fromStdString(outcome.error);
    } catch (const std::exception& e) { // runJob catches everything; this is the last line
        error = QString::fromUtf8(e.what());
    } catch (...) {
        error = QStringLiteral("an unknown error");
    }
    QMetaObject::invokeMethod(this, [this, state, error] { finish(state, error); }, Qt::QueuedConnection);
}

void JobRunner::listen(const vop::service::JobProgress& p)
{
    Report r;
    r.progress = p;
    r.phaseChanged = p.phase != m_workerPhase;
    r.pausedChanged = p.paused != m_workerPaused;
    m_workerPhase = p.phase;
    m_workerPaused = p.paused;
    bool post = false;
    {
        std::lock_guard<std::mutex> lock(m_mu);
        const bool plain = !r.phaseChanged && !r.pausedChanged;
        if (plain && !m_queue.empty() && !m_queue.back().phaseChanged && !m_queue.back().pausedChanged)
            m_queue.back() = std::move(r);
        else
            m_queue.push_back(std::move(r));
        if (!m_posted) {
            m_posted = true;
            post = true;
        }
    }
    if (post)
        QMetaObject::invokeMethod(this, [this] { drain(); }, Qt::QueuedConnection);
}

void JobRunner::drain()
{
    std::vector<Report> reports;
    {
        std::lock_guard<std::mutex> lock(m_mu);
        reports.swap(m_queue);
        m_posted = false;
    }
    for (const Report& r : reports) {
        m_last = JobProgressData::from(r.progress);
        if (r.phaseChanged)
            Q_EMIT phaseChanged(m_last.phase);
        if (r.pausedChanged)
            Q_EMIT pausedChanged(m_last.paused);
        Q_EMIT progress(m_last);
    }
}

void JobRunner::finish(vop::service::JobState state, const QString& error)
{
    drain(); // reports posted before the end come first
    if (m_thread) {
        m_thread->wait();
        m_thread.reset();
    }
    m_running = false;
    m_fn = nullptr;
    if (m_last.paused) {
        m_last.paused = false;
        Q_EMIT pausedChanged(false);
    }
    using vop::service::JobState;
    if (state == JobState::Finished) {
        Q_EMIT finished();
    } else if (state == JobState::Cancelled) {
        Q_EMIT cancelled();
    } else {
        m_error = error.isEmpty() ? tr("The job failed for an unknown reason.") : error;
        Q_EMIT failed(m_error);
    }
    Q_EMIT ended();
}

bool JobRunner::waitForEnd(int timeoutMs)
{
    if (!m_running)
        return true;
    QEventLoop loop;
    connect(this, &JobRunner::ended, &loop, &QEventLoop::quit);
    QTimer timer;
    if (timeoutMs >= 0) {
        timer.setSingleShot(true);
        connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
        timer.start(timeoutMs);
    }
    loop.exec();
    return !m_running;
}

} // namespace vop::ui
