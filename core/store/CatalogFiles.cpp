// Catalog: files, segments and embeddings.
#include "store/Catalog.h"

#include "store/internal/CatalogImpl.h"
#include "util/Error.h"

#include <cmath>
#include <cstring>
#include <ctime>
#include <unordered_map>

namespace vop::store {

FileRecord readFileRow(const sql::Stmt& st)
{
    FileRecord f;
    f.id = st.i64(0);
    f.rootId = st.optI64(1);
    f.path = st.text(2);
    f.size = st.i64(3);
    f.mtimeNs = st.i64(4);
    f.contentHash = st.text(5);
    f.media.durationSeconds = st.dbl(6);
    f.media.width = static_cast<int>(st.i64(7));
    f.media.height = static_cast<int>(st.i64(8));
    f.media.codec = st.text(9);
    f.status = fileStatusFromString(st.text(10));
    f.error = st.text(11);
    f.indexedAt = st.i64(12);
    return f;
}

namespace {

bool hasSegments(sql::Db& db, int64_t fileId)
{
    auto st = db.stmt("SELECT EXISTS (SELECT 1 FROM segments WHERE file_id = ?)");
    st.bind(1, fileId);
    return st.step() && st.i64(0) != 0;
}

std::vector<int64_t> embeddingIdsOfFile(sql::Db& db, int64_t fileId)
{
    std::vector<int64_t> ids;
    auto st = db.stmt("SELECT e.id FROM embeddings e JOIN segments s ON s.id = e.segment_id"
                      " WHERE s.file_id = ? ORDER BY e.id");
    st.bind(1, fileId);
    while (st.step())
        ids.push_back(st.i64(0));
    return ids;
}

std::vector<FileRecord> fileList(sql::Stmt& st)
{
    std::vector<FileRecord> out;
    while (st.step())
        out.push_back(readFileRow(st));
    return out;
}

// Checks one embedding before it is written; `promptSetModels` caches prompt set -> model.
void validateEmbedding(Catalog::Impl& c, const EmbeddingInput& e, std::unordered_map<int64_t, int64_t>& promptSetModels)
{
    const int dim = c.modelDim(e.modelId);
    if (static_cast<int>(e.vector.size()) != dim)
        throw InputError("an embedding for model " + std::to_string(e.modelId) + " has " +
                         std::to_string(e.vector.size()) + " values, expected " + std::to_string(dim));
    double norm2 = 0;
    for (float v : e.vector) {
        if (!std::isfinite(v))
            throw InputError("an embedding contains a value that is not finite (NaN or infinity)");
        norm2 += static_cast<double>(v) * v;
    }
    if (norm2 <= 0)
        throw InputError("an embedding is all zeros; it cannot be compared by cosine similarity");
    if (e.promptSetId) {
        auto it = promptSetModels.find(*e.promptSetId);
        if (it == promptSetModels.end()) {
            auto st = c.db.stmt("SELECT model_id FROM prompt_sets WHERE id = ?");
            st.bind(1, *e.promptSetId);
            if (!st.step())
                throw InputError("no prompt set with id " + std::to_string(*e.promptSetId) + " in the catalog");
            it = promptSetModels.emplace(*e.promptSetId, st.i64(0)).first;
        }
        if (it->second != e.modelId)
            throw InputError("prompt set " + std::to_string(*e.promptSetId) + " belongs to model " +
                             std::to_string(it->second) + ", not to model " + std::to_string(e.modelId));
    }
}

void bindVector(sql::Stmt& st, int i, const std::vector<float>& v)
{
    st.bindBlob(i, v.data(), v.size() * sizeof(float));
}

} // namespace

// --- files ----------------------------------------------------------------------------------

UpsertResult Catalog::upsertFile(const FileInfo& info)
{
    if (info.path.empty())
        throw InputError("a file record needs a path");
    WriteTx tx(*d);
    UpsertResult r;
    auto st = d->db.stmt("SELECT id, size, mtime_ns, content_hash, status FROM files WHERE path = ?");
    st.bind(1, info.path);
    if (!st.step()) {
        d->db.stmt("INSERT INTO files(root_id, path, size, mtime_ns, content_hash, status) VALUES(?, ?, ?, ?, ?, 'pending')")
            .bind(1, info.rootId).bind(2, info.path).bind(3, info.size).bind(4, info.mtimeNs)
            .bindOrNull(5, info.contentHash).run();
        r.fileId = d->db.lastInsertRowid();
        r.created = true;
    } else {
        r.fileId = st.i64(0);
        const bool statChanged = st.i64(1) != info.size || st.i64(2) != info.mtimeNs;
        const std::string storedHash = st.text(3);
        const FileStatus status = fileStatusFromString(st.text(4));
        // An empty hash means "not computed": it changes nothing, but a stat change makes the
        // stored hash stale.
        r.changed = statChanged || (!info.contentHash.empty() && !storedHash.empty() && info.contentHash != storedHash);
        std::string hash = !info.contentHash.empty() ? info.contentHash : (statChanged ? std::string() : storedHash);
        FileStatus next = status;
        if (r.changed)
            next = FileStatus::Pending;
        else if (status == FileStatus::Offline)
            next = hasSegments(d->db, r.fileId) ? FileStatus::Indexed : FileStatus::Pending;
        d->db.stmt("UPDATE files SET root_id = ?, size = ?, mtime_ns = ?, content_hash = ?, status = ?,"
                   " error = CASE WHEN ? THEN NULL ELSE error END WHERE id = ?")
            .bind(1, info.rootId).bind(2, info.size).bind(3, info.mtimeNs).bindOrNull(4, hash)
            .bind(5, toString(next)).bind(6, r.changed ? 1 : 0).bind(7, r.fileId).run();
    }
    tx.commit();
    return r;
}

std::optional<FileRecord> Catalog::file(int64_t fileId)
{
    auto st = d->db.stmt("SELECT " VOP_FILE_COLUMNS " FROM files WHERE id = ?");
    st.bind(1, fileId);
    return st.step() ? std::optional<FileRecord>(readFileRow(st)) : std::nullopt;
}

std::optional<FileRecord> Catalog::findFileByPath(const std::string& path)
{
    auto st = d->db.stmt("SELECT " VOP_FILE_COLUMNS " FROM files WHERE path = ?");
    st.bind(1, path);
    return st.step() ? std::optional<FileRecord>(readFileRow(st)) : std::nullopt;
}

std::vector<FileRecord> Catalog::findFilesBySizeAndHash(int64_t size, const std::string& contentHash)
{
    if (contentHash.empty())
        return {};
    auto st = d->db.stmt("SELECT " VOP_FILE_COLUMNS " FROM files WHERE size = ? AND content_hash = ? ORDER BY id");
    st.bind(1, size).bind(2, contentHash);
    return fileList(st);
}

std::vector<FileRecord> Catalog::filesUnderRoot(int64_t rootId)
{
    auto st = d->db.stmt("SELECT " VOP_FILE_COLUMNS " FROM files WHERE root_id = ? ORDER BY path");
    st.bind(1, rootId);
    return fileList(st);
}

std::vector<FileRecord> Catalog::filesWithStatus(FileStatus status)
{
    auto st = d->db.stmt("SELECT " VOP_FILE_COLUMNS " FROM files WHERE status = ? ORDER BY path");
    st.bind(1, toString(status));
    return fileList(st);
}

std::vector<int64_t> Catalog::moveFile(int64_t fileId, const std::string& newPath, std::optional<int64_t> rootId,
                                       int64_t mtimeNs)
{
    if (newPath.empty())
        throw InputError("a file cannot move to an empty path");
    WriteTx tx(*d);
    std::vector<int64_t> removed;
    {
        auto st = d->db.stmt("SELECT id FROM files WHERE path = ?");
        st.bind(1, newPath);
        if (st.step() && st.i64(0) != fileId) {
            int64_t stale = st.i64(0);
            removed = embeddingIdsOfFile(d->db, stale);
            d->db.stmt("DELETE FROM files WHERE id = ?").bind(1, stale).run();
        }
    }
    d->db.stmt("UPDATE files SET path = ?, root_id = ?, mtime_ns = ?,"
               " status = CASE WHEN status <> 'offline' THEN status"
               " WHEN EXISTS (SELECT 1 FROM segments s WHERE s.file_id = files.id) THEN 'indexed' ELSE 'pending' END"
               " WHERE id = ?")
        .bind(1, newPath).bind(2, rootId).bind(3, mtimeNs).bind(4, fileId).run();
    if (d->db.changes() == 0)
        throw Error("catalog '" + d->path + "': cannot move file " + std::to_string(fileId) + " to '" + newPath +
                    "': it is no longer in the catalog");
    tx.commit();
    return removed;
}

ReplaceResult Catalog::replaceFileContent(int64_t fileId, const FileContent& content)
{
    if (content.segments.empty())
        throw InputError("replaceFileContent: file " + std::to_string(fileId) +
                         " has no segments; mark it skipped instead");
    WriteTx tx(*d);
    if (!file(fileId))
        throw Error("catalog '" + d->path + "': file " + std::to_string(fileId) +
                    " is no longer in the catalog (deleted while it was being indexed)");
    std::unordered_map<int64_t, int64_t> promptSetModels;
    for (const auto& seg : content.segments) {
        if (!(seg.end >= seg.start) || !std::isfinite(seg.start) || !std::isfinite(seg.end))
            throw InputError("a segment must have finite bounds with end >= start (got " + std::to_string(seg.start) +
                             " .. " + std::to_string(seg.end) + ")");
        for (const auto& e : seg.embeddings)
            validateEmbedding(*d, e, promptSetModels);
    }

    ReplaceResult r;
    r.removedEmbeddingIds = embeddingIdsOfFile(d->db, fileId);
    d->db.stmt("DELETE FROM segments WHERE file_id = ?").bind(1, fileId).run(); // cascades to embeddings
    for (const auto& seg : content.segments) {
        auto ins = d->db.stmt("INSERT INTO segments(file_id, start_s, end_s, thumbnail) VALUES(?, ?, ?, ?)");
        ins.bind(1, fileId).bind(2, seg.start).bind(3, seg.end);
        if (seg.thumbnailJpeg.empty())
            ins.bindNull(4);
        else
            ins.bindBlob(4, seg.thumbnailJpeg.data(), seg.thumbnailJpeg.size());
        ins.run();
        const int64_t segmentId = d->db.lastInsertRowid();
        r.segmentIds.push_back(segmentId);
        for (const auto& e : seg.embeddings) {
            auto emb = d->db.stmt("INSERT INTO embeddings(segment_id, model_id, prompt_set_id, vector) VALUES(?, ?, ?, ?)");
            emb.bind(1, segmentId).bind(2, e.modelId).bind(3, e.promptSetId);
            bindVector(emb, 4, e.vector);
            emb.run();
            r.embeddingIds.push_back(d->db.lastInsertRowid());
        }
    }
    if (content.media) {
        const MediaInfo& mi = *content.media;
        d->db.stmt("UPDATE files SET duration = ?, width = ?, height = ?, codec = ? WHERE id = ?")
            .bindOrNull(1, mi.durationSeconds).bindOrNull(2, int64_t(mi.width)).bindOrNull(3, int64_t(mi.height))
            .bindOrNull(4, mi.codec).bind(5, fileId).run();
    }
    d->db.stmt("UPDATE files SET status = 'indexed', error = NULL, indexed_at = ? WHERE id = ?")
        .bind(1, static_cast<int64_t>(std::time(nullptr))).bind(2, fileId).run();
    tx.commit();
    return r;
}

void Catalog::setFileStatus(int64_t fileId, FileStatus status, const std::string& error)
{
    WriteTx tx(*d);
    if (status == FileStatus::Indexed) {
        if (!hasSegments(d->db, fileId)) {
            if (!file(fileId))
                return;
            throw InputError("file " + std::to_string(fileId) +
                             " cannot be marked indexed: it has no segments (use replaceFileContent)");
        }
        d->db.stmt("UPDATE files SET status = 'indexed', error = NULL, indexed_at = ? WHERE id = ?")
            .bind(1, static_cast<int64_t>(std::time(nullptr))).bind(2, fileId).run();
    } else {
        const bool keepError = status == FileStatus::Failed || status == FileStatus::Skipped;
        d->db.stmt("UPDATE files SET status = ?, error = ? WHERE id = ?")
            .bind(1, toString(status)).bindOrNull(2, keepError ? std::string_view(error) : std::string_view())
            .bind(3, fileId).run();
    }
    tx.commit();
}

void Catalog::setFileMedia(int64_t fileId, const MediaInfo& mi)
{
    WriteTx tx(*d);
    d->db.stmt("UPDATE files SET duration = ?, width = ?, height = ?, codec = ? WHERE id = ?")
        .bindOrNull(1, mi.durationSeconds).bindOrNull(2, int64_t(mi.width)).bindOrNull(3, int64_t(mi.height))
        .bindOrNull(4, mi.codec).bind(5, fileId).run();
    tx.commit();
}

void Catalog::markFileOffline(int64_t fileId)
{
    setFileStatus(fileId, FileStatus::Offline);
}

std::vector<int64_t> Catalog::deleteFile(int64_t fileId)
{
    WriteTx tx(*d);
    std::vector<int64_t> removed = embeddingIdsOfFile(d->db, fileId);
    d->db.stmt("DELETE FROM files WHERE id = ?").bind(1, fileId).run();
    tx.commit();
    return removed;
}

// --- segments -------------------------------------------------------------------------------

std::vector<SegmentRecord> Catalog::segmentsOfFile(int64_t fileId)
{
    std::vector<SegmentRecord> out;
    auto st = d->db.stmt("SELECT id, file_id, start_s, end_s, thumbnail IS NOT NULL FROM segments"
                         " WHERE file_id = ? ORDER BY start_s, id");
    st.bind(1, fileId);
    while (st.step())
        out.push_back(SegmentRecord{st.i64(0), st.i64(1), st.dbl(2), st.dbl(3), st.i64(4) != 0});
    return out;
}

std::string Catalog::thumbnail(int64_t segmentId)
{
    auto st = d->db.stmt("SELECT thumbnail FROM segments WHERE id = ?");
    st.bind(1, segmentId);
    if (!st.step() || st.isNull(0))
        return {};
    return std::string(static_cast<const char*>(st.blob(0)), st.blobSize(0));
}

std::vector<SegmentHit> Catalog::segmentsForEmbeddings(const std::vector<int64_t>& embeddingIds)
{
    ReadTx snapshot(*d);
    std::vector<SegmentHit> out;
    out.reserve(embeddingIds.size());
    for (int64_t id : embeddingIds) {
        auto st = d->db.stmt("SELECT e.id, s.id, s.file_id, f.path, s.start_s, s.end_s, f.status"
                             " FROM embeddings e JOIN segments s ON s.id = e.segment_id"
                             " JOIN files f ON f.id = s.file_id WHERE e.id = ?");
        st.bind(1, id);
        if (st.step())
            out.push_back(SegmentHit{st.i64(0), st.i64(1), st.i64(2), st.text(3), st.dbl(4), st.dbl(5),
                                     fileStatusFromString(st.text(6))});
    }
    return out;
}

// --- embeddings -----------------------------------------------------------------------------

std::vector<int64_t> Catalog::addEmbeddings(const std::vector<NewEmbedding>& embeddings)
{
    WriteTx tx(*d);
    std::unordered_map<int64_t, int64_t> promptSetModels;
    for (const auto& ne : embeddings)
        validateEmbedding(*d, ne.embedding, promptSetModels);
    std::vector<int64_t> ids;
    ids.reserve(embeddings.size());
    for (const auto& ne : embeddings) {
        const auto& e = ne.embedding;
        // The delete-then-insert (instead of INSERT OR REPLACE) keeps rowids new: an index
        // that holds the old rowid sees it vanish and the new one appear above its watermark.
        d->db.stmt("DELETE FROM embeddings WHERE segment_id = ? AND model_id = ? AND prompt_set_id IS ?")
            .bind(1, ne.segmentId).bind(2, e.modelId).bind(3, e.promptSetId).run();
        auto st = d->db.stmt("INSERT INTO embeddings(segment_id, model_id, prompt_set_id, vector) VALUES(?, ?, ?, ?)");
        st.bind(1, ne.segmentId).bind(2, e.modelId).bind(3, e.promptSetId);
        bindVector(st, 4, e.vector);
        st.run();
        ids.push_back(d->db.lastInsertRowid());
    }
    tx.commit();
    return ids;
}

EmbeddingStats Catalog::embeddingStats(int64_t modelId, std::optional<int64_t> promptSetId)
{
    auto st = d->db.stmt("SELECT COUNT(*), IFNULL(MAX(id), 0) FROM embeddings WHERE model_id = ? AND prompt_set_id IS ?");
    st.bind(1, modelId).bind(2, promptSetId);
    EmbeddingStats s;
    if (st.step()) {
        s.count = st.i64(0);
        s.maxRowid = st.i64(1);
    }
    return s;
}

int64_t Catalog::forEachEmbedding(int64_t modelId, std::optional<int64_t> promptSetId, int64_t afterRowid,
                                  const std::function<void(int64_t, const float*, int)>& fn, int64_t limit)
{
    ReadTx snapshot(*d);
    const int dim = d->modelDim(modelId);
    std::vector<float> buf(static_cast<size_t>(dim));
    auto st = d->db.stmt("SELECT id, vector FROM embeddings WHERE model_id = ? AND prompt_set_id IS ? AND id > ? ORDER BY id LIMIT ?");
    st.bind(1, modelId).bind(2, promptSetId).bind(3, afterRowid).bind(4, limit > 0 ? limit : int64_t(-1));
    int64_t n = 0;
    while (st.step()) {
        const int64_t id = st.i64(0);
        if (st.blobSize(1) != buf.size() * sizeof(float))
            throw Error("catalog '" + d->path + "': embedding " + std::to_string(id) + " has " +
                        std::to_string(st.blobSize(1)) + " bytes, expected " + std::to_string(buf.size() * sizeof(float)));
        std::memcpy(buf.data(), st.blob(1), buf.size() * sizeof(float)); // blobs need not be aligned
        fn(id, buf.data(), dim);
        ++n;
    }
    return n;
}

std::vector<int64_t> Catalog::embeddingIds(int64_t modelId, std::optional<int64_t> promptSetId, int64_t maxRowid)
{
    std::vector<int64_t> ids;
    auto st = d->db.stmt("SELECT id FROM embeddings WHERE model_id = ? AND prompt_set_id IS ? AND id <= ? ORDER BY id");
    st.bind(1, modelId).bind(2, promptSetId).bind(3, maxRowid);
    while (st.step())
        ids.push_back(st.i64(0));
    return ids;
}

std::optional<std::vector<float>> Catalog::embeddingOfSegment(int64_t segmentId, int64_t modelId,
                                                              std::optional<int64_t> promptSetId)
{
    auto st = d->db.stmt("SELECT vector FROM embeddings WHERE segment_id = ? AND model_id = ? AND prompt_set_id IS ?");
    st.bind(1, segmentId).bind(2, modelId).bind(3, promptSetId);
    if (!st.step())
        return std::nullopt;
    std::vector<float> v(st.blobSize(0) / sizeof(float));
    std::memcpy(v.data(), st.blob(0), v.size() * sizeof(float));
    return v;
}

int64_t Catalog::embeddingSequence()
{
    auto st = d->db.stmt("SELECT seq FROM sqlite_sequence WHERE name = 'embeddings'");
    return st.step() ? st.i64(0) : 0;
}

} // namespace vop::store
