#include "library/LibrarySync.h"

#include "library/internal/FileStat.h"
#include "library/ContentHash.h"
#include "util/Error.h"
#include "util/Log.h"

#include <algorithm>
#include <chrono>
#include <dirent.h>
#include <filesystem>
#include <map>
#include <set>
#include <sys/stat.h>
#include <thread>

namespace vop::library {

namespace fs = std::filesystem;
using store::FileRecord;
using store::FileStatus;

namespace {

const char* kArea = "library";
constexpr size_t kChunk = 256; // files per write transaction during a scan

int64_t nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool pathExists(const std::string& path)
{
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

bool folderIsEmpty(const std::string& dir)
{
    DIR* d = ::opendir(dir.c_str());
    if (!d)
        return false;
    bool empty = true;
    while (dirent* e = ::readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..") {
            empty = false;
            break;
        }
    }
    ::closedir(d);
    return empty;
}

bool isUnder(const std::string& path, const std::string& folder)
{
    return path.size() > folder.size() && path.compare(0, folder.size(), folder) == 0 &&
           (folder.back() == '/' || path[folder.size()] == '/');
}

bool isDirectory(const std::string& path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// What to do with one file found on disk, decided before the write transaction.
struct Plan {
    enum Kind { Unchanged, Touch, Upsert, Move, Unreadable, Vanished } kind = Unchanged;
    FoundFile found;
    std::string hash;
    std::optional<FileRecord> existing;
    int64_t moveFrom = 0;
    std::string moveFromPath;
    std::string error;
};

struct RootScan {
    std::string path;
    int64_t rootId = 0;
    RootListing listing;
    std::set<std::string> seen; // paths the catalog may keep under this root
};

// The state the phases of one syncRoots call share.
class SyncRun {
public:
    SyncRun(store::Catalog& catalog, const SyncOptions& options) : m_catalog(catalog), m_options(options) {}

    SyncReport run(const std::vector<std::string>& roots)
    {
        for (const auto& given : roots)
            scanRoot(normalizeRoot(given));
        settle();
        recordFiles();
        removeGone();
        listWork();
        return std::move(m_report);
    }

private:
    store::Catalog& m_catalog;
    const SyncOptions& m_options;
    SyncReport m_report;
    std::vector<RootScan> m_scans;
    std::set<std::string> m_done;        // roots handled in this call
    std::set<int64_t> m_unreadableIds;   // files this run could not read: not to index
    std::set<int64_t> m_emptyRoots;      // empty roots treated as not mounted
    std::set<int64_t> m_movedIds;        // catalog files already claimed by a move

    // Lists one root, or records it as offline or missing.
    void scanRoot(const std::string& root)
    {
        if (!m_done.insert(root).second)
            return;
        const auto known = m_catalog.findRoot(root);
        const bool present = isDirectory(root);
        bool unmounted = !present;
        if (present && known && m_options.emptyRootIsUnmounted && folderIsEmpty(root)) {
            unmounted = !m_catalog.filesUnderRoot(known->id).empty();
            if (unmounted) {
                VOP_LOG_WARN(kArea, "root '{}' is empty but the catalog has files there: treated as not mounted", root);
                m_emptyRoots.insert(known->id); // its files may still turn up elsewhere, moved
            }
        }
        if (unmounted) {
            if (!known) {
                m_report.missingRoots.push_back({root, present ? "empty folder" : "no such folder"});
                return;
            }
            m_catalog.setRootMounted(known->id, false);
            m_report.offlineRoots.push_back(root);
            m_report.offlineFiles += int64_t(m_catalog.filesUnderRoot(known->id).size());
            return;
        }
        RootScan scan;
        scan.path = root;
        scan.listing = listRoot(root, m_options.scan);
        scan.rootId = m_catalog.addRoot(root);
        if (known && !known->mounted)
            m_catalog.setRootMounted(known->id, true);
        m_report.roots.push_back(root);
        m_report.ignored += scan.listing.ignored;
        m_report.candidates += scan.listing.files.size();
        for (const auto& p : scan.listing.problems)
            m_report.folderProblems.push_back(p);
        m_scans.push_back(std::move(scan));
    }

    // Files modified very recently get a second look once the settle window has passed.
    void settle()
    {
        for (auto& scan : m_scans) {
            const int64_t now = nowNs();
            const int64_t window = int64_t(m_options.settleSeconds * 1e9);
            int64_t deadline = 0;
            for (const auto& f : scan.listing.files)
                if (f.mtimeNs > now - window)
                    deadline = std::max(deadline, std::min(f.mtimeNs, now) + window);
            if (deadline == 0)
                continue;
            std::this_thread::sleep_for(std::chrono::nanoseconds(std::max<int64_t>(0, deadline - nowNs())));
            std::vector<FoundFile> settled;
            for (const auto& f : scan.listing.files) {
                int64_t size = 0, mtime = 0;
                if (f.mtimeNs > now - window) {
                    if (!statFile(f.path, size, mtime))
                        continue; // deleted meanwhile
                    if (size != f.size || mtime != f.mtimeNs) {
                        m_report.postponed.push_back({f.path, "still being written (its size or modification time"
                                                              " is changing); it will be indexed on a later run"});
                        scan.seen.insert(f.path);
                        continue;
                    }
                }
                settled.push_back(f);
            }
            scan.listing.files = std::move(settled);
        }
    }

    // Phase 1: new, changed, touched and moved files.
    void recordFiles()
    {
        for (auto& scan : m_scans) {
            const auto& files = scan.listing.files;
            for (size_t begin = 0; begin < files.size(); begin += kChunk) {
                if (m_options.scan.cancelled && m_options.scan.cancelled())
                    throw Cancelled();
                const size_t end = std::min(files.size(), begin + kChunk);
                std::vector<Plan> plans;
                for (size_t i = begin; i < end; ++i)
                    plans.push_back(planFile(scan, files[i]));
                m_catalog.transaction([&] {
                    for (const auto& p : plans)
                        applyPlan(scan, p);
                });
                for (const auto& p : plans)
                    countPlan(p);
            }
        }
    }

    // Decided before the write transaction (hashing happens here, outside it).
    Plan planFile(RootScan& scan, const FoundFile& found)
    {
        Plan p;
        p.found = found;
        scan.seen.insert(p.found.path);
        p.existing = m_catalog.findFileByPath(p.found.path);
        const bool sameStat = p.existing && p.existing->size == p.found.size && p.existing->mtimeNs == p.found.mtimeNs;
        if (sameStat) {
            p.kind = Plan::Unchanged;
            return p;
        }
        try {
            p.hash = contentHash(p.found.path);
        } catch (const std::exception& e) {
            // Deleted between the listing and now: it is simply not there any more.
            p.kind = pathExists(p.found.path) ? Plan::Unreadable : Plan::Vanished;
            if (p.kind == Plan::Vanished)
                scan.seen.erase(p.found.path);
            p.error = e.what();
            return p;
        }
        if (p.existing) {
            const bool sameContent = p.existing->size == p.found.size && !p.existing->contentHash.empty() &&
                                     p.existing->contentHash == p.hash;
            p.kind = sameContent ? Plan::Touch : Plan::Upsert;
        } else {
            p.kind = Plan::Upsert;
            for (const auto& c : m_catalog.findFilesBySizeAndHash(p.found.size, p.hash)) {
                const bool fromEmptyRoot = c.rootId && m_emptyRoots.count(*c.rootId);
                if ((c.status == FileStatus::Offline && !fromEmptyRoot) || m_movedIds.count(c.id) ||
                    pathExists(c.path))
                    continue; // still there (a copy), or on a drive that is not mounted
                p.kind = Plan::Move;
                p.moveFrom = c.id;
                p.moveFromPath = c.path;
                m_movedIds.insert(c.id);
                break;
            }
        }
        return p;
    }

    // Inside the chunk's write transaction.
    void applyPlan(const RootScan& scan, const Plan& p)
    {
        const auto& f = p.found;
        switch (p.kind) {
        case Plan::Unchanged:
            if (p.existing->rootId != scan.rootId || p.existing->status == FileStatus::Offline)
                m_catalog.upsertFile({f.path, scan.rootId, f.size, f.mtimeNs, p.existing->contentHash});
            break;
        case Plan::Touch:
            // Same bytes, new mtime: moveFile to the same path updates root and mtime
            // and keeps the status, the segments and the embeddings.
            m_catalog.moveFile(p.existing->id, f.path, scan.rootId, f.mtimeNs);
            break;
        case Plan::Move:
            m_catalog.moveFile(p.moveFrom, f.path, scan.rootId, f.mtimeNs);
            break;
        case Plan::Upsert:
            m_catalog.upsertFile({f.path, scan.rootId, f.size, f.mtimeNs, p.hash});
            break;
        case Plan::Vanished:
            break;
        case Plan::Unreadable: {
            const auto r = m_catalog.upsertFile({f.path, scan.rootId, f.size, f.mtimeNs, ""});
            m_catalog.setFileStatus(r.fileId, FileStatus::Failed, p.error);
            m_unreadableIds.insert(r.fileId);
            break;
        }
        }
    }

    // After the chunk's transaction committed.
    void countPlan(const Plan& p)
    {
        switch (p.kind) {
        case Plan::Unchanged:
        case Plan::Touch: ++m_report.unchanged; break;
        case Plan::Move: m_report.moved.push_back({p.moveFromPath, p.found.path}); break;
        case Plan::Upsert: ++(p.existing ? m_report.changedFiles : m_report.newFiles); break;
        case Plan::Unreadable: m_report.failed.push_back({p.found.path, p.error}); break;
        case Plan::Vanished: break;
        }
    }

    // Phase 2, once every root has been seen (a file moved from one root to another is a move,
    // not a deletion): files gone from disk leave the catalog.
    void removeGone()
    {
        for (auto& scan : m_scans) {
            std::vector<FileRecord> gone;
            for (const auto& f : m_catalog.filesUnderRoot(scan.rootId)) {
                if (scan.seen.count(f.path))
                    continue;
                const auto& incomplete = scan.listing.incompleteFolders;
                const bool keep = std::any_of(incomplete.begin(), incomplete.end(), [&](const std::string& d) {
                    return f.path == d || isUnder(f.path, d);
                });
                if (!keep)
                    gone.push_back(f);
            }
            for (size_t begin = 0; begin < gone.size(); begin += kChunk) {
                const size_t end = std::min(gone.size(), begin + kChunk);
                m_catalog.transaction([&] {
                    for (size_t i = begin; i < end; ++i)
                        m_catalog.deleteFile(gone[i].id);
                });
                for (size_t i = begin; i < end; ++i)
                    m_report.removed.push_back(gone[i].path);
            }
        }
    }

    // What is left to do under the scanned roots.
    void listWork()
    {
        std::set<std::string> postponed;
        for (const auto& p : m_report.postponed)
            postponed.insert(p.path);
        for (const auto& scan : m_scans)
            for (const auto& f : m_catalog.filesUnderRoot(scan.rootId))
                if ((f.status == FileStatus::Pending || f.status == FileStatus::Failed) &&
                    !m_unreadableIds.count(f.id) && !postponed.count(f.path))
                    m_report.toIndex.push_back(f.id);
    }
};

} // namespace

std::string normalizeRoot(const std::string& path)
{
    std::string p = fs::absolute(fs::path(path)).lexically_normal().string();
    while (p.size() > 1 && p.back() == '/')
        p.pop_back();
    return p;
}

SyncReport syncRoots(store::Catalog& catalog, const std::vector<std::string>& roots, const SyncOptions& options)
{
    return SyncRun(catalog, options).run(roots);
}

} // namespace vop::library
