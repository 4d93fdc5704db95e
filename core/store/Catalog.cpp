// Catalog: opening, migrations, transactions, roots, models, prompt sets, status.
// Files, segments and embeddings are in CatalogFiles.cpp.
#include "store/Catalog.h"

#include "store/internal/CatalogImpl.h"
#include "util/Error.h"
#include "util/Log.h"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <sstream>
#include <unistd.h>

namespace vop::store {

namespace {

const char* kArea = "store";

bool isMemoryPath(const std::string& path)
{
    return path.empty() || path == ":memory:" || path.rfind("file::memory:", 0) == 0;
}

int64_t now()
{
    return static_cast<int64_t>(std::time(nullptr));
}

std::string hex32(int v)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(v));
    return buf;
}

} // namespace

const char* toString(FileStatus s)
{
    switch (s) {
    case FileStatus::Pending: return "pending";
    case FileStatus::Indexed: return "indexed";
    case FileStatus::Skipped: return "skipped";
    case FileStatus::Failed: return "failed";
    case FileStatus::Offline: return "offline";
    }
    return "pending";
}

FileStatus fileStatusFromString(const std::string& s)
{
    for (FileStatus f : {FileStatus::Pending, FileStatus::Indexed, FileStatus::Skipped, FileStatus::Failed,
                         FileStatus::Offline})
        if (s == toString(f))
            return f;
    throw Error("unknown file status '" + s + "' in the catalog");
}

// --- transactions -------------------------------------------------------------------------

WriteTx::WriteTx(Catalog::Impl& c) : m_c(c), m_nested(c.txDepth > 0)
{
    if (c.inReadSnapshot)
        throw Error("catalog '" + c.path + "': a write was attempted inside readSnapshot()");
    c.db.exec(m_nested ? "SAVEPOINT vop_sp" : "BEGIN IMMEDIATE");
    ++c.txDepth;
}

void WriteTx::commit()
{
    m_c.db.exec(m_nested ? "RELEASE vop_sp" : "COMMIT");
    --m_c.txDepth;
    m_done = true;
}

WriteTx::~WriteTx()
{
    if (m_done)
        return;
    --m_c.txDepth;
    try {
        if (m_nested)
            m_c.db.exec("ROLLBACK TO vop_sp; RELEASE vop_sp");
        else if (!sqlite3_get_autocommit(m_c.db.handle()))
            m_c.db.exec("ROLLBACK");
    } catch (const std::exception& e) {
        VOP_LOG_ERROR(kArea, "rollback failed on '{}': {}", m_c.path, e.what());
    }
}

ReadTx::ReadTx(Catalog::Impl& c) : m_c(c), m_owns(c.txDepth == 0 && !c.inReadSnapshot)
{
    if (m_owns) {
        c.db.exec("BEGIN");
        c.inReadSnapshot = true;
    }
}

ReadTx::~ReadTx()
{
    if (!m_owns)
        return;
    m_c.inReadSnapshot = false;
    try {
        m_c.db.exec("COMMIT");
    } catch (...) {
        try {
            m_c.db.exec("ROLLBACK");
        } catch (...) {
        }
    }
}

// --- opening and migrations ---------------------------------------------------------------

namespace {

int pragmaInt(sql::Db& db, const char* sql)
{
    auto st = db.stmt(sql);
    return st.step() ? static_cast<int>(st.i64(0)) : 0;
}

void migrate(Catalog::Impl& c, const std::vector<Migration>& migrations)
{
    for (const Migration& mig : migrations) {
        if (c.schemaVersion >= mig.version)
            continue;
        try {
            WriteTx tx(c);
            // Another process may have migrated while we waited for the write lock.
            int current = pragmaInt(c.db, "PRAGMA user_version");
            if (current >= mig.version) {
                c.schemaVersion = current;
                tx.commit();
                continue;
            }
            c.db.exec(mig.sql);
            c.db.exec("PRAGMA user_version = " + std::to_string(mig.version));
            c.db.exec("PRAGMA application_id = " + std::to_string(kCatalogApplicationId));
            tx.commit();
        } catch (const std::exception& e) {
            throw Error("cannot upgrade the catalog '" + c.path + "' to schema version " +
                        std::to_string(mig.version) + " (" + mig.name + "); it stays at version " +
                        std::to_string(c.schemaVersion) + ": " + e.what());
        }
        VOP_LOG_INFO(kArea, "catalog '{}' migrated to schema version {} ({})", c.path, mig.version, mig.name);
        c.schemaVersion = mig.version;
    }
}

} // namespace

namespace {

// Whether an existing catalog can only be read here: the file or its folder is not writable (a
// read-only file system, a read-only file). Opened read-write, SQLite would fail at the first
// write, or (WAL in a read-only folder) at the first read.
bool onlyReadable(const std::string& path)
{
    if (isMemoryPath(path) || ::access(path.c_str(), F_OK) != 0)
        return false;
    const auto parent = std::filesystem::path(path).parent_path();
    const std::string dir = parent.empty() ? "." : parent.string();
    return ::access(path.c_str(), W_OK) != 0 || ::access(dir.c_str(), W_OK) != 0;
}

void openForReading(Catalog::Impl& c, const std::string& why)
{
    c.readOnly = true;
    c.readOnlyReason = why;
    // Needs the -shm file beside it, or a folder where it can be made; else immutable.
    c.db.openReadOnly(c.path, false);
    try {
        pragmaInt(c.db, "SELECT COUNT(*) FROM sqlite_master");
    } catch (const std::exception&) {
        c.db.openReadOnly(c.path, true);
    }
    VOP_LOG_WARN(kArea, "catalog '{}' opened for searching only: {}", c.path, why);
}

void openFile(Catalog::Impl& c)
{
    if (onlyReadable(c.path))
        return openForReading(c, "it is on a read-only file system, or the file or its folder is read-only");
    if (isMemoryPath(c.path))
        return c.db.open(c.path, true);
    std::error_code ec;
    auto parent = std::filesystem::path(c.path).parent_path();
    if (!parent.empty())
        std::filesystem::create_directories(parent, ec); // open() reports what still fails
    if (std::filesystem::is_directory(c.path, ec))
        throw InputError("the catalog path '" + c.path + "' is a folder, not a database file");
    const bool existed = std::filesystem::exists(c.path, ec);
    c.db.open(c.path, true);
    try {
        pragmaInt(c.db, "SELECT COUNT(*) FROM sqlite_master");
    } catch (const std::exception&) {
        // A full disk: no room for the -shm file that WAL needs even to read. What is stored
        // can still be searched.
        if (!existed || !sql::diskFull(c.path))
            throw;
        openForReading(c, "the disk holding it is full: free some space");
    }
}

// Reads the header before writing anything: a file that is not ours is refused untouched.
// These reads are where SQLite first looks at the file (SQLITE_NOTADB for random bytes).
void checkHeader(Catalog::Impl& c, int latest)
{
    int appId = pragmaInt(c.db, "PRAGMA application_id");
    int version = pragmaInt(c.db, "PRAGMA user_version");
    int64_t objects = 0;
    {
        auto st = c.db.stmt("SELECT COUNT(*) FROM sqlite_master");
        if (st.step())
            objects = st.i64(0);
    }
    if (appId != 0 && appId != kCatalogApplicationId)
        throw InputError("'" + c.path + "' is an SQLite database of another program (application_id " +
                         hex32(appId) + "), not a vopsearch catalog; it was left untouched");
    if (appId == 0 && objects > 0)
        throw InputError("'" + c.path + "' is an SQLite database but not a vopsearch catalog (it has " +
                         std::to_string(objects) + " tables or indexes of its own); it was left untouched");
    if (version > latest)
        throw InputError("the catalog '" + c.path + "' has schema version " + std::to_string(version) +
                         ", made by a newer vopsearch; this one understands versions up to " +
                         std::to_string(latest) + ". Update vopsearch, or choose another database with --db.");
    if (c.readOnly && version < latest)
        throw InputError("the catalog '" + c.path + "' is read-only here and needs an upgrade (schema version " +
                         std::to_string(version) + " to " + std::to_string(latest) +
                         "); open it once where it is writable");
    c.schemaVersion = version;
}

} // namespace

Catalog::Catalog(const std::string& path, const CatalogOptions& options) : d(std::make_unique<Impl>())
{
    d->path = path.empty() ? ":memory:" : path;
    const auto& migrations = options.migrations ? *options.migrations : catalogMigrations();
    const int latest = migrations.empty() ? 0 : migrations.back().version;

    openFile(*d);
    sqlite3_busy_timeout(d->db.handle(), options.busyTimeoutMs);
    checkHeader(*d, latest);
    if (!d->readOnly) {
        // WAL: readers and the writer do not block each other. (":memory:" answers "memory".)
        auto st = d->db.stmt("PRAGMA journal_mode = WAL");
        std::string mode = st.step() ? st.text(0) : "";
        if (mode != "wal" && !isMemoryPath(d->path))
            VOP_LOG_WARN(kArea, "catalog '{}' runs in journal mode '{}', not WAL", d->path, mode);
    }
    d->db.exec("PRAGMA synchronous = NORMAL");
    d->db.exec("PRAGMA foreign_keys = ON");

    migrate(*d, migrations);

    auto st = d->db.stmt("SELECT value FROM catalog_info WHERE key = 'catalog_id'");
    if (st.step())
        d->catalogId = st.text(0);
    if (d->catalogId.empty())
        throw InputError("the catalog '" + d->path + "' has no catalog id; it is damaged");
}

Catalog::~Catalog() = default;

const std::string& Catalog::path() const { return d->path; }
bool Catalog::readOnly() const { return d->readOnly; }

void Catalog::requireWritable(const std::string& purpose) const
{
    if (d->readOnly)
        throw InputError("the catalog '" + d->path + "' can only be read now (" + d->readOnlyReason + "): " +
                         purpose + " needs to change it; searching it still works");
}
int Catalog::schemaVersion() const { return d->schemaVersion; }
const std::string& Catalog::catalogId() const { return d->catalogId; }

void Catalog::transaction(const std::function<void()>& fn)
{
    WriteTx tx(*d);
    fn();
    tx.commit();
}

void Catalog::readSnapshot(const std::function<void()>& fn)
{
    ReadTx tx(*d);
    fn();
}

// --- roots ----------------------------------------------------------------------------------

int64_t Catalog::addRoot(const std::string& path)
{
    WriteTx tx(*d);
    d->db.stmt("INSERT INTO roots(path, added_at) VALUES(?, ?) ON CONFLICT(path) DO NOTHING")
        .bind(1, path).bind(2, now()).run();
    auto st = d->db.stmt("SELECT id FROM roots WHERE path = ?");
    st.bind(1, path);
    if (!st.step())
        throw Error("catalog '" + d->path + "': the root '" + path + "' was not stored");
    int64_t id = st.i64(0);
    tx.commit();
    return id;
}

namespace {
RootRecord readRoot(const sql::Stmt& st)
{
    return RootRecord{st.i64(0), st.text(1), st.i64(2), st.i64(3) != 0};
}
} // namespace

std::vector<RootRecord> Catalog::roots()
{
    std::vector<RootRecord> out;
    auto st = d->db.stmt("SELECT id, path, added_at, mounted FROM roots ORDER BY path");
    while (st.step())
        out.push_back(readRoot(st));
    return out;
}

std::optional<RootRecord> Catalog::findRoot(const std::string& path)
{
    auto st = d->db.stmt("SELECT id, path, added_at, mounted FROM roots WHERE path = ?");
    st.bind(1, path);
    if (!st.step())
        return std::nullopt;
    return readRoot(st);
}

void Catalog::removeRoot(int64_t rootId)
{
    WriteTx tx(*d);
    d->db.stmt("DELETE FROM roots WHERE id = ?").bind(1, rootId).run();
    tx.commit();
}

void Catalog::setRootMounted(int64_t rootId, bool mounted)
{
    WriteTx tx(*d);
    d->db.stmt("UPDATE roots SET mounted = ? WHERE id = ?").bind(1, mounted ? 1 : 0).bind(2, rootId).run();
    if (mounted) {
        d->db.stmt("UPDATE files SET status = CASE WHEN EXISTS (SELECT 1 FROM segments s WHERE s.file_id = files.id)"
                   " THEN 'indexed' ELSE 'pending' END WHERE root_id = ? AND status = 'offline'")
            .bind(1, rootId).run();
    } else {
        d->db.stmt("UPDATE files SET status = 'offline' WHERE root_id = ?").bind(1, rootId).run();
    }
    tx.commit();
}

// --- models and prompt sets -----------------------------------------------------------------

int Catalog::Impl::modelDim(int64_t modelId)
{
    auto it = modelDims.find(modelId);
    if (it != modelDims.end())
        return it->second;
    auto st = db.stmt("SELECT dim FROM models WHERE id = ?");
    st.bind(1, modelId);
    if (!st.step())
        throw InputError("catalog '" + path + "': no model with id " + std::to_string(modelId));
    int dim = static_cast<int>(st.i64(0));
    modelDims.emplace(modelId, dim);
    return dim;
}

int64_t Catalog::upsertModel(const std::string& sha256, const std::string& name, int dim)
{
    if (sha256.empty() || dim <= 0)
        throw InputError("a model needs a checkpoint sha256 and a positive dimension (got '" + sha256 +
                         "', dim " + std::to_string(dim) + ")");
    WriteTx tx(*d);
    int64_t id = 0;
    {
        auto st = d->db.stmt("SELECT id, dim FROM models WHERE sha256 = ?");
        st.bind(1, sha256);
        if (st.step()) {
            id = st.i64(0);
            if (st.i64(1) != dim)
                throw InputError("the model " + sha256.substr(0, 12) + " is in the catalog with dimension " +
                                 std::to_string(st.i64(1)) + ", not " + std::to_string(dim));
        }
    }
    if (id) {
        d->db.stmt("UPDATE models SET name = ? WHERE id = ?").bind(1, name).bind(2, id).run();
    } else {
        d->db.stmt("INSERT INTO models(sha256, name, dim) VALUES(?, ?, ?)").bind(1, sha256).bind(2, name).bind(3, dim).run();
        id = d->db.lastInsertRowid();
    }
    tx.commit();
    return id;
}

namespace {
ModelRecord readModel(const sql::Stmt& st)
{
    return ModelRecord{st.i64(0), st.text(1), st.text(2), static_cast<int>(st.i64(3))};
}
PromptSetRecord readPromptSet(const sql::Stmt& st)
{
    return PromptSetRecord{st.i64(0), st.text(1), st.text(2), st.i64(3), st.text(4)};
}
} // namespace

std::optional<ModelRecord> Catalog::model(int64_t modelId)
{
    auto st = d->db.stmt("SELECT id, sha256, name, dim FROM models WHERE id = ?");
    st.bind(1, modelId);
    return st.step() ? std::optional<ModelRecord>(readModel(st)) : std::nullopt;
}

std::optional<ModelRecord> Catalog::findModel(const std::string& sha256)
{
    auto st = d->db.stmt("SELECT id, sha256, name, dim FROM models WHERE sha256 = ?");
    st.bind(1, sha256);
    return st.step() ? std::optional<ModelRecord>(readModel(st)) : std::nullopt;
}

int64_t Catalog::upsertPromptSet(const std::string& sha256, const std::string& variant, int64_t modelId,
                                 const std::string& name)
{
    if (sha256.empty())
        throw InputError("a prompt set needs the sha256 of its file");
    WriteTx tx(*d);
    d->modelDim(modelId); // the backbone must exist
    int64_t id = 0;
    {
        auto st = d->db.stmt("SELECT id, model_id FROM prompt_sets WHERE sha256 = ?");
        st.bind(1, sha256);
        if (st.step()) {
            id = st.i64(0);
            if (st.i64(1) != modelId)
                throw InputError("the prompt set " + sha256.substr(0, 12) + " is in the catalog for model " +
                                 std::to_string(st.i64(1)) + ", not " + std::to_string(modelId));
        }
    }
    if (id) {
        d->db.stmt("UPDATE prompt_sets SET variant = ?, name = ? WHERE id = ?").bind(1, variant).bind(2, name).bind(3, id).run();
    } else {
        d->db.stmt("INSERT INTO prompt_sets(sha256, variant, model_id, name) VALUES(?, ?, ?, ?)")
            .bind(1, sha256).bind(2, variant).bind(3, modelId).bind(4, name).run();
        id = d->db.lastInsertRowid();
    }
    tx.commit();
    return id;
}

std::optional<PromptSetRecord> Catalog::promptSet(int64_t promptSetId)
{
    auto st = d->db.stmt("SELECT id, sha256, variant, model_id, name FROM prompt_sets WHERE id = ?");
    st.bind(1, promptSetId);
    return st.step() ? std::optional<PromptSetRecord>(readPromptSet(st)) : std::nullopt;
}

std::optional<PromptSetRecord> Catalog::findPromptSet(const std::string& sha256)
{
    auto st = d->db.stmt("SELECT id, sha256, variant, model_id, name FROM prompt_sets WHERE sha256 = ?");
    st.bind(1, sha256);
    return st.step() ? std::optional<PromptSetRecord>(readPromptSet(st)) : std::nullopt;
}

std::vector<PromptSetRecord> Catalog::promptSets()
{
    std::vector<PromptSetRecord> out;
    auto st = d->db.stmt("SELECT id, sha256, variant, model_id, name FROM prompt_sets ORDER BY id");
    while (st.step())
        out.push_back(readPromptSet(st));
    return out;
}

void Catalog::removePromptSet(int64_t promptSetId)
{
    WriteTx tx(*d);
    d->db.stmt("DELETE FROM prompt_sets WHERE id = ?").bind(1, promptSetId).run();
    tx.commit();
}

// --- status -----------------------------------------------------------------------------------

CatalogCounts Catalog::counts()
{
    auto st = d->db.stmt(
        "SELECT (SELECT COUNT(*) FROM roots),"
        " (SELECT COUNT(*) FROM files),"
        " (SELECT COUNT(*) FROM files WHERE status = 'indexed'),"
        " (SELECT COUNT(*) FROM files WHERE status = 'pending'),"
        " (SELECT COUNT(*) FROM files WHERE status = 'skipped'),"
        " (SELECT COUNT(*) FROM files WHERE status = 'failed'),"
        " (SELECT COUNT(*) FROM files WHERE status = 'offline'),"
        " (SELECT COUNT(*) FROM segments),"
        " (SELECT COUNT(*) FROM embeddings)");
    CatalogCounts c;
    if (st.step()) {
        c.roots = st.i64(0);
        c.files = st.i64(1);
        c.indexedFiles = st.i64(2);
        c.pendingFiles = st.i64(3);
        c.skippedFiles = st.i64(4);
        c.failedFiles = st.i64(5);
        c.offlineFiles = st.i64(6);
        c.segments = st.i64(7);
        c.embeddings = st.i64(8);
    }
    return c;
}

std::string Catalog::integrityCheck()
{
    ReadTx snapshot(*d);
    std::vector<std::string> problems;
    {
        auto st = d->db.stmt("PRAGMA integrity_check(20)");
        while (st.step()) {
            std::string line = st.text(0);
            if (line != "ok")
                problems.push_back(line);
        }
    }
    {
        auto st = d->db.stmt("PRAGMA foreign_key_check");
        int n = 0;
        while (st.step()) {
            if (++n <= 5)
                problems.push_back("foreign key violation: " + st.text(0) + " row " + std::to_string(st.i64(1)) +
                                   " refers to a missing " + st.text(2) + " row");
        }
        if (n > 5)
            problems.push_back(std::to_string(n - 5) + " more foreign key violations");
    }
    auto countOf = [&](const char* sql) {
        auto st = d->db.stmt(sql);
        return st.step() ? st.i64(0) : 0;
    };
    if (int64_t n = countOf("SELECT COUNT(*) FROM files f WHERE f.status = 'indexed'"
                            " AND NOT EXISTS (SELECT 1 FROM segments s WHERE s.file_id = f.id)"))
        problems.push_back(std::to_string(n) + " indexed files have no segments");
    if (int64_t n = countOf("SELECT COUNT(*) FROM embeddings e JOIN models md ON md.id = e.model_id"
                            " WHERE length(e.vector) <> 4 * md.dim"))
        problems.push_back(std::to_string(n) + " embeddings have a vector whose size does not match their model");
    if (int64_t n = countOf("SELECT COUNT(*) FROM embeddings e JOIN prompt_sets p ON p.id = e.prompt_set_id"
                            " WHERE p.model_id <> e.model_id"))
        problems.push_back(std::to_string(n) + " embeddings belong to a prompt set of another model");
    if (problems.empty())
        return "ok";
    std::ostringstream out;
    for (size_t i = 0; i < problems.size(); ++i)
        out << (i ? "; " : "") << problems[i];
    return out.str();
}

} // namespace vop::store
