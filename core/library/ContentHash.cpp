#include "library/ContentHash.h"

#include "util/Error.h"
#include "util/Sha256.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace vop::library {

namespace {

struct Fd {
    int fd = -1;
    ~Fd()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

// Reads up to `n` bytes at `offset`; fewer when the file is shorter (or shrinks meanwhile).
size_t readAt(int fd, int64_t offset, char* buf, size_t n, const std::string& path)
{
    size_t got = 0;
    while (got < n) {
        const ssize_t r = ::pread(fd, buf + got, n - got, off_t(offset + int64_t(got)));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            throw InputError("cannot read '" + path + "': " + std::strerror(errno));
        }
        if (r == 0)
            break;
        got += size_t(r);
    }
    return got;
}

} // namespace

std::string contentHash(const std::string& path)
{
    Fd f;
    f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f.fd < 0)
        throw InputError("cannot open '" + path + "': " + std::strerror(errno));
    struct stat st {};
    if (::fstat(f.fd, &st) != 0)
        throw InputError("cannot read '" + path + "': " + std::strerror(errno));
    const int64_t size = int64_t(st.st_size);
    Sha256 h;
    const std::string header = "vopsearch-content-v1 " + std::to_string(size) + "\n";
    h.update(header);
    std::vector<char> buf(static_cast<size_t>(kContentHashChunk));
    const size_t head = readAt(f.fd, 0, buf.data(), buf.size(), path);
    h.update(buf.data(), head);
    if (size > kContentHashChunk) {
        const int64_t tailStart = std::max<int64_t>(kContentHashChunk, size - kContentHashChunk);
        const size_t tail = readAt(f.fd, tailStart, buf.data(), size_t(size - tailStart), path);
        h.update(buf.data(), tail);
    }
    return h.hexDigest();
}

} // namespace vop::library
