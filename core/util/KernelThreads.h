#pragma once
// A tiny pool for the memory-bound few-row kernels (core/model SmallLinear, Int8Stream): the
// calling thread plus `kernelThreads() - 1` helpers split a range of columns into chunks, which
// whoever is awake claims one at a time: on a busy machine a helper that is not scheduled delays
// nothing (the caller takes its chunks). torch's own pool runs one thread beside OpenBLAS's (see
// configureCpuThreads), and a text query is ~50 products of a few microseconds to a millisecond
// each, so the helpers spin briefly between products (~0.2 ms) and then sleep on a condition
// variable: an idle process uses no CPU. One parallel call at a time: a call made while another
// runs (another thread) runs inline.
#include <cstdint>
#include <functional>

namespace vop {

// fn(begin, end) over [0, n) in contiguous chunks of about `grain` or more (at most 4 per thread).
// fn must not throw. Results must not depend on the split (each index computed alone).
void parallelRanges(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Threads a parallelRanges call uses, the caller included (default: every core, at most 4).
int kernelThreads();
// Sets it (1 = inline, no helper); configureCpuThreads calls it with the encoder's thread count.
void setKernelThreads(int n);

} // namespace vop
