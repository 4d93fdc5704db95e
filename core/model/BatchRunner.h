#pragma once
// Runs an encoder's batches so that a device out-of-memory does not end the job: a batch that
// fails with the allocator's out-of-memory error is halved and retried, down to one item, and the
// smaller size is kept for the rest of the runner's life (the next batch would fail the same
// way). Only then does it fail, with a message that says what to do. No torch in this header.
#include <cstdint>
#include <exception>
#include <functional>
#include <string>

namespace vop {

class BatchRunner {
public:
    // `items` names what is encoded in messages ("images", "segments"); `device` where.
    BatchRunner(std::string items, std::string device);

    // Calls encode(start, count) over [0, total) in consecutive batches of at most `batch` items
    // (and at most the size an earlier out-of-memory left). encode must leave no trace when it
    // throws: a failed range is encoded again. Throws vop::Error when one item does not fit.
    void run(int64_t total, int64_t batch, const std::function<void(int64_t start, int64_t count)>& encode);

    // The largest batch that has not run out of memory, 0 while none has.
    int64_t limit() const { return m_limit; }

    // Test hook (process-wide, for tests only): the next `count` batches of more than `above`
    // items throw the error the CUDA allocator throws, before encode runs: c10::OutOfMemoryError
    // when `typed`, else a plain c10::Error with its message, as some LibTorch 1.x paths throw.
    static void injectOutOfMemoryForTests(int count, int64_t above, bool typed = true);
    static int injectionsLeftForTests(); // injected failures not thrown yet

private:
    std::string m_items;
    std::string m_device;
    int64_t m_limit = 0;
};

// True when `e` is a device allocation failure: c10::OutOfMemoryError (LibTorch >= 1.13), or
// a c10::Error whose message says "out of memory" (CUDA errors raised outside the caching
// allocator, LibTorch 1.x) or CUBLAS_STATUS_ALLOC_FAILED.
bool isOutOfMemory(const std::exception& e);

} // namespace vop
