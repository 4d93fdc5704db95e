#pragma once
// Size and modification time (ns) of a regular file; false when it is missing or not a file.
#include <cstdint>
#include <string>
#include <sys/stat.h>

namespace vop::library {

inline bool statFile(const std::string& path, int64_t& size, int64_t& mtimeNs)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    size = int64_t(st.st_size);
    mtimeNs = int64_t(st.st_mtim.tv_sec) * 1000000000LL + int64_t(st.st_mtim.tv_nsec);
    return true;
}

} // namespace vop::library
