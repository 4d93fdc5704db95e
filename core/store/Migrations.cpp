#include "store/Migrations.h"

namespace vop::store {

namespace {

// Version 1: the whole first schema.
//  - embeddings.id is AUTOINCREMENT so a rowid is never reused after a delete: the HNSW
//    index uses it as its label and its watermark (max rowid) only ever grows.
//  - UNIQUE(segment, model, prompt set) is an expression index: a plain UNIQUE would treat
//    two NULL prompt sets (zero-shot) as distinct.
//  - every foreign key column is the prefix of an index, so cascades do not scan.
const char* kV1 = R"sql(
CREATE TABLE catalog_info (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
-- Index files carry this id, so an index is never applied to another catalog's rowids.
INSERT INTO catalog_info(key, value) VALUES ('catalog_id', lower(hex(randomblob(16))));

CREATE TABLE roots (
  id       INTEGER PRIMARY KEY,
  path     TEXT NOT NULL UNIQUE,
  added_at INTEGER NOT NULL,
  mounted  INTEGER NOT NULL DEFAULT 1 CHECK (mounted IN (0, 1))
);

CREATE TABLE files (
  id           INTEGER PRIMARY KEY,
  root_id      INTEGER REFERENCES roots(id) ON DELETE CASCADE,
  path         TEXT NOT NULL UNIQUE,
  size         INTEGER NOT NULL,
  mtime_ns     INTEGER NOT NULL,
  content_hash TEXT,
  duration     REAL,
  width        INTEGER,
  height       INTEGER,
  codec        TEXT,
  status       TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'indexed', 'skipped', 'failed', 'offline')),
  error        TEXT,
  indexed_at   INTEGER
);
CREATE INDEX files_root ON files(root_id);
CREATE INDEX files_size_hash ON files(size, content_hash);
CREATE INDEX files_status ON files(status);

CREATE TABLE segments (
  id        INTEGER PRIMARY KEY,
  file_id   INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
  start_s   REAL NOT NULL,
  end_s     REAL NOT NULL,
  thumbnail BLOB,
  CHECK (end_s >= start_s)
);
CREATE INDEX segments_file ON segments(file_id, start_s);

CREATE TABLE models (
  id     INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  name   TEXT NOT NULL,
  dim    INTEGER NOT NULL CHECK (dim > 0)
);

CREATE TABLE prompt_sets (
  id       INTEGER PRIMARY KEY,
  sha256   TEXT NOT NULL UNIQUE,
  variant  TEXT NOT NULL,
  model_id INTEGER NOT NULL REFERENCES models(id),
  name     TEXT NOT NULL
);
CREATE INDEX prompt_sets_model ON prompt_sets(model_id);

CREATE TABLE embeddings (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  segment_id    INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
  model_id      INTEGER NOT NULL REFERENCES models(id),
  prompt_set_id INTEGER REFERENCES prompt_sets(id) ON DELETE CASCADE,
  vector        BLOB NOT NULL
);
CREATE UNIQUE INDEX embeddings_key ON embeddings(segment_id, model_id, IFNULL(prompt_set_id, 0));
CREATE INDEX embeddings_space ON embeddings(model_id, prompt_set_id);
CREATE INDEX embeddings_prompt_set ON embeddings(prompt_set_id);
)sql";

} // namespace

const std::vector<Migration>& catalogMigrations()
{
    static const std::vector<Migration> migrations = {
        {1, "initial schema", kV1},
    };
    return migrations;
}

int latestSchemaVersion()
{
    return catalogMigrations().back().version;
}

} // namespace vop::store
