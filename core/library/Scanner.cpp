#include "library/Scanner.h"

#include "media/Sniff.h"
#include "util/Error.h"
#include "util/Log.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace vop::library {

namespace {

const char* kArea = "library";

const std::set<std::string>& audioExtensions()
{
    static const std::set<std::string> s = {"mp3", "m4a", "aac", "flac", "wav", "ogg", "oga", "opus",
                                             "wma", "aif", "aiff", "ac3", "mka", "amr"};
    return s;
}

// Files people keep beside their videos that are never videos themselves.
const std::set<std::string>& ignoredExtensions()
{
    static const std::set<std::string> s = {
        // images and camera side files
        "jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "webp", "heic", "heif", "avif", "svg", "ico", "psd",
        "raw", "cr2", "cr3", "nef", "arw", "dng", "orf", "rw2", "thm", "xmp",
        // subtitles and metadata
        "srt", "ass", "ssa", "vtt", "sub", "idx", "sup", "nfo", "txt", "md", "json", "xml", "csv", "log", "ini",
        "cfg", "yaml", "yml", "html", "htm", "pdf", "doc", "docx", "odt", "xls", "xlsx", "ppt", "pptx", "rtf",
        "cue", "m3u", "m3u8", "pls", "torrent", "url", "lnk", "ds_store", "db", "sqlite", "sqlite3",
        // archives, programs, partial downloads
        "zip", "rar", "7z", "tar", "gz", "bz2", "xz", "zst", "iso", "exe", "dll", "so", "dylib", "bin", "sh",
        "py", "c", "cpp", "h", "js", "part", "crdownload", "download", "tmp", "temp", "swp", "lock",
        "hnsw", "safetensors", "pt"};
    return s;
}

int64_t mtimeNsOf(const struct stat& st)
{
    return int64_t(st.st_mtim.tv_sec) * 1000000000LL + int64_t(st.st_mtim.tv_nsec);
}

using Inode = std::pair<dev_t, ino_t>;

std::string join(const std::string& dir, const std::string& name)
{
    if (!dir.empty() && dir.back() == '/')
        return dir + name;
    return dir + "/" + name;
}

} // namespace

std::string extensionOf(const std::string& path)
{
    const size_t slash = path.find_last_of('/');
    const size_t dot = path.find_last_of('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash) || dot + 1 == path.size() ||
        dot == (slash == std::string::npos ? 0 : slash + 1))
        return {};
    std::string ext = path.substr(dot + 1);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext;
}

int classifyByName(const std::string& path)
{
    if (media::isLikelyVideoFile(path))
        return 1;
    const std::string ext = extensionOf(path);
    if (audioExtensions().count(ext))
        return 1;
    if (ignoredExtensions().count(ext))
        return -1;
    return 0;
}

bool isHiddenOrSystemName(const std::string& name)
{
    static const std::set<std::string> system = {
        "$RECYCLE.BIN", "$Recycle.Bin", "RECYCLER", "RECYCLED", "System Volume Information", "lost+found",
        "@eaDir", "#recycle", "#snapshot", "Thumbs.db", "desktop.ini", "Network Trash Folder",
        "Temporary Items", "$WINDOWS.~BT", "found.000"};
    return name.empty() || name[0] == '.' || system.count(name) > 0;
}

RootListing listRoot(const std::string& root, const ScanOptions& options)
{
    struct stat rst {};
    if (::stat(root.c_str(), &rst) != 0)
        throw InputError("cannot open folder '" + root + "': " + std::strerror(errno));
    if (!S_ISDIR(rst.st_mode))
        throw InputError("'" + root + "' is not a folder");

    RootListing out;
    std::set<Inode> seenDirs{{rst.st_dev, rst.st_ino}};
    std::set<Inode> seenFiles;
    // Real folders first; folders and files reached through links wait until the real tree is done,
    // so a file reachable both ways is listed under its real path.
    std::vector<std::string> stack{root};
    std::vector<std::pair<std::string, bool>> deferredLinks; // path, is a folder
    size_t lastReported = 0;

    auto addFile = [&](const std::string& path, const struct stat& st) {
        if (!seenFiles.insert({st.st_dev, st.st_ino}).second)
            return;
        int verdict = classifyByName(path);
        if (verdict == 0)
            verdict = options.sniffUnknown && st.st_size > 0 && media::sniffVideo(path) ? 1 : -1;
        if (verdict < 0) {
            ++out.ignored;
            return;
        }
        out.files.push_back(FoundFile{path, int64_t(st.st_size), mtimeNsOf(st)});
        if (options.progress && out.files.size() >= lastReported + 64) {
            lastReported = out.files.size();
            options.progress(out.files.size());
        }
    };

    auto listFolder = [&](const std::string& dir) {
        if (options.cancelled && options.cancelled())
            throw Cancelled();
        DIR* d = ::opendir(dir.c_str());
        if (!d) {
            out.problems.push_back({dir, std::string("cannot read folder: ") + std::strerror(errno)});
            out.incompleteFolders.push_back(dir);
            return;
        }
        std::vector<std::string> names;
        errno = 0;
        while (dirent* e = ::readdir(d)) {
            std::string name = e->d_name;
            if (name != "." && name != ".." && !isHiddenOrSystemName(name))
                names.push_back(std::move(name));
        }
        const int readErr = errno;
        ::closedir(d);
        if (readErr != 0) {
            out.problems.push_back({dir, std::string("cannot read folder: ") + std::strerror(readErr)});
            out.incompleteFolders.push_back(dir);
        }
        std::sort(names.begin(), names.end());
        std::vector<std::string> subdirs;
        for (const auto& name : names) {
            const std::string path = join(dir, name);
            struct stat lst {};
            if (::lstat(path.c_str(), &lst) != 0)
                continue; // vanished meanwhile: a file deleted during the scan is simply not there
            if (S_ISLNK(lst.st_mode)) {
                struct stat tst {};
                if (::stat(path.c_str(), &tst) != 0)
                    continue; // a dangling link, or a loop of links (ELOOP)
                if (S_ISDIR(tst.st_mode) || S_ISREG(tst.st_mode))
                    deferredLinks.push_back({path, S_ISDIR(tst.st_mode)});
            } else if (S_ISDIR(lst.st_mode)) {
                if (seenDirs.insert({lst.st_dev, lst.st_ino}).second)
                    subdirs.push_back(path);
            } else if (S_ISREG(lst.st_mode)) {
                addFile(path, lst);
            }
        }
        // Depth first, in name order.
        for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it)
            stack.push_back(*it);
    };

    size_t nextLink = 0;
    for (;;) {
        if (!stack.empty()) {
            const std::string dir = stack.back();
            stack.pop_back();
            listFolder(dir);
            continue;
        }
        if (nextLink >= deferredLinks.size())
            break;
        const auto [path, isDir] = deferredLinks[nextLink++];
        struct stat tst {};
        if (::stat(path.c_str(), &tst) != 0)
            continue;
        if (isDir) {
            if (seenDirs.insert({tst.st_dev, tst.st_ino}).second)
                stack.push_back(path);
            else
                VOP_LOG_DEBUG(kArea, "link '{}' leads to a folder already visited; not followed", path);
        } else {
            addFile(path, tst);
        }
    }
    std::sort(out.files.begin(), out.files.end(), [](const FoundFile& a, const FoundFile& b) { return a.path < b.path; });
    if (options.progress)
        options.progress(out.files.size());
    return out;
}

} // namespace vop::library
