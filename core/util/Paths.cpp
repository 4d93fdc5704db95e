#include "util/Paths.h"

#include "util/Error.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#ifndef VOPSEARCH_SOURCE_MODELS_DIR
#define VOPSEARCH_SOURCE_MODELS_DIR ""
#endif
#ifndef VOPSEARCH_SOURCE_RESOURCES_DIR
#define VOPSEARCH_SOURCE_RESOURCES_DIR ""
#endif

namespace fs = std::filesystem;

namespace vop::paths {

std::string userDataDir()
{
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
        return (fs::path(xdg) / "vopsearch").string();
    const char* home = std::getenv("HOME");
    return (fs::path(home && *home ? home : ".") / ".local" / "share" / "vopsearch").string();
}

std::string defaultDatabasePath()
{
    return (fs::path(userDataDir()) / "library.sqlite3").string();
}

std::string executableDir()
{
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : exe.parent_path().string();
}

std::string installedDataDir()
{
    auto exeDir = executableDir();
    if (exeDir.empty())
        return {};
    return (fs::path(exeDir).parent_path() / "share" / "vopsearch").lexically_normal().string();
}

std::vector<std::string> modelSearchDirs()
{
    std::vector<std::string> dirs;
    if (const char* env = std::getenv("VOPSEARCH_MODELS"); env && *env)
        dirs.emplace_back(env);
    dirs.push_back((fs::path(userDataDir()) / "models").string());
    if (*VOPSEARCH_SOURCE_MODELS_DIR)
        dirs.emplace_back(VOPSEARCH_SOURCE_MODELS_DIR);
    if (auto installed = installedDataDir(); !installed.empty())
        dirs.push_back((fs::path(installed) / "models").string());
    return dirs;
}

bool fileExists(const std::string& path)
{
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

std::string findModelFile(const std::string& fileName)
{
    for (const auto& dir : modelSearchDirs()) {
        auto p = fs::path(dir) / fileName;
        if (fileExists(p.string()))
            return p.string();
    }
    return {};
}

std::string resolveCheckpoint(const std::string& explicitPath, const std::string& defaultFile)
{
    if (!explicitPath.empty()) {
        if (!fileExists(explicitPath))
            throw InputError("checkpoint '" + explicitPath + "' does not exist");
        return explicitPath;
    }
    if (auto found = findModelFile(defaultFile); !found.empty())
        return found;
    std::string msg = "no model found: " + defaultFile + " is in none of ";
    auto dirs = modelSearchDirs();
    for (size_t i = 0; i < dirs.size(); ++i)
        msg += (i ? ", " : "") + dirs[i];
    msg += ". Run 'models/fetch.sh' to download it, put the file in one of those folders, "
           "or pass --checkpoint FILE.";
    throw InputError(msg);
}

std::string resolveBpeVocab(const std::string& checkpointPath)
{
    const std::string name = "bpe_simple_vocab_16e6.txt.gz";
    if (!checkpointPath.empty()) {
        auto beside = fs::path(checkpointPath).parent_path() / name;
        if (fileExists(beside.string()))
            return beside.string();
    }
    if (auto found = findModelFile(name); !found.empty())
        return found;
    // The copy that ships with the program: installed, then the source tree (build runs).
    std::vector<std::string> shipped;
    if (auto installed = installedDataDir(); !installed.empty())
        shipped.push_back(installed);
    if (*VOPSEARCH_SOURCE_RESOURCES_DIR)
        shipped.emplace_back(VOPSEARCH_SOURCE_RESOURCES_DIR);
    for (const auto& dir : shipped) {
        auto p = fs::path(dir) / name;
        if (fileExists(p.string()))
            return p.string();
    }
    std::string looked;
    for (const auto& dir : modelSearchDirs())
        looked += ", " + dir;
    for (const auto& dir : shipped)
        looked += ", " + dir;
    throw InputError("CLIP's BPE vocabulary " + name + " was not found next to the checkpoint" +
                     looked + " (it ships with vopsearch: reinstall it, run 'models/fetch.sh bpe', "
                     "or pass --vocab FILE)");
}

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError("cannot open '" + path + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace vop::paths
