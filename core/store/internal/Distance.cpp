#include "store/internal/Distance.h"

#include <cmath>


namespace vop::store::detail {

bool normalize(float* v, size_t n)
{
    double norm2 = 0;
    for (size_t i = 0; i < n; ++i)
        norm2 += static_cast<double>(v[i]) * v[i];
    if (!(norm2 > 0) || !std::isfinite(norm2)) {
        for (size_t i = 0; i < n; ++i)
            v[i] = 0;
        return false;
    }
    const float inv = static_cast<float>(1.0 / std::sqrt(norm2));
    for (size_t i = 0; i < n; ++i)
        v[i] *= inv;
    return true;
}

} // namespace vop::store::detail
