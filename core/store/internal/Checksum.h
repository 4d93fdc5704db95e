#pragma once
// Internal to vop_store: XXH64, the checksum of index files. Not cryptographic; it catches a
// truncated, flipped or half-written file at several GB/s, which SHA-256 would not at 1M vectors.
#include <cstddef>
#include <cstdint>
#include <string>

namespace vop::store::detail {

class Xxh64 {
public:
    explicit Xxh64(uint64_t seed = 0);
    void update(const void* data, size_t size);
    uint64_t digest() const;

private:
    uint64_t m_v[4];
    uint64_t m_seed;
    uint64_t m_total = 0;
    unsigned char m_buf[32];
    size_t m_bufLen = 0;
};

// Checksum and size of a whole file. Throws vop::Error naming the path when it cannot be read.
struct FileDigest {
    uint64_t xxh64 = 0;
    uint64_t size = 0;
};
FileDigest digestFile(const std::string& path);

std::string toHex(uint64_t v);

} // namespace vop::store::detail
