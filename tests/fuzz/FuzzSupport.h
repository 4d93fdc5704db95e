#pragma once
// Shared by the fuzz targets: the readers of files need the bytes in a file, so each process
// writes them into its own temporary folder (removed at exit).
#include "util/Error.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace vop::fuzz {

inline const std::string& tempDir()
{
    static const std::string dir = [] {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/vopfuzz-XXXXXX";
        if (!::mkdtemp(tmpl.data()))
            std::abort();
        static const std::string keep = tmpl;
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(keep, ec);
        });
        return tmpl;
    }();
    return dir;
}

// Writes `size` bytes to `name` inside tempDir() and returns the path.
inline std::string writeTemp(const std::string& name, const uint8_t* data, size_t size)
{
    const std::string path = tempDir() + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
    return path;
}

inline std::string writeTemp(const std::string& name, const std::string& bytes)
{
    return writeTemp(name, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

// Reads every byte of [p, p + n) so that a range the parser accepted but which lies outside
// its buffer faults here, under the sanitizer.
inline unsigned touch(const uint8_t* p, uint64_t n)
{
    unsigned sum = 0;
    for (uint64_t i = 0; i < n; i += 4096) sum += p[i];
    return n ? sum + p[n - 1] : sum;
}

} // namespace vop::fuzz
