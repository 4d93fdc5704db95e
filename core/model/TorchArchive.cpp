#include "model/TorchArchive.h"

#include "util/Error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vop::torcharchive {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kEnd64Sig = 0x06064b50, kLocator64Sig = 0x07064b50;
constexpr size_t kEndBytes = 22, kLocatorBytes = 20, kEnd64Bytes = 56, kCentralBytes = 46, kLocalBytes = 30;
constexpr uint64_t kDeflateMaxRatio = 1032;

// Little-endian reads that fail (InputError) instead of reading past the end.
struct Bytes {
    const uint8_t* data;
    uint64_t size;
    const std::string& what;

    [[noreturn]] void fail(const std::string& why) const
    {
        throw InputError(what + " is not a TorchScript checkpoint vopsearch can read: " + why + " (a damaged or truncated file?)");
    }
    uint64_t le(uint64_t at, int bytes) const
    {
        if (at > size || uint64_t(bytes) > size - at)
            fail("a zip record at byte " + std::to_string(at) + " runs past the end of the " + std::to_string(size) +
                 "-byte file");
        uint64_t v = 0;
        for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | data[at + uint64_t(i)];
        return v;
    }
    uint16_t u16(uint64_t at) const { return uint16_t(le(at, 2)); }
    uint32_t u32(uint64_t at) const { return uint32_t(le(at, 4)); }
    uint64_t u64(uint64_t at) const { return le(at, 8); }
};

struct Directory {
    uint64_t entries = 0, offset = 0, size = 0;
};

uint64_t findEnd(const Bytes& b)
{
    if (b.size < kEndBytes)
        b.fail("the file is too short for a zip archive");
    const uint64_t lowest = b.size > kEndBytes + 0xffff ? b.size - kEndBytes - 0xffff : 0;
    for (uint64_t at = b.size - kEndBytes + 1; at-- > lowest;)
        if (b.u32(at) == kEndSig && at + kEndBytes + b.u16(at + 20) <= b.size) return at;
    b.fail("no end-of-central-directory record");
}

Directory readDirectory(const Bytes& b)
{
    const uint64_t end = findEnd(b);
    Directory dir{b.u16(end + 10), b.u32(end + 16), b.u32(end + 12)};
    if (b.u16(end + 4) != 0 || b.u16(end + 6) != 0)
        b.fail("a multi-disk zip archive");
    const bool zip64 = dir.entries == 0xffff || dir.offset == 0xffffffff || dir.size == 0xffffffff;
    if (zip64) {
        if (end < kLocatorBytes || b.u32(end - kLocatorBytes) != kLocator64Sig)
            b.fail("a zip64 archive without its zip64 locator");
        const uint64_t rec = b.u64(end - kLocatorBytes + 8);
        if (b.u32(rec) != kEnd64Sig || rec + kEnd64Bytes > end)
            b.fail("the zip64 end record is missing or misplaced");
        dir = {b.u64(rec + 32), b.u64(rec + 48), b.u64(rec + 40)};
    }
    if (dir.offset > b.size || dir.size > b.size - dir.offset)
        b.fail("the central directory (" + std::to_string(dir.size) + " bytes at " + std::to_string(dir.offset) +
               ") lies outside the file");
    if (dir.entries > kMaxEntries || dir.entries > dir.size / kCentralBytes)
        b.fail("the central directory claims " + std::to_string(dir.entries) + " entries in " +
               std::to_string(dir.size) + " bytes");
    return dir;
}

// The zip64 extra field replaces the 32-bit fields that read 0xffffffff, in this order.
void readZip64Extra(const Bytes& b, uint64_t extra, uint64_t extraLen, uint64_t& size, uint64_t& compressed,
                    uint64_t& local)
{
    for (uint64_t at = extra; at + 4 <= extra + extraLen;) {
        const uint16_t id = b.u16(at), len = b.u16(at + 2);
        uint64_t field = at + 4;
        if (field + len > extra + extraLen)
            b.fail("an extra field runs past its entry");
        if (id == 0x0001) {
            for (uint64_t* v : {&size, &compressed, &local}) {
                if (*v != 0xffffffff)
                    continue;
                if (field + 8 > at + 4 + len)
                    b.fail("a zip64 extra field is too short");
                *v = b.u64(field);
                field += 8;
            }
            return;
        }
        at = field + len;
    }
}

void checkSizes(const Bytes& b, const Entry& e)
{
    const std::string name = "record '" + e.name + "'";
    if (e.method != 0 && e.method != 8)
        b.fail(name + " uses zip compression method " + std::to_string(e.method) + " (LibTorch reads stored or deflate)");
    if (e.method == 0 && e.size != e.compressedSize)
        b.fail(name + " is stored but claims " + std::to_string(e.size) + " bytes in " +
               std::to_string(e.compressedSize));
    if (e.method == 8 && e.size / kDeflateMaxRatio > e.compressedSize + 1)
        b.fail(name + " claims " + std::to_string(e.size) + " bytes from " + std::to_string(e.compressedSize) +
               " compressed, more than deflate can expand");
    if (e.size > kMaxEntryBytes)
        b.fail(name + " claims " + std::to_string(e.size >> 30) + " GiB, more than the " +
               std::to_string(kMaxEntryBytes >> 30) + " GiB a checkpoint record may hold");
}

// One central-directory entry at `at`; returns the offset of the next one.
uint64_t readEntry(const Bytes& b, uint64_t at, uint64_t dirEnd, Entry& e)
{
    if (b.u32(at) != kCentralSig)
        b.fail("central directory entry at byte " + std::to_string(at) + " has a wrong signature");
    e.method = b.u16(at + 10);
    e.compressedSize = b.u32(at + 20);
    e.size = b.u32(at + 24);
    const uint64_t nameLen = b.u16(at + 28), extraLen = b.u16(at + 30), commentLen = b.u16(at + 32);
    uint64_t local = b.u32(at + 42);
    const uint64_t next = at + kCentralBytes + nameLen + extraLen + commentLen;
    if (next > dirEnd)
        b.fail("central directory entry at byte " + std::to_string(at) + " runs past the directory");
    e.name.assign(reinterpret_cast<const char*>(b.data + at + kCentralBytes), nameLen);
    readZip64Extra(b, at + kCentralBytes + nameLen, extraLen, e.size, e.compressedSize, local);
    checkSizes(b, e);
    if (b.u32(local) != kLocalSig)
        b.fail("record '" + e.name + "' points to byte " + std::to_string(local) + ", which is not a local header");
    e.dataOffset = local + kLocalBytes + b.u16(local + 26) + b.u16(local + 28);
    if (e.dataOffset > b.size || e.compressedSize > b.size - e.dataOffset)
        b.fail("record '" + e.name + "' (" + std::to_string(e.compressedSize) + " bytes at " +
               std::to_string(e.dataOffset) + ") lies outside the " + std::to_string(b.size) + "-byte file");
    return next;
}

void findPrefix(const Bytes& b, Archive& a)
{
    for (const auto& e : a.entries) {
        const auto slash = e.name.find('/');
        if (slash != std::string::npos && e.name.compare(slash, std::string::npos, "/data.pkl") == 0) {
            a.prefix = e.name.substr(0, slash);
            return;
        }
    }
    b.fail("no <name>/data.pkl record (a zip file, but not one written by torch.jit.save)");
}

struct Mapping {
    void* addr = MAP_FAILED;
    size_t size = 0;
    ~Mapping()
    {
        if (addr != MAP_FAILED) ::munmap(addr, size);
    }
};

} // namespace

Archive check(const uint8_t* data, size_t size, const std::string& what)
{
    const Bytes b{data, size, what};
    const Directory dir = readDirectory(b);
    Archive a;
    a.entries.resize(size_t(dir.entries));
    uint64_t at = dir.offset;
    for (auto& e : a.entries) {
        at = readEntry(b, at, dir.offset + dir.size, e);
        a.totalSize += e.size;
        if (a.totalSize > kMaxTotalBytes)
            b.fail("its records claim more than " + std::to_string(kMaxTotalBytes >> 30) + " GiB together");
    }
    findPrefix(b, a);
    return a;
}

Archive checkFile(const std::string& path)
{
    const std::string what = "checkpoint '" + path + "'";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw InputError("cannot open " + what + ": " + std::strerror(errno));
    struct stat st {};
    Mapping m;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        m.size = size_t(st.st_size);
        m.addr = ::mmap(nullptr, m.size, PROT_READ, MAP_PRIVATE, fd, 0);
    }
    ::close(fd);
    if (m.addr == MAP_FAILED)
        throw InputError("cannot read " + what + " (empty, not a regular file, or unreadable)");
    return check(static_cast<const uint8_t*>(m.addr), m.size, what);
}

} // namespace vop::torcharchive
