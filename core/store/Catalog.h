#pragma once
// The catalog: one SQLite database that is the source of truth for roots, files, segments,
// models, prompt sets and embeddings. The HNSW indexes (VectorIndex) are derived from it.
//
// Threads: a Catalog is one SQLite connection and is NOT thread-safe. Open one Catalog per
// thread on the same file. The database runs in WAL mode, so readers never wait for the writer
// and the writer does not wait for readers; writers queue behind each other (busy timeout).
// Every write that changes what a reader could see about a file (replaceFileContent, moves,
// deletes) is one transaction, so a reader sees either the old state or the new one, never a
// half-written file. A single call is one consistent read; use readSnapshot() to make several
// calls see the same state.
//
// Errors: vop::InputError for a file that is not a catalog, is corrupt, or is from a newer
// vopsearch (the file is never modified then); vop::Error for everything else, with the path.
#include "store/CatalogTypes.h"
#include "store/Migrations.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vop::store {

struct CatalogOptions {
    // How long a writer waits for another writer before failing with "busy".
    int busyTimeoutMs = 10000;
    // Testing hook: the migrations to apply instead of catalogMigrations().
    const std::vector<Migration>* migrations = nullptr;
};

class Catalog {
public:
    // Opens or creates the catalog at `path` (":memory:" for a private in-memory database;
    // parent folders are created). Applies pending migrations, each in its own transaction.
    // An existing catalog that cannot be written now is opened for reading (see readOnly()).
    explicit Catalog(const std::string& path, const CatalogOptions& options = {});
    ~Catalog();
    Catalog(const Catalog&) = delete;
    Catalog& operator=(const Catalog&) = delete;

    const std::string& path() const;
    // True when the catalog cannot be written now (a read-only file system, file or folder, or
    // a full disk): it was opened for reading, and every write throws.
    bool readOnly() const;
    // Throws vop::InputError saying that `purpose` (e.g. "indexing") needs to write the catalog
    // when it is read-only here; does nothing otherwise.
    void requireWritable(const std::string& purpose) const;
    int schemaVersion() const;            // PRAGMA user_version
    const std::string& catalogId() const; // random id made at creation; index files carry it

    // Runs `fn` in one write transaction (nested calls become savepoints). An exception from
    // `fn` rolls everything back and propagates.
    void transaction(const std::function<void()>& fn);
    // Runs `fn` in one read transaction: all reads inside see the same snapshot. No writes.
    void readSnapshot(const std::function<void()>& fn);

    // Roots -------------------------------------------------------------------------------
    int64_t addRoot(const std::string& path); // idempotent: the existing id for a known path
    std::vector<RootRecord> roots();
    std::optional<RootRecord> findRoot(const std::string& path);
    void removeRoot(int64_t rootId);          // deletes its files, segments, embeddings
    // Root unmounted: mounted=0 and all its files offline (kept, not deleted). Mounted again:
    // its offline files become indexed when they have segments, pending otherwise.
    void setRootMounted(int64_t rootId, bool mounted);

    // Files -------------------------------------------------------------------------------
    // Inserts a file by path, or updates an existing record's root, size, mtime and hash.
    // A new record is pending. An existing one whose size, mtime or hash changed becomes
    // pending (error cleared; old segments stay searchable until replaceFileContent); an
    // unchanged offline one comes back (indexed with segments, else pending).
    UpsertResult upsertFile(const FileInfo& info);
    std::optional<FileRecord> file(int64_t fileId);
    std::optional<FileRecord> findFileByPath(const std::string& path);
    // Candidates for move detection: records with this size and content hash.
    std::vector<FileRecord> findFilesBySizeAndHash(int64_t size, const std::string& contentHash);
    std::vector<FileRecord> filesUnderRoot(int64_t rootId);
    std::vector<FileRecord> filesWithStatus(FileStatus status);
    // A file moved or renamed: only its path (and root, mtime) change, its segments and
    // embeddings stay. A stale record already at `newPath` is deleted in the same transaction;
    // the ids of the embeddings that went with it are returned.
    std::vector<int64_t> moveFile(int64_t fileId, const std::string& newPath, std::optional<int64_t> rootId, int64_t mtimeNs);
    // Replaces the file's segments and embeddings and marks it indexed, in ONE transaction:
    // old segments (and their embeddings, any model) are deleted, the new ones inserted,
    // status=indexed, error cleared, indexed_at=now. Needs at least one segment (a file with
    // nothing to index is marked skipped instead). Vectors must have the model's dimension
    // and be finite and non-zero; they are stored as given (float32).
    // Throws vop::Error when the file is no longer in the catalog.
    ReplaceResult replaceFileContent(int64_t fileId, const FileContent& content);
    // The next three are no-ops for an id that is no longer in the catalog. Indexed needs
    // segments (use replaceFileContent); `error` is kept for failed/skipped, cleared otherwise.
    void setFileStatus(int64_t fileId, FileStatus status, const std::string& error = {});
    void setFileMedia(int64_t fileId, const MediaInfo& media);
    void markFileOffline(int64_t fileId);
    // Deletes the file record and, by cascade, its segments and embeddings. Returns the ids
    // of the embeddings that went with it (so live indexes can mark them deleted).
    std::vector<int64_t> deleteFile(int64_t fileId);

    // Segments ----------------------------------------------------------------------------
    std::vector<SegmentRecord> segmentsOfFile(int64_t fileId);
    std::string thumbnail(int64_t segmentId); // JPEG bytes, "" when none
    // Resolves index labels to moments, in the order given; rowids deleted since are skipped.
    std::vector<SegmentHit> segmentsForEmbeddings(const std::vector<int64_t>& embeddingIds);

    // Models and prompt sets --------------------------------------------------------------
    // Idempotent on sha256 (the name is updated). Throws when the sha256 is known with
    // another dimension.
    int64_t upsertModel(const std::string& sha256, const std::string& name, int dim);
    std::optional<ModelRecord> model(int64_t modelId);
    std::optional<ModelRecord> findModel(const std::string& sha256);
    int64_t upsertPromptSet(const std::string& sha256, const std::string& variant, int64_t modelId,
                            const std::string& name);
    std::optional<PromptSetRecord> promptSet(int64_t promptSetId);
    std::optional<PromptSetRecord> findPromptSet(const std::string& sha256);
    std::vector<PromptSetRecord> promptSets();
    void removePromptSet(int64_t promptSetId); // and its embeddings

    // Embeddings --------------------------------------------------------------------------
    // Adds (or replaces: the old row is deleted, the new one gets a new rowid) embeddings of
    // existing segments, in one transaction. Returns the new rowids in order.
    std::vector<int64_t> addEmbeddings(const std::vector<NewEmbedding>& embeddings);
    EmbeddingStats embeddingStats(int64_t modelId, std::optional<int64_t> promptSetId);
    // Rows of (model, prompt set) with rowid > afterRowid, ascending, at most `limit` of them
    // (0 = all), streamed from one consistent snapshot: fn(rowid, vector, dim). Returns the
    // number of rows visited. `fn` must not use this Catalog.
    int64_t forEachEmbedding(int64_t modelId, std::optional<int64_t> promptSetId, int64_t afterRowid,
                             const std::function<void(int64_t rowid, const float* vec, int dim)>& fn,
                             int64_t limit = 0);
    // Rowids of (model, prompt set) that are <= maxRowid, ascending.
    std::vector<int64_t> embeddingIds(int64_t modelId, std::optional<int64_t> promptSetId, int64_t maxRowid);
    std::optional<std::vector<float>> embeddingOfSegment(int64_t segmentId, int64_t modelId,
                                                         std::optional<int64_t> promptSetId);
    // Largest embedding rowid ever assigned (AUTOINCREMENT's sequence; never decreases).
    int64_t embeddingSequence();

    // Status ------------------------------------------------------------------------------
    CatalogCounts counts();
    // "ok", or what is wrong: PRAGMA integrity_check, PRAGMA foreign_key_check, and the
    // catalog's own invariants (an indexed file has segments; vectors have the model's size).
    std::string integrityCheck();

    struct Impl;

private:
    std::unique_ptr<Impl> d;
};

} // namespace vop::store
