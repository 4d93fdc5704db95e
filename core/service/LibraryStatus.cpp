// LibraryService: status, roots, file problems, thumbnails, export.
#include "service/internal/LibraryServiceImpl.h"

namespace vop::service {

LibraryStatus LibraryService::status(const StatusOptions& options)
{
    LibraryStatus st;
    st.dbPath = d->options.dbPath;
    st.exists = databaseExists();
    if (!st.exists)
        return st;
    store::Catalog catalog(d->options.dbPath);
    st.schemaVersion = catalog.schemaVersion();
    catalog.readSnapshot([&] {
        st.counts = catalog.counts();
        for (const auto& r : catalog.roots()) {
            RootStatus rs;
            rs.path = r.path;
            rs.mounted = r.mounted;
            for (const auto& f : catalog.filesUnderRoot(r.id)) {
                ++rs.files;
                switch (f.status) {
                case store::FileStatus::Indexed: ++rs.indexed; break;
                case store::FileStatus::Pending: ++rs.pending; break;
                case store::FileStatus::Skipped: ++rs.skipped; break;
                case store::FileStatus::Failed: ++rs.failed; break;
                case store::FileStatus::Offline: ++rs.offline; break;
                }
            }
            st.roots.push_back(std::move(rs));
        }
    });
    std::optional<store::IndexKey> activeKey;
    try {
        auto r = d->resolve(catalog);
        activeKey = r.activeKey;
        st.active = r.status;
    } catch (const std::exception&) {
        // no model configured: no space is active
    }
    for (const auto& s : library::listSpaces(catalog)) {
        SpaceStatus ss;
        ss.key = s.key;
        ss.modelName = s.modelName;
        ss.variant = s.variant;
        ss.promptsName = s.promptsName;
        ss.dim = s.dim;
        ss.embeddings = s.embeddings;
        ss.active = activeKey && *activeKey == s.key;
        {
            std::lock_guard<std::mutex> lock(d->mu);
            auto it = d->indexes.find(keyString(s.key));
            if (it != d->indexes.end()) {
                ss.indexVectors = int64_t(it->second->size());
                ss.indexState = "loaded";
            }
        }
        if (options.inspectIndexes) {
            const std::string path = store::indexFilePath(d->indexDir, s.key);
            if (!fs::exists(path)) {
                ss.indexVectors = 0;
                ss.indexState = "missing (built on the next search or index run)";
            } else {
                try {
                    library::FileLock lock(library::indexLockPath(d->indexDir), library::FileLock::Mode::Shared);
                    auto index = store::VectorIndex::load(path, catalog.catalogId(), s.key, s.dim);
                    ss.indexVectors = int64_t(index->size());
                    const std::string c = store::checkIndexConsistency(catalog, *index);
                    ss.indexState =
                        c == "ok" ? "ok" : "stale: " + c + " (brought up to date on the next search or index run)";
                } catch (const std::exception& e) {
                    ss.indexVectors = 0;
                    ss.indexState = std::string("rejected: ") + e.what() + " (rebuilt on the next search or index run)";
                }
            }
        }
        st.spaces.push_back(std::move(ss));
    }
    if (options.integrity)
        st.integrity = catalog.integrityCheck();
    return st;
}

std::vector<FileProblem> LibraryService::fileProblems(size_t limit)
{
    std::vector<FileProblem> out;
    if (!databaseExists())
        return out;
    store::Catalog catalog(d->options.dbPath);
    for (auto status : {store::FileStatus::Failed, store::FileStatus::Skipped})
        for (const auto& f : catalog.filesWithStatus(status)) {
            if (out.size() >= limit)
                return out;
            out.push_back({f.path, f.status, f.error, f.rootId});
        }
    return out;
}

std::vector<store::RootRecord> LibraryService::roots()
{
    if (!databaseExists())
        return {};
    store::Catalog catalog(d->options.dbPath);
    return catalog.roots();
}

std::string LibraryService::addRoot(const std::string& path)
{
    std::error_code ec;
    if (path.empty() || !fs::is_directory(path, ec))
        throw InputError(fs::exists(path, ec) ? "'" + path + "' is not a folder; choose the folder that holds your videos"
                                              : "no such folder: '" + path + "'");
    const std::string root = library::normalizeRoot(path);
    {
        store::Catalog catalog(d->options.dbPath);
        catalog.addRoot(root);
    }
    d->notify({LibraryEvent::Kind::RootsChanged, 1, root});
    return root;
}

void LibraryService::removeRoot(const std::string& path)
{
    if (d->indexing)
        throw InputError("the library is being indexed; cancel the scan first, then remove the folder");
    d->requireDatabase();
    {
        store::Catalog catalog(d->options.dbPath);
        const auto root = catalog.findRoot(library::normalizeRoot(path));
        if (!root)
            throw InputError("'" + path + "' is not one of the library's folders");
        catalog.removeRoot(root->id);
    }
    {
        // The cached indexes still hold the removed rows: the next search brings them up to date.
        std::lock_guard<std::mutex> lock(d->mu);
        d->indexes.clear();
    }
    d->notify({LibraryEvent::Kind::RootsChanged, -1, path});
    d->notify({LibraryEvent::Kind::FilesChanged, 0, {}});
}

std::string LibraryService::thumbnail(int64_t segmentId)
{
    if (!databaseExists())
        return {};
    // One connection per thread and catalog: thumbnails are asked for by a pool, many at a time.
    thread_local std::map<std::string, std::unique_ptr<store::Catalog>> catalogs;
    auto& c = catalogs[d->options.dbPath];
    if (!c)
        c = std::make_unique<store::Catalog>(d->options.dbPath);
    return c->thumbnail(segmentId);
}

std::optional<store::FileRecord> LibraryService::file(int64_t fileId)
{
    if (!databaseExists())
        return std::nullopt;
    store::Catalog catalog(d->options.dbPath);
    return catalog.file(fileId);
}

void LibraryService::exportPlaylist(const std::vector<search::Moment>& moments, const std::string& path,
                                    const search::PlaylistOptions& options)
{
    search::writePlaylist(moments, path, options);
}


} // namespace vop::service
