#pragma once
// Bringing the catalog in step with the folders on disk, before anything is decoded:
//
//  - change detection by size + mtime; a changed mtime with the same size is confirmed by the
//    content hash (a touched file keeps its embeddings);
//  - a new path whose size + content hash match a file that is no longer on disk is that file,
//    moved or renamed: it keeps its segments and embeddings;
//  - a file gone from a scanned root leaves the catalog (and so the index), unless it sat under
//    a folder that could not be read this time;
//  - a known root that is missing (or an empty folder where files used to be: a mount point
//    with nothing mounted) is not mounted: its files become offline, never deleted (files of
//    an empty root found elsewhere in the same run are moves, as above);
//  - a file modified within the last `settleSeconds` is looked at again after that window; when
//    its size or mtime moved meanwhile it is still being written and waits for a later run.
//
// Each step is its own short transaction (chunks of files), so a kill at any moment leaves a
// consistent catalog that the next run picks up.
#include "library/Scanner.h"
#include "store/Catalog.h"

#include <cstdint>
#include <string>
#include <vector>

namespace vop::library {

struct SyncOptions {
    ScanOptions scan;
    double settleSeconds = 2.0;
    // An existing but completely empty root with files in the catalog counts as not mounted.
    bool emptyRootIsUnmounted = true;
};

struct MovedFile {
    std::string from;
    std::string to;
};

struct SyncReport {
    std::vector<std::string> roots;          // folders scanned (absolute)
    std::vector<std::string> offlineRoots;   // known roots that are not mounted now
    std::vector<PathProblem> missingRoots;   // given folders that do not exist and were never scanned
    std::vector<int64_t> toIndex;            // ids of pending / failed files under the scanned roots
    std::vector<PathProblem> postponed;      // still being written
    std::vector<PathProblem> failed;         // could not be read (this run's reason)
    std::vector<PathProblem> folderProblems; // folders that could not be read
    std::vector<MovedFile> moved;
    std::vector<std::string> removed;
    int64_t newFiles = 0;
    int64_t changedFiles = 0;
    int64_t unchanged = 0;
    int64_t offlineFiles = 0;                // files of offlineRoots
    size_t ignored = 0;                      // files that are not videos
    size_t candidates = 0;                   // video files found on disk
};

// Absolute, lexically normal, no trailing slash; links are not resolved (they are the user's names).
std::string normalizeRoot(const std::string& path);

// Scans `roots` (new ones are added to the catalog) and updates the catalog. Throws Cancelled
// when options.scan.cancelled() says so (what was written so far stays, consistent).
SyncReport syncRoots(store::Catalog& catalog, const std::vector<std::string>& roots, const SyncOptions& options = {});

} // namespace vop::library
