#pragma once
// Files and shell helpers shared by test executables.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/stat.h>

namespace vop::test {

// One temporary folder for the whole run of a test executable, removed when it exits (entries a
// test made unreadable are made removable again first; VOP_KEEP_TEST_FILES=1 keeps it).
inline const std::string& runTempDir()
{
    namespace fs = std::filesystem;
    struct Dir {
        std::string path;
        Dir()
        {
            std::string tmpl = (fs::temp_directory_path() / "vop-test-XXXXXX").string();
            if (!::mkdtemp(tmpl.data())) {
                std::perror("mkdtemp");
                std::abort();
            }
            path = tmpl;
        }
        ~Dir()
        {
            if (std::getenv("VOP_KEEP_TEST_FILES"))
                return;
            std::error_code ec;
            for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
                 !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
                ::chmod(it->path().c_str(), 0755);
            fs::remove_all(path, ec);
        }
    };
    static Dir dir;
    return dir.path;
}

// A fresh, empty folder `name` under runTempDir() (whatever was there before is removed).
inline std::string freshDir(const std::string& name)
{
    namespace fs = std::filesystem;
    const auto p = fs::path(runTempDir()) / name;
    std::error_code ec;
    fs::remove_all(p, ec);
    fs::create_directories(p);
    return p.string();
}

// A new folder under runTempDir() whose name starts with `prefix` and is unique in the process.
inline std::string uniqueTempDir(const std::string& prefix)
{
    std::string tmpl = runTempDir() + "/" + prefix + "-XXXXXX";
    if (!::mkdtemp(tmpl.data())) {
        std::perror("mkdtemp");
        std::abort();
    }
    return tmpl;
}

inline std::string readBytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void writeBytes(const std::string& path, const std::string& bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
}

// Single-quotes a string for /bin/sh.
inline std::string shellQuote(const std::string& s)
{
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

} // namespace vop::test
