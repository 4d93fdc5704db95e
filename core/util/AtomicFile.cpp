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
std::string sysError(const std::string& what, const std::string& path)
{
    return what + " '" + path + "': " + std::strerror(errno);
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
        throw Error(sysError("cannot create", tmp));
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            std::string msg = sysError("cannot write", tmp);
            ::close(fd);
            ::unlink(tmp.c_str());
            throw Error(msg);
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        std::string msg = sysError("cannot flush", tmp);
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
