#pragma once
// Which embedding space a library run writes and a search reads: the model (sha256 of the
// checkpoint) and the prompt set (sha256 of its file; none = zero-shot CLIP), and where the
// derived HNSW index files of a catalog live.
//
// Text-only prompt sets. A prompt set whose trainable tensors hold no visual prompt (no
// `visual.*` and no `context.*` tensor: `vop` with --visual-length 0, `vop-p`/`vop-c` with
// --video-length 0, any variant with --depth 0 for the visual tower; never VoP^F with its joint
// layers, whose frame position embedding is visual) encodes videos exactly as zero-shot CLIP
// does: frame features, averaged. Such a set therefore shares the model's zero-shot space: its
// SpaceIdentity has textOnly set, registerSpace/findSpace give the zero-shot key (no prompt set
// id), its index is the zero-shot index, and switching to it needs no re-encode; only text
// queries go through its text prompts.
#include "prompts/Variant.h"
#include "store/Catalog.h"
#include "store/VectorIndex.h"

#include <optional>
#include <string>

namespace vop {
class VopEncoder;
}

namespace vop::library {

struct SpaceIdentity {
    std::string modelSha256;   // checkpoint sha256, or "synthetic-<digest of the shape>"
    std::string modelName;     // file name of the checkpoint
    int dim = 0;               // embedding dimension
    std::string promptsSha256; // "" = zero-shot
    std::string promptsName;
    std::string variant;       // "zero" for zero-shot
    int frames = 0;            // frames per clip
    int resolution = 0;        // model input size (pixels)
    // A prompt set without visual prompts (see above): videos are in the zero-shot space.
    bool textOnly = false;
    std::string describe() const; // "ViT-B-32.pt, zero-shot, 12 frames"
};

// The identity of what `encoder` computes. Hashing a checkpoint (hundreds of MB) takes a second,
// so the digest is remembered in `hashCacheFile` (JSON, keyed by path, size and mtime); "" = no cache.
SpaceIdentity identifySpace(VopEncoder& encoder, const std::string& hashCacheFile = "");

// sha256 of a file, through the cache described above.
std::string cachedFileSha256(const std::string& path, const std::string& hashCacheFile);

// The space's ids in the catalog, created when missing (a text-only set: the zero-shot key).
store::IndexKey registerSpace(store::Catalog& catalog, const SpaceIdentity& id);
// The same without writing: nullopt when the catalog has never seen the model or prompt set.
std::optional<store::IndexKey> findSpace(store::Catalog& catalog, const SpaceIdentity& id);

// Every space with embeddings, with its count (models are never deleted, so ids are dense).
struct SpaceInfo {
    store::IndexKey key;
    std::string modelName;
    std::string variant;     // "zero" for zero-shot
    std::string promptsName;
    int dim = 0;
    int64_t embeddings = 0;
};
std::vector<SpaceInfo> listSpaces(store::Catalog& catalog);

// "<db>.index": the folder of a catalog's index files (and its locks and caches).
std::string indexDirFor(const std::string& dbPath);
std::string hashCacheFor(const std::string& dbPath);

// An advisory lock on a file (flock): released by the destructor or when the process dies, so a
// SIGKILL never leaves a stale lock behind.
class FileLock {
public:
    enum class Mode { Shared, Exclusive };
    // wait=false: locked() tells whether it was free.
    FileLock(const std::string& path, Mode mode, bool wait = true);
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    bool locked() const { return m_locked; }

private:
    int m_fd = -1;
    bool m_locked = false;
};

// Held while an index file is loaded, brought up to date or saved, so that two processes
// (an indexer and a search) never interleave their writes of one index and its sidecar.
std::string indexLockPath(const std::string& indexDir);
// Held by the one indexer that may run on a catalog at a time.
std::string indexerLockPath(const std::string& indexDir);

} // namespace vop::library
