#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vop {

// An 8-bit RGB image, rows top to bottom, pixels interleaved (R,G,B). The currency between
// core/media (decoders) and core/model (preprocessing).
struct RgbImage {
    int width = 0;
    int height = 0;
    std::vector<uint8_t> pixels; // width * height * 3

    bool empty() const { return width <= 0 || height <= 0; }
    const uint8_t* row(int y) const { return pixels.data() + std::size_t(y) * std::size_t(width) * 3; }
    uint8_t* row(int y) { return pixels.data() + std::size_t(y) * std::size_t(width) * 3; }
};

} // namespace vop
