#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace vop {

// FIPS 180-4 SHA-256, streaming. Used for checkpoint identity, prompt-set files and the
// verification of downloads.
class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t size);
    void update(std::string_view s) { update(s.data(), s.size()); }
    std::string hexDigest(); // finalises; the object must not be updated afterwards

private:
    void block(const uint8_t* p);
    uint32_t m_h[8];
    uint8_t m_buf[64];
    size_t m_bufLen = 0;
    uint64_t m_total = 0;
};

std::string sha256Hex(std::string_view data);

// Hash of a whole file, streamed. `progress(done, total)` may return false to cancel
// (throws vop::Cancelled). Throws InputError when the file cannot be read.
std::string sha256File(const std::string& path,
                       const std::function<bool(uint64_t, uint64_t)>& progress = {});

} // namespace vop
