#include "store/internal/Checksum.h"

#include "util/Error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace vop::store::detail {

namespace {

constexpr uint64_t P1 = 11400714785074694791ULL;
constexpr uint64_t P2 = 14029467366897019727ULL;
constexpr uint64_t P3 = 1609587929392839161ULL;
constexpr uint64_t P4 = 9650029242287828579ULL;
constexpr uint64_t P5 = 2870177450012600261ULL;

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

inline uint64_t read64(const unsigned char* p)
{
    uint64_t v;
    std::memcpy(&v, p, 8); // little-endian hosts only (x86-64, arm64), as the index files are
    return v;
}

inline uint32_t read32(const unsigned char* p)
{
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

inline uint64_t round(uint64_t acc, uint64_t input)
{
    acc += input * P2;
    acc = rotl(acc, 31);
    return acc * P1;
}

inline uint64_t mergeRound(uint64_t acc, uint64_t val)
{
    acc ^= round(0, val);
    return acc * P1 + P4;
}

} // namespace

Xxh64::Xxh64(uint64_t seed) : m_seed(seed)
{
    m_v[0] = seed + P1 + P2;
    m_v[1] = seed + P2;
    m_v[2] = seed;
    m_v[3] = seed - P1;
}

void Xxh64::update(const void* data, size_t size)
{
    const unsigned char* p = static_cast<const unsigned char*>(data);
    m_total += size;
    if (m_bufLen + size < 32) {
        std::memcpy(m_buf + m_bufLen, p, size);
        m_bufLen += size;
        return;
    }
    if (m_bufLen) {
        size_t fill = 32 - m_bufLen;
        std::memcpy(m_buf + m_bufLen, p, fill);
        for (int i = 0; i < 4; ++i)
            m_v[i] = round(m_v[i], read64(m_buf + 8 * i));
        p += fill;
        size -= fill;
        m_bufLen = 0;
    }
    while (size >= 32) {
        m_v[0] = round(m_v[0], read64(p));
        m_v[1] = round(m_v[1], read64(p + 8));
        m_v[2] = round(m_v[2], read64(p + 16));
        m_v[3] = round(m_v[3], read64(p + 24));
        p += 32;
        size -= 32;
    }
    std::memcpy(m_buf, p, size);
    m_bufLen = size;
}

uint64_t Xxh64::digest() const
{
    uint64_t h;
    if (m_total >= 32) {
        h = rotl(m_v[0], 1) + rotl(m_v[1], 7) + rotl(m_v[2], 12) + rotl(m_v[3], 18);
        for (int i = 0; i < 4; ++i)
            h = mergeRound(h, m_v[i]);
    } else {
        h = m_seed + P5;
    }
    h += m_total;
    const unsigned char* p = m_buf;
    size_t len = m_bufLen;
    while (len >= 8) {
        h ^= round(0, read64(p));
        h = rotl(h, 27) * P1 + P4;
        p += 8;
        len -= 8;
    }
    if (len >= 4) {
        h ^= static_cast<uint64_t>(read32(p)) * P1;
        h = rotl(h, 23) * P2 + P3;
        p += 4;
        len -= 4;
    }
    while (len > 0) {
        h ^= (*p) * P5;
        h = rotl(h, 11) * P1;
        ++p;
        --len;
    }
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

FileDigest digestFile(const std::string& path)
{
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f)
        throw Error("cannot read '" + path + "': " + std::strerror(errno));
    Xxh64 h;
    FileDigest d;
    std::unique_ptr<char[]> buf(new char[1 << 20]);
    size_t n;
    while ((n = std::fread(buf.get(), 1, 1 << 20, f.get())) > 0) {
        h.update(buf.get(), n);
        d.size += n;
    }
    if (std::ferror(f.get()))
        throw Error("cannot read '" + path + "': " + std::strerror(errno));
    d.xxh64 = h.digest();
    return d;
}

std::string toHex(uint64_t v)
{
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

} // namespace vop::store::detail
