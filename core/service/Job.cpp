#include "service/Job.h"

#include "util/Error.h"

namespace vop::service {

const char* toString(JobState s)
{
    switch (s) {
    case JobState::Pending: return "pending";
    case JobState::Running: return "running";
    case JobState::Finished: return "finished";
    case JobState::Cancelled: return "cancelled";
    case JobState::Failed: return "failed";
    }
    return "?";
}

void JobControl::cancel()
{
    std::lock_guard<std::mutex> lock(m_mu);
    m_cancelled = true;
    m_cv.notify_all();
}

void JobControl::pause()
{
    std::lock_guard<std::mutex> lock(m_mu);
    m_paused = true;
}

void JobControl::resume()
{
    std::lock_guard<std::mutex> lock(m_mu);
    m_paused = false;
    m_cv.notify_all();
}

std::string JobControl::error() const
{
    std::lock_guard<std::mutex> lock(m_mu);
    return m_error;
}

JobProgress JobControl::lastProgress() const
{
    std::lock_guard<std::mutex> lock(m_mu);
    return m_last;
}

std::exception_ptr JobControl::listenerFailure() const
{
    std::lock_guard<std::mutex> lock(m_mu);
    return m_listenerFailure;
}

void JobControl::report(const JobProgress& p)
{
    {
        std::lock_guard<std::mutex> lock(m_mu);
        m_last = p;
        if (m_listenerFailure)
            return; // the job is ending; one failure is enough
    }
    if (!m_listener)
        return;
    try {
        m_listener(p);
    } catch (...) {
        std::lock_guard<std::mutex> lock(m_mu);
        m_listenerFailure = std::current_exception();
        m_cancelled = true;
        m_cv.notify_all();
    }
}

bool JobControl::checkpoint()
{
    if (m_paused && !m_cancelled) {
        JobProgress p = lastProgress();
        p.paused = true;
        report(p);
        std::unique_lock<std::mutex> lock(m_mu);
        m_cv.wait(lock, [&] { return !m_paused || m_cancelled; });
        lock.unlock();
        if (!m_cancelled) {
            p.paused = false;
            report(p);
        }
    }
    return !m_cancelled;
}

void JobControl::throwIfCancelled()
{
    if (!checkpoint())
        throw Cancelled();
}

void JobControl::markRunning()
{
    std::lock_guard<std::mutex> lock(m_mu);
    m_state = JobState::Running;
}

void JobControl::markEnded(JobState s, const std::string& error)
{
    std::lock_guard<std::mutex> lock(m_mu);
    m_error = error;
    m_state = s;
    m_cv.notify_all();
}

void JobControl::waitEnded() const
{
    std::unique_lock<std::mutex> lock(m_mu);
    m_cv.wait(lock, [&] {
        const JobState s = m_state.load();
        return s == JobState::Finished || s == JobState::Cancelled || s == JobState::Failed;
    });
}

JobState describeFailure(std::exception_ptr e, std::string& message)
{
    try {
        std::rethrow_exception(e);
    } catch (const Cancelled&) {
        message.clear();
        return JobState::Cancelled;
    } catch (const std::exception& ex) {
        message = ex.what();
    } catch (...) {
        message = "an unknown error";
    }
    return JobState::Failed;
}

} // namespace vop::service
