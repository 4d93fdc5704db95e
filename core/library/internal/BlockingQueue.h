#pragma once
// A bounded multi-producer multi-consumer queue for the indexing pipeline. close() ends it:
// pushes fail from then on, pops drain what is left and then return nothing.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

namespace vop::library::detail {

template <typename T>
class BlockingQueue {
public:
    explicit BlockingQueue(size_t capacity = 0) : m_capacity(capacity) {}

    // Blocks while full. False when the queue was closed (the item is dropped).
    bool push(T item)
    {
        std::unique_lock<std::mutex> lock(m_mu);
        m_notFull.wait(lock, [&] { return m_closed || m_capacity == 0 || m_items.size() < m_capacity; });
        if (m_closed)
            return false;
        m_items.push_back(std::move(item));
        m_notEmpty.notify_all();
        return true;
    }

    // Waits until `n` items are there or the queue is closed, then takes up to `n`. Empty: closed
    // and drained. `waited` (optional) accumulates the seconds spent waiting.
    std::vector<T> popBatch(size_t n, double* waited = nullptr)
    {
        std::unique_lock<std::mutex> lock(m_mu);
        const auto t0 = std::chrono::steady_clock::now();
        m_notEmpty.wait(lock, [&] { return m_closed || m_items.size() >= n; });
        if (waited)
            *waited += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::vector<T> out;
        while (!m_items.empty() && out.size() < n) {
            out.push_back(std::move(m_items.front()));
            m_items.pop_front();
        }
        m_notFull.notify_all();
        return out;
    }

    // One item, waiting at most `timeout`. Nothing: timed out, or closed and drained (see done()).
    template <typename Rep, typename Period>
    std::optional<T> popFor(std::chrono::duration<Rep, Period> timeout)
    {
        std::unique_lock<std::mutex> lock(m_mu);
        m_notEmpty.wait_for(lock, timeout, [&] { return m_closed || !m_items.empty(); });
        if (m_items.empty())
            return std::nullopt;
        T item = std::move(m_items.front());
        m_items.pop_front();
        m_notFull.notify_all();
        return item;
    }

    void close()
    {
        std::lock_guard<std::mutex> lock(m_mu);
        m_closed = true;
        m_notEmpty.notify_all();
        m_notFull.notify_all();
    }

    bool done() const
    {
        std::lock_guard<std::mutex> lock(m_mu);
        return m_closed && m_items.empty();
    }

    size_t size() const
    {
        std::lock_guard<std::mutex> lock(m_mu);
        return m_items.size();
    }

private:
    mutable std::mutex m_mu;
    std::condition_variable m_notEmpty, m_notFull;
    std::deque<T> m_items;
    size_t m_capacity;
    bool m_closed = false;
};

} // namespace vop::library::detail
