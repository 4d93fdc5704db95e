#pragma once
// Internal to vop_store: a thin RAII layer over the sqlite3 C API. Never include from a
// public header (it pulls in sqlite3.h).
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vop::store::sql {

class Db;

// A prepared statement borrowed from the connection's cache. Destruction resets it and clears
// its bindings, so the next user finds it clean. Columns and parameters are 0- and 1-based,
// as in SQLite.
class Stmt {
public:
    Stmt(Db& db, sqlite3_stmt* s) : m_db(&db), m_s(s) {}
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    Stmt(Stmt&& o) noexcept : m_db(o.m_db), m_s(o.m_s) { o.m_s = nullptr; }
    ~Stmt();

    Stmt& bind(int i, int64_t v);
    Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
    Stmt& bind(int i, double v);
    Stmt& bind(int i, std::string_view v);
    Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
    Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
    Stmt& bind(int i, const std::optional<int64_t>& v);
    Stmt& bindBlob(int i, const void* data, size_t size);
    Stmt& bindNull(int i);
    // NULL for "unknown" values (0, empty) so that the database says what is not known.
    Stmt& bindOrNull(int i, double v) { return v > 0 ? bind(i, v) : bindNull(i); }
    Stmt& bindOrNull(int i, int64_t v) { return v > 0 ? bind(i, v) : bindNull(i); }
    Stmt& bindOrNull(int i, std::string_view v) { return v.empty() ? bindNull(i) : bind(i, v); }

    // True when a row is available, false when done. Throws vop::Error on failure.
    bool step();
    // Runs a statement that returns no rows (or ignores them).
    void run();

    bool isNull(int c) const { return sqlite3_column_type(m_s, c) == SQLITE_NULL; }
    int64_t i64(int c) const { return sqlite3_column_int64(m_s, c); }
    double dbl(int c) const { return sqlite3_column_double(m_s, c); }
    std::string text(int c) const;
    std::optional<int64_t> optI64(int c) const;
    const void* blob(int c) const { return sqlite3_column_blob(m_s, c); }
    size_t blobSize(int c) const { return static_cast<size_t>(sqlite3_column_bytes(m_s, c)); }

private:
    Db* m_db;
    sqlite3_stmt* m_s;
};

// True when the file system that holds `path` (or would hold it) has no room left for writes.
bool diskFull(const std::string& path);

class Db {
public:
    Db() = default;
    ~Db();
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    // Opens (creating when allowed) the database. Throws vop::Error naming the path.
    void open(const std::string& path, bool create);
    // Opens an existing database for reading only. `immutable`: SQLite assumes nobody changes
    // the file and needs no -shm/-wal beside it (a WAL database in a read-only folder).
    void openReadOnly(const std::string& path, bool immutable);
    void close();
    bool isOpen() const { return m_h != nullptr; }
    sqlite3* handle() const { return m_h; }
    const std::string& path() const { return m_path; }

    // A cached prepared statement; `sql` must be a string literal (its address is the key).
    Stmt stmt(const char* sql);
    // A statement for dynamic SQL, prepared each time.
    void exec(const std::string& sql);
    int64_t lastInsertRowid() const { return sqlite3_last_insert_rowid(m_h); }
    int changes() const { return sqlite3_changes(m_h); }

    // Throws the exception that fits `rc`: InputError for a file that is not a database or is
    // corrupt, Error otherwise, always naming the database and `what`.
    [[noreturn]] void fail(int rc, const std::string& what) const;

private:
    friend class Stmt;
    sqlite3* m_h = nullptr;
    std::string m_path;
    std::unordered_map<const char*, sqlite3_stmt*> m_cache;
};

} // namespace vop::store::sql
