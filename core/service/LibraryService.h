#pragma once
// The application service of a library: what both front ends (vopsearch-cli and the window)
// call, so that neither holds use-case logic. One LibraryService per catalog per process.
//
// It owns the catalog path, the model settings and the one encoder (CLIP + the active prompt
// set, loaded once, lazily), one shared HNSW index per embedding space, the lock protocol
// between processes (one indexer per catalog, any number of searchers), and the serialised use
// of the encoder: an index job encodes batch by batch and a search query runs between two
// batches, never after the whole job.
//
// Threads. Every call may be made from any thread; the service guards its own state.
//  - Cheap (no model, milliseconds on a normal library; safe on a GUI thread): modelProblem,
//    isModelLoaded, settings, databaseExists, counts, roots, addRoot, removeRoot (no job
//    running), fileProblems, thumbnail, segment, subscribe, isIndexing, liveIndexSize.
//  - Blocking (call from a worker): loadModel (seconds: reads the checkpoint), search (loads
//    the model the first time, then tens of milliseconds; loading or building a space's index
//    the first time is seconds to minutes for millions of vectors), status(inspectIndexes=true)
//    (loads every index file), index / rebuildIndexes (a job: minutes), exportPlaylist (writes
//    a file).
// Errors: vop::InputError with a message a person can act on (no model, not a folder, nothing
// indexed yet, another indexer on the catalog), vop::Error for the rest; jobs report through
// their JobControl (see Job.h) and never let an exception escape a worker.
#include "library/EmbeddingSpace.h"
#include "library/Indexer.h"
#include "model/Precision.h"
#include "search/Moment.h"
#include "search/PlaylistExport.h"
#include "search/Searcher.h"
#include "service/Job.h"
#include "store/CatalogTypes.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vop::service {

// What the encoder is made of. Empty strings mean "the default".
struct ModelSettings {
    std::string checkpoint;       // "" = the default model (ViT-B-32.pt) in paths::modelSearchDirs()
    std::string vocab;            // "" = next to the checkpoint, then the shipped copy
    std::string prompts;          // "" = zero-shot CLIP
    std::string device = "auto";  // auto | cpu | cuda | cuda:N
    int frames = 12;              // frames per segment for zero-shot CLIP (a prompt set has its own)
    int threads = 0;              // 0 = all cores
    // CPU precision of both towers (Precision.h); not part of the embedding space: a reduced
    // precision keeps every embedding within cosine 0.99 of fp32 (docs/LIBRARY.md).
    Precision precision = Precision::Auto;
    bool operator==(const ModelSettings& o) const;
    bool operator!=(const ModelSettings& o) const { return !(*this == o); }
};

// Switching the active prompt set (see docs/LIBRARY.md). A set whose visual side differs from
// the indexed one needs the library encoded for its space: until its space holds an embedding
// for every segment of the catalog ("complete"), searches are answered from the previous set's
// space (its own encoder, loaded when needed), and SearchResponse says so. setModelSettings()
// keeps the settings it replaces as `previousModel` (unless those were themselves waiting for
// their space, then the older fallback stays) and remembers the pair in the catalog's index
// folder (switch.json), so that a restart with the same model settings falls back the same way;
// the fallback is dropped once the active space is complete. A text-only set (EmbeddingSpace.h)
// shares the zero-shot space: it is complete as soon as the zero-shot space is.
struct LibraryOptions {
    std::string dbPath;                   // "" = paths::defaultDatabasePath()
    ModelSettings model;
    library::IndexerOptions indexing;     // clips, workers, batch, settle, ...
    // The settings that answer searches while `model`'s space is incomplete; nullopt = the one
    // remembered for `model` in the catalog's switch.json, if any.
    std::optional<ModelSettings> previousModel;
    // A process that answers one or two text queries and exits (vopsearch-cli search): Auto
    // keeps the text tower in fp32 there, because quantising it at load (~0.2 s) costs more than
    // one int8 query saves (docs/BENCHMARKS.md, "One-second CLI search"). The window leaves it false.
    bool fewTextQueries = false;
};

struct RootStatus {
    std::string path;
    bool mounted = true;
    int64_t files = 0, indexed = 0, pending = 0, skipped = 0, failed = 0, offline = 0;
};

struct FileProblem {
    std::string path;
    store::FileStatus status = store::FileStatus::Failed; // Failed or Skipped
    std::string reason;
    std::optional<int64_t> rootId; // the root folder it lies under (RootRecord::id)
};

struct SpaceStatus {
    store::IndexKey key;
    std::string modelName;
    std::string variant;       // "zero" for zero-shot
    std::string promptsName;
    int dim = 0;
    int64_t embeddings = 0;    // rows in the catalog
    int64_t indexVectors = -1; // vectors in its index (-1: neither in memory nor inspected)
    std::string indexState;    // "loaded" (in this process); inspected: "ok", "missing ...", "stale: ...",
                               // "rejected: ..."; "" otherwise
    bool active = false;       // the space the current model settings search
};

// Where the active model settings stand (see LibraryOptions).
struct ActiveSetStatus {
    bool known = false;            // the model files are there and the space could be identified
    std::string description;       // SpaceIdentity::describe() of the active settings
    bool textOnly = false;         // a text-only set: its videos are in the zero-shot space
    int64_t embeddings = 0;        // rows of its space in the catalog
    int64_t segments = 0;          // segments in the catalog (what a complete space covers)
    bool complete() const { return embeddings >= segments; }
    std::string answeredBy;        // the set a search is answered from now (a description)
    bool fromPreviousSet = false;  // ... the previous one, until an index job completes the active space
    std::string previous;          // the remembered previous settings' description ("" none)
};

struct LibraryStatus {
    std::string dbPath;
    bool exists = false;                   // a catalog file is there
    int schemaVersion = 0;
    store::CatalogCounts counts;
    std::vector<RootStatus> roots;
    std::vector<SpaceStatus> spaces;
    std::string integrity;                 // "ok" or what is wrong ("" when not checked)
    ActiveSetStatus active;                // the active set and which set answers searches
};

struct StatusOptions {
    bool inspectIndexes = false;  // load each index file and compare it with the catalog (slow)
    bool integrity = false;       // run the catalog's integrity check (slow on big catalogs)
};

struct SearchRequest {
    enum class Kind { Text, Segment, Video };
    Kind kind = Kind::Text;
    std::string text;              // Kind::Text: words, "quoted phrases", -negative terms
    int64_t segmentId = 0;         // Kind::Segment: moments like this stored segment
    std::string videoPath;         // Kind::Video: moments like this file
    search::SearchOptions options;
};

struct SearchResponse {
    std::vector<search::Moment> moments;
    double seconds = 0;            // wall time of the search (model load excluded)
    bool liveIndex = false;        // answered from the index an index job is filling
    size_t indexVectors = 0;       // vectors searched
    std::string answeredBy;        // the space that answered (SpaceIdentity::describe())
    bool fromPreviousSet = false;  // the active set's space was incomplete: the previous set answered
    bool textFromCache = false;    // Kind::Text: every text embedding came from the recent-query cache
};

// Notifications, delivered on the thread that caused them (a job's worker or the caller).
struct LibraryEvent {
    enum class Kind {
        RootsChanged,      // a root was added or removed
        FilesChanged,      // files were indexed / failed / moved / removed (count in `count`)
        IndexGrew,         // the live index holds `count` vectors now
        ModelChanged,      // settings changed or the model was (un)loaded
        JobStarted,        // an index or rebuild job started (`text`: "index" | "rebuild")
        JobEnded,          // ... ended (`text` as above)
    };
    Kind kind = Kind::FilesChanged;
    int64_t count = 0;
    std::string text;
};

struct RebuildReport {
    struct Space {
        store::IndexKey key;
        size_t vectors = 0;
        std::string file;
        double seconds = 0;
        std::string modelName, variant, promptsName;
    };
    std::vector<Space> spaces;
};

class LibraryService {
public:
    explicit LibraryService(LibraryOptions options);
    ~LibraryService();
    LibraryService(const LibraryService&) = delete;
    LibraryService& operator=(const LibraryService&) = delete;

    const std::string& dbPath() const;
    bool databaseExists() const;

    // Model ---------------------------------------------------------------------------------
    ModelSettings modelSettings() const;
    // New settings take effect at the next use; the loaded encoder is dropped when they differ.
    // The replaced settings become the fallback for searches (LibraryOptions::previousModel)
    // until the new space is complete (deciding that may count the catalog's rows: milliseconds).
    // Throws InputError while an index job runs.
    void setModelSettings(const ModelSettings& settings);
    // The fallback settings now (nullopt: none).
    std::optional<ModelSettings> previousModelSettings() const;
    // Where the active settings stand: their space, whether it is complete, and which set
    // answers searches. Reads the catalog and hashes the model files through the hash cache
    // (a second the first time for a big checkpoint): call it from a worker.
    ActiveSetStatus activeSetStatus();
    library::IndexerOptions indexerOptions() const;
    void setIndexerOptions(const library::IndexerOptions& options);
    // Why no model can be loaded now ("no CLIP checkpoint found; looked in ..."), or nullopt
    // when the files are there. Cheap: checks files, reads nothing big.
    std::optional<std::string> modelProblem() const;
    bool isModelLoaded() const;
    // Loads CLIP and the prompt set (phase LoadingModel on `job`, cancellable). Blocking.
    void loadModel(JobControl* job = nullptr);
    // What the loaded (or the configured) model computes: its space.
    library::SpaceIdentity activeSpace();

    // Library -------------------------------------------------------------------------------
    LibraryStatus status(const StatusOptions& options = {});
    std::vector<FileProblem> fileProblems(size_t limit = 1000);
    std::vector<store::RootRecord> roots();
    // Remembers a folder (normalised path returned); InputError when it is not a folder.
    // The next index job scans it.
    std::string addRoot(const std::string& path);
    // Forgets a folder: its files, segments and embeddings leave the catalog and the indexes.
    // Throws InputError while an index job runs.
    void removeRoot(const std::string& path);

    // Jobs (blocking; run them on a worker and steer them through `job`) ----------------------
    // Scans `roots` (empty: every known root) and indexes what is new or changed into the
    // active space. Phases: LoadingModel, Scanning, LoadingIndex/BuildingIndex, Indexing,
    // SavingIndex. A cancelled run returns its partial report (report.cancelled).
    // InputError when another indexer holds the catalog or no folder can be scanned.
    // `detailed` (optional) also gets the indexer's own progress record (segments, frames).
    library::IndexReport index(const std::vector<std::string>& roots, JobControl& job,
                               const library::IndexProgressFn& detailed = {});
    bool isIndexing() const;
    // The folders an index job would scan: `roots` checked (InputError when one is a file or none
    // exists), or every known root when `roots` is empty (InputError when there is none). Cheap.
    std::vector<std::string> resolveRoots(std::vector<std::string> roots);
    // Rebuilds every index of the catalog from its embeddings and saves it (phase BuildingIndex
    // with vectors done/total; cancellable between chunks).
    RebuildReport rebuildIndexes(JobControl& job);

    // Search ----------------------------------------------------------------------------------
    // Blocking (see above). InputError: empty query, no model, nothing indexed in the active
    // space yet (the message says what to do).
    // `job` (optional) reports and can cancel the first-use work: the model load (LoadingModel)
    // and loading or building the space's index (LoadingIndex, BuildingIndex).
    SearchResponse search(const SearchRequest& request, JobControl* job = nullptr);
    // Loads (or builds, when missing or damaged) the active space's index ahead of the first
    // search, as a job: phases LoadingIndex, BuildingIndex (vectors done/total), cancellable.
    // Returns its vector count (0 when the active space has nothing indexed yet). Blocking.
    size_t prepareIndex(JobControl& job);
    // Vectors in the active space's live index while indexing (0 when none).
    size_t liveIndexSize() const;
    std::string thumbnail(int64_t segmentId);  // JPEG bytes, "" when none
    std::optional<store::FileRecord> file(int64_t fileId);

    // Export ----------------------------------------------------------------------------------
    void exportPlaylist(const std::vector<search::Moment>& moments, const std::string& path,
                        const search::PlaylistOptions& options);

    // Notifications ---------------------------------------------------------------------------
    using Listener = std::function<void(const LibraryEvent&)>;
    int subscribe(Listener listener);  // returns a handle for unsubscribe
    // After it returns the listener is never called again: a call in flight on another thread is
    // waited for (a listener may unsubscribe itself).
    void unsubscribe(int handle);

    struct Impl;

private:
    std::unique_ptr<Impl> d;
};

} // namespace vop::service
