#pragma once
// Internal to vop_store: the inner product used by the HNSW space and by exact search is
// util/Dot.h's run-time-dispatched kernel.
#include "util/Dot.h"

#include <cstddef>

namespace vop::store::detail {

using vop::dot;
using vop::dotKernel;
using vop::dotKernelName;
using vop::DotFn;

// Scales v to unit length in place. Returns false (and zeroes v) when it has no direction
// (all zeros) or holds a value that is not finite.
bool normalize(float* v, size_t n);

} // namespace vop::store::detail
