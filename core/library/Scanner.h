#pragma once
// Walking a library folder: which files are videos worth opening.
//
//  - Recursive. Hidden entries (names starting with '.') and system folders ($RECYCLE.BIN,
//    System Volume Information, lost+found, @eaDir, ...) are skipped.
//  - Symbolic links are followed, but every folder and every file is visited once (by device
//    and inode), so a link loop ends and a file reachable by two paths is listed once, under
//    its real path when the real tree reaches it (links are followed after the real tree).
//  - A file is a candidate when its extension is a video container's or an audio file's (an
//    audio-only file is then reported as skipped with its reason, not silently dropped), or,
//    for an unknown extension or none, when its first bytes look like a video container.
//    Images, documents, subtitles, partial downloads and the like are ignored.
//  - Only regular files: FIFOs, sockets and devices are never opened.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace vop::library {

struct ScanOptions {
    bool sniffUnknown = true;                // look at the bytes of files with an unknown extension
    std::function<bool()> cancelled;         // polled per folder; true stops the walk (throws Cancelled)
    std::function<void(size_t)> progress;    // candidates found so far, now and then
};

struct FoundFile {
    std::string path;  // as reached from the root (links not resolved)
    int64_t size = 0;
    int64_t mtimeNs = 0;
};

struct PathProblem {
    std::string path;
    std::string reason;
};

struct RootListing {
    std::vector<FoundFile> files;                // sorted by path
    std::vector<PathProblem> problems;           // folders that could not be read
    // Folders that could not be listed completely: what the catalog knew under them is kept.
    std::vector<std::string> incompleteFolders;
    size_t ignored = 0;                          // files that are not videos
};

// Lists the candidate files under `root` (a folder). Throws InputError when `root` itself is not a
// readable folder.
RootListing listRoot(const std::string& root, const ScanOptions& options = {});

// True for names the walk skips: hidden ('.' first) and system folders.
bool isHiddenOrSystemName(const std::string& name);

// What the walk makes of a file name (no content sniffing): 1 candidate, 0 unknown (sniff), -1 ignore.
int classifyByName(const std::string& path);

// Lower-case extension without the dot ("" when none).
std::string extensionOf(const std::string& path);

} // namespace vop::library
