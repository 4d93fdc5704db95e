#include "model/BatchRunner.h"

#include "util/Error.h"
#include "util/Log.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <atomic>

namespace vop {

namespace {

struct Injection {
    std::atomic<int> count{0};
    std::atomic<int64_t> above{0};
    std::atomic<bool> typed{true};
};

Injection& injection()
{
    static Injection i;
    return i;
}

void maybeInjectOutOfMemory(int64_t count)
{
    auto& inj = injection();
    if (count <= inj.above.load())
        return;
    int left = inj.count.load();
    while (left > 0 && !inj.count.compare_exchange_weak(left, left - 1)) {
    }
    if (left <= 0)
        return;
    const std::string msg = "CUDA out of memory. Tried to allocate 2.00 GiB (injected by a test for a batch of " +
                            std::to_string(count) + ")";
    if (inj.typed.load())
        TORCH_CHECK_WITH(OutOfMemoryError, false, msg);
    TORCH_CHECK(false, msg);
}

std::string firstLine(const std::string& s)
{
    return s.substr(0, s.find('\n'));
}

} // namespace

BatchRunner::BatchRunner(std::string items, std::string device)
    : m_items(std::move(items))
    , m_device(std::move(device))
{
}

void BatchRunner::run(int64_t total, int64_t batch, const std::function<void(int64_t, int64_t)>& encode)
{
    if (batch < 1)
        throw Error("the batch size must be at least 1 (got " + std::to_string(batch) + ")");
    for (int64_t start = 0; start < total;) {
        const int64_t size = std::min(m_limit > 0 ? std::min(batch, m_limit) : batch, total - start);
        try {
            maybeInjectOutOfMemory(size);
            encode(start, size);
        } catch (const std::exception& e) {
            if (!isOutOfMemory(e))
                throw;
            if (size == 1)
                throw Error(m_device + " ran out of memory encoding " + m_items + " even one at a time, after halving " +
                            "the batch down to 1 (" + firstLine(e.what()) + "). Free memory on that device (other " +
                            "programs using it), or use --device cpu.");
            m_limit = size / 2;
            VOP_LOG_WARN("model", (m_device + " ran out of memory on a batch of " + std::to_string(size) + " " + m_items +
                                   "; going on with batches of " + std::to_string(m_limit))
                                      .c_str());
            continue;
        }
        start += size;
    }
}

void BatchRunner::injectOutOfMemoryForTests(int count, int64_t above, bool typed)
{
    auto& inj = injection();
    inj.above = above;
    inj.typed = typed;
    inj.count = count;
}

int BatchRunner::injectionsLeftForTests()
{
    return injection().count.load();
}

bool isOutOfMemory(const std::exception& e)
{
    if (dynamic_cast<const c10::OutOfMemoryError*>(&e))
        return true;
    if (!dynamic_cast<const c10::Error*>(&e))
        return false;
    const std::string what = e.what();
    return what.find("out of memory") != std::string::npos || what.find("CUBLAS_STATUS_ALLOC_FAILED") != std::string::npos;
}

} // namespace vop
