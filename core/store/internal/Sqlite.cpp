#include "store/internal/Sqlite.h"

#include "util/Error.h"

#include <cstdio>
#include <filesystem>
#include <sys/statvfs.h>

namespace vop::store::sql {

Stmt::~Stmt()
{
    if (m_s) {
        sqlite3_reset(m_s);
        sqlite3_clear_bindings(m_s);
    }
}

Stmt& Stmt::bind(int i, int64_t v)
{
    if (int rc = sqlite3_bind_int64(m_s, i, v); rc != SQLITE_OK)
        m_db->fail(rc, "bind");
    return *this;
}

Stmt& Stmt::bind(int i, double v)
{
    if (int rc = sqlite3_bind_double(m_s, i, v); rc != SQLITE_OK)
        m_db->fail(rc, "bind");
    return *this;
}

Stmt& Stmt::bind(int i, std::string_view v)
{
    if (int rc = sqlite3_bind_text64(m_s, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8); rc != SQLITE_OK)
        m_db->fail(rc, "bind");
    return *this;
}

Stmt& Stmt::bind(int i, const std::optional<int64_t>& v)
{
    return v ? bind(i, *v) : bindNull(i);
}

Stmt& Stmt::bindBlob(int i, const void* data, size_t size)
{
    // A zero-length blob must still be a blob, not NULL: SQLite wants a non-null pointer.
    static const char empty = 0;
    if (int rc = sqlite3_bind_blob64(m_s, i, size ? data : &empty, size, SQLITE_TRANSIENT); rc != SQLITE_OK)
        m_db->fail(rc, "bind");
    return *this;
}

Stmt& Stmt::bindNull(int i)
{
    if (int rc = sqlite3_bind_null(m_s, i); rc != SQLITE_OK)
        m_db->fail(rc, "bind");
    return *this;
}

bool Stmt::step()
{
    int rc = sqlite3_step(m_s);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    // sqlite3_reset returns the same error; keep the message from the step.
    m_db->fail(rc, std::string("statement '") + sqlite3_sql(m_s) + "'");
}

void Stmt::run()
{
    while (step()) {
    }
}

std::string Stmt::text(int c) const
{
    const unsigned char* t = sqlite3_column_text(m_s, c);
    if (!t)
        return {};
    return std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(m_s, c)));
}

std::optional<int64_t> Stmt::optI64(int c) const
{
    if (isNull(c))
        return std::nullopt;
    return i64(c);
}

Db::~Db()
{
    close();
}

void Db::open(const std::string& path, bool create)
{
    close();
    m_path = path;
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path.c_str(), &m_h, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = m_h ? sqlite3_errmsg(m_h) : sqlite3_errstr(rc);
        sqlite3_close_v2(m_h);
        m_h = nullptr;
        if (rc == SQLITE_CANTOPEN)
            throw InputError("cannot open the catalog '" + path + "': " + msg);
        throw Error("cannot open the catalog '" + path + "': " + msg);
    }
    sqlite3_extended_result_codes(m_h, 1);
}

bool diskFull(const std::string& path)
{
    const auto parent = std::filesystem::path(path).parent_path();
    struct statvfs st {};
    if (::statvfs(parent.empty() ? "." : parent.c_str(), &st) != 0)
        return false;
    // Less than 64 KiB: not enough for SQLite's shared-memory file and a few pages.
    return uint64_t(st.f_bavail) * uint64_t(st.f_frsize) < (64u << 10);
}

namespace {
// `path` as an SQLite URI filename: '?', '#' and '%' must not be read as URI syntax.
std::string uriPath(const std::string& path)
{
    std::string out = "file:";
    for (char c : path) {
        if (c == '?' || c == '#' || c == '%') {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
            out += buf;
        } else {
            out += c;
        }
    }
    return out;
}
} // namespace

void Db::openReadOnly(const std::string& path, bool immutable)
{
    close();
    m_path = path;
    const std::string uri = uriPath(path) + (immutable ? "?mode=ro&immutable=1" : "?mode=ro");
    int rc = sqlite3_open_v2(uri.c_str(), &m_h, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = m_h ? sqlite3_errmsg(m_h) : sqlite3_errstr(rc);
        sqlite3_close_v2(m_h);
        m_h = nullptr;
        throw InputError("cannot open the catalog '" + path + "' for reading: " + msg);
    }
    sqlite3_extended_result_codes(m_h, 1);
}

void Db::close()
{
    for (auto& [sql, s] : m_cache)
        sqlite3_finalize(s);
    m_cache.clear();
    if (m_h) {
        sqlite3_close_v2(m_h);
        m_h = nullptr;
    }
}

Stmt Db::stmt(const char* sql)
{
    auto it = m_cache.find(sql);
    if (it != m_cache.end())
        return Stmt(*this, it->second);
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v3(m_h, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK)
        fail(rc, std::string("preparing '") + sql + "'");
    m_cache.emplace(sql, s);
    return Stmt(*this, s);
}

void Db::exec(const std::string& sql)
{
    char* err = nullptr;
    int rc = sqlite3_exec(m_h, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        sqlite3_free(err); // the same text stays in sqlite3_errmsg(), which fail() reports
        std::string head = sql.substr(0, sql.find('\n'));
        if (head.size() > 60)
            head = head.substr(0, 60) + "...";
        fail(rc, "'" + head + "'");
    }
}

void Db::fail(int rc, const std::string& what) const
{
    std::string msg = m_h ? sqlite3_errmsg(m_h) : sqlite3_errstr(rc);
    int primary = rc & 0xff;
    switch (primary) {
    case SQLITE_NOTADB:
        throw InputError("'" + m_path + "' is not a vopsearch catalog: " + msg +
                         " (the file was left untouched; choose another --db path)");
    case SQLITE_CORRUPT:
        throw InputError("the catalog '" + m_path + "' is corrupt: " + msg +
                         " (restore a backup, or move it away and index again)");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        throw Error("the catalog '" + m_path + "' is busy (another vopsearch process is writing to it): " + msg);
    case SQLITE_IOERR:
        if (!diskFull(m_path))
            throw Error("I/O error on the catalog '" + m_path + "': " + msg);
        [[fallthrough]]; // a full disk, e.g. no room for the -shm file that a WAL reader needs
    case SQLITE_FULL:
        throw Error("the disk holding the catalog '" + m_path + "' is full (" + msg +
                    "): free some space and run again; what was stored before is kept");
    case SQLITE_READONLY:
        throw Error("the catalog '" + m_path + "' is read-only (" + msg +
                    "): searching works, changing it needs a writable file and folder");
    default:
        throw Error("catalog '" + m_path + "': " + what + " failed: " + msg);
    }
}

} // namespace vop::store::sql
