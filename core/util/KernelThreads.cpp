#include "util/KernelThreads.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define VOP_PAUSE() _mm_pause()
#else
#define VOP_PAUSE() std::this_thread::yield()
#endif

namespace vop {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kSpin = std::chrono::microseconds(200); // a text query's products come tens of us apart

int defaultThreads()
{
    return int(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
}

// One parallelRanges call: chunks claimed one at a time by the caller and whichever helpers are
// awake, so a helper that a busy machine does not schedule delays nothing but its own chunk.
struct Job {
    const std::function<void(int64_t, int64_t)>* fn = nullptr;
    int64_t n = 0, chunks = 0;
    std::atomic<int64_t> next{0}, done{0};

    void work()
    {
        for (int64_t c; (c = next.fetch_add(1)) < chunks;) {
            (*fn)(n * c / chunks, n * (c + 1) / chunks);
            done.fetch_add(1);
        }
    }
};

class Pool {
public:
    explicit Pool(int threads)
    {
        for (int i = 1; i < threads; ++i)
            m_helpers.emplace_back([this] { helperLoop(); });
    }

    ~Pool()
    {
        m_stop.store(true);
        {
            std::lock_guard<std::mutex> l(m_sleepMu);
        }
        m_cv.notify_all();
        for (auto& t : m_helpers) t.join();
    }

    int threads() const { return int(m_helpers.size()) + 1; }

    // Runs the chunks of [0, n); false when another call holds the pool (the caller runs inline).
    bool run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn)
    {
        std::unique_lock<std::mutex> busy(m_callMu, std::try_to_lock);
        if (!busy.owns_lock())
            return false;
        auto job = std::make_shared<Job>();
        job->fn = &fn;
        job->n = n;
        job->chunks = std::min<int64_t>(4 * threads(), std::max<int64_t>(1, n / std::max<int64_t>(1, grain)));
        std::atomic_store(&m_job, job);
        m_generation.fetch_add(1);
        if (m_sleepers.load() > 0) {
            std::lock_guard<std::mutex> l(m_sleepMu);
            m_cv.notify_all();
        }
        job->work();
        // Chunks a helper is running now. Spin briefly, then yield: on a busy machine that helper
        // may be waiting for this very core.
        for (int spins = 0; job->done.load() < job->chunks; ++spins)
            if (spins < 2000)
                VOP_PAUSE();
            else
                std::this_thread::yield();
        std::atomic_store(&m_job, std::shared_ptr<Job>());
        return true;
    }

private:
    // Waits for a generation after `seen`: spins for kSpin, then sleeps. False: stop.
    bool waitForWork(uint64_t& seen)
    {
        const auto spinUntil = Clock::now() + kSpin;
        int spins = 0;
        while (m_generation.load() == seen) {
            if (m_stop.load())
                return false;
            if ((++spins & 63) != 0 || Clock::now() < spinUntil) {
                VOP_PAUSE();
                continue;
            }
            std::unique_lock<std::mutex> l(m_sleepMu);
            m_sleepers.fetch_add(1);
            m_cv.wait(l, [&] { return m_generation.load() != seen || m_stop.load(); });
            m_sleepers.fetch_sub(1);
        }
        seen = m_generation.load();
        return !m_stop.load();
    }

    void helperLoop()
    {
        uint64_t seen = 0;
        while (waitForWork(seen))
            if (auto job = std::atomic_load(&m_job)) // keeps the job alive; its fn only for claimed chunks
                job->work();
    }

    std::vector<std::thread> m_helpers;
    std::mutex m_callMu;
    std::shared_ptr<Job> m_job; // accessed through std::atomic_load/store
    std::atomic<uint64_t> m_generation{0};
    std::atomic<int> m_sleepers{0};
    std::atomic<bool> m_stop{false};
    std::mutex m_sleepMu;
    std::condition_variable m_cv;
};

std::mutex& poolMutex()
{
    static std::mutex mu;
    return mu;
}

std::shared_ptr<Pool>& poolSlot()
{
    static std::shared_ptr<Pool> pool;
    return pool;
}

std::shared_ptr<Pool> pool()
{
    std::lock_guard<std::mutex> l(poolMutex());
    auto& p = poolSlot();
    if (!p)
        p = std::make_shared<Pool>(defaultThreads());
    return p;
}

} // namespace

void parallelRanges(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn)
{
    if (n <= 0)
        return;
    if (n <= grain || !pool()->run(n, grain, fn))
        fn(0, n);
}

int kernelThreads()
{
    return pool()->threads();
}

void setKernelThreads(int n)
{
    n = std::clamp(n <= 0 ? defaultThreads() : n, 1, 8); // memory-bound: more cores add little
    std::lock_guard<std::mutex> l(poolMutex());
    auto& p = poolSlot();
    if (p && p->threads() == n)
        return;
    p = std::make_shared<Pool>(n); // a call still running holds the old pool until it returns
}

} // namespace vop
