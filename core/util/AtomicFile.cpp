#include "util/AtomicFile.h"

#include "util/Error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <random>
#include <unistd.h>

namespace vop {

namespace {
// errno's text, and what a person can do about the two failures a disk itself causes.
std::string sysError(const std::string& what, const std::string& path)
{
    const int e = errno;
    std::string msg = what + " '" + path + "': " + std::strerror(e);
    if (e == ENOSPC || e == EDQUOT)
        msg += " (the disk is full: free some space and try again; the previous file, if any, is unchanged)";
    else if (e == EROFS)
        msg += " (the file system is read-only: choose another folder)";
    return msg;
}
}

void writeFileAtomic(const std::string& path, std::string_view data)
{
    namespace fs = std::filesystem;
    fs::path target(path);
    fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::random_device rd;
    std::string tmp = (dir / ("." + target.filename().string() + ".tmp" + std::to_string(rd()))).string();

    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw Error(sysError("cannot create", path));
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            std::string msg = sysError("cannot write", path);
            ::close(fd);
            ::unlink(tmp.c_str());
            throw Error(msg);
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    // fsync, then close even when fsync failed (the descriptor must not leak); either error counts.
    const bool synced = ::fsync(fd) == 0;
    const int syncErrno = errno;
    const bool closed = ::close(fd) == 0;
    if (!synced || !closed) {
        if (!synced)
            errno = syncErrno;
        std::string msg = sysError("cannot write", path);
        ::unlink(tmp.c_str());
        throw Error(msg);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        std::string msg = sysError("cannot replace", path);
        ::unlink(tmp.c_str());
        throw Error(msg);
    }
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

} // namespace vop
