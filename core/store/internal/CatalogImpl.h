#pragma once
// Internal to vop_store: the state behind Catalog, shared by Catalog.cpp and CatalogFiles.cpp.
#include "store/Catalog.h"
#include "store/internal/Sqlite.h"

#include <string>
#include <unordered_map>

namespace vop::store {

struct Catalog::Impl {
    sql::Db db;
    std::string path;
    std::string catalogId;
    int schemaVersion = 0;
    bool readOnly = false;    // opened for reading only, because of readOnlyReason
    std::string readOnlyReason;
    int txDepth = 0;          // open write transactions / savepoints
    bool inReadSnapshot = false;
    std::unordered_map<int64_t, int> modelDims; // cache: model id -> dim

    int modelDim(int64_t modelId); // throws InputError for an unknown model
};

// A write transaction: BEGIN IMMEDIATE at the outermost level (take the write lock up front,
// so a reader-turned-writer can never deadlock on an upgrade), SAVEPOINT when nested.
// Rolled back unless commit() is called.
class WriteTx {
public:
    explicit WriteTx(Catalog::Impl& c);
    ~WriteTx();
    WriteTx(const WriteTx&) = delete;
    WriteTx& operator=(const WriteTx&) = delete;
    void commit();

private:
    Catalog::Impl& m_c;
    bool m_nested;
    bool m_done = false;
};

// A read transaction so that several statements see one snapshot; a no-op inside another
// transaction.
class ReadTx {
public:
    explicit ReadTx(Catalog::Impl& c);
    ~ReadTx();
    ReadTx(const ReadTx&) = delete;
    ReadTx& operator=(const ReadTx&) = delete;

private:
    Catalog::Impl& m_c;
    bool m_owns;
};

// The columns readFileRow() expects, in order (a macro so that queries stay string literals,
// which the statement cache needs).
#define VOP_FILE_COLUMNS \
    "id, root_id, path, size, mtime_ns, content_hash, duration, width, height, codec, status, error, indexed_at"
FileRecord readFileRow(const sql::Stmt& st);

} // namespace vop::store
