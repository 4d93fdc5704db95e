#pragma once
// Model files the program can download (models/manifest.tsv) and their download into the user's
// model folder: resumable (FILE.part, HTTP Range), verified (sha256) before the file is renamed
// into place, steered and reported through a JobControl. Both front ends use it as it is:
// `vopsearch-cli models fetch` and the first-run dialog of the window. No Qt.
//
//   JobControl job;
//   job.onProgress([](const JobProgress& p) { ... });  // phase::DownloadingModel, bytes
//   auto entry = findModel(readModelManifest(defaultManifestPath()), "vit-b-32");
//   auto out = runJob<DownloadResult>(job, [&](JobControl& c) { return downloadModel(entry, c); });
#include "service/Job.h"

#include <cstdint>
#include <string>
#include <vector>

namespace vop::service {

namespace phase {
inline constexpr const char* DownloadingModel = "downloading model"; // bytes
inline constexpr const char* VerifyingModel = "verifying model";     // bytes (sha256 of a file)
} // namespace phase

// One row of the manifest: name, file, url, sha256, size_bytes (tab-separated; '#' comments).
struct ModelEntry {
    std::string name;    // "vit-b-32"
    std::string file;    // "ViT-B-32.pt"
    std::string url;
    std::string sha256;  // lower-case hex
    int64_t size = 0;    // 0: not recorded
    bool isCheckpoint() const; // false for the BPE vocabulary and other non-weight files
};

// The manifest to read: $VOPSEARCH_MODEL_MANIFEST, else the installed one
// (<exe>/../share/vopsearch/models/manifest.tsv), else the source tree's models/manifest.tsv.
std::string defaultManifestPath();

// Parses a manifest; InputError naming the file and line when a row is malformed.
std::vector<ModelEntry> readModelManifest(const std::string& path);

// The entry called `name`; InputError listing the known names otherwise.
const ModelEntry& findModel(const std::vector<ModelEntry>& manifest, const std::string& name);

// The name of the model a first run offers (the default checkpoint, ViT-B/32).
inline constexpr const char* kDefaultModelName = "vit-b-32";

// userDataDir()/models: where downloads go (the second of paths::modelSearchDirs()).
std::string defaultDownloadDir();

struct DownloadOptions {
    std::string destDir;          // "" = defaultDownloadDir()
    long connectTimeoutSeconds = 20;
    long stallSeconds = 60;       // give up when no byte arrives for this long
    int retries = 3;              // reconnects (resuming) after a dropped connection
};

struct DownloadResult {
    std::string path;             // the verified file
    int64_t bytes = 0;            // its size
    int64_t downloaded = 0;       // bytes received in this run (0 when already present)
    int64_t resumedFrom = 0;      // bytes of a .part file that were kept
    bool alreadyPresent = false;  // the verified file was there; nothing was fetched
};

// What is on disk for `entry` in `destDir` ("" = defaultDownloadDir()).
struct LocalModelState {
    std::string path;             // where the file is or would be
    bool present = false;         // the file exists (not verified: that reads it all)
    int64_t partBytes = 0;        // bytes of an unfinished download (FILE.part)
};
LocalModelState localModelState(const ModelEntry& entry, const std::string& destDir = {});

// Downloads `entry` into the destination folder, resuming a FILE.part left by an earlier run,
// verifies its sha256 and renames it into place (an existing file that verifies is kept without
// fetching). Phases DownloadingModel and VerifyingModel, in bytes, with rate and ETA; cancel
// leaves the .part file for the next run (throws vop::Cancelled); pause holds the transfer.
// Errors (vop::Error, messages a person can act on): the server cannot be reached, an HTTP
// error, a checksum mismatch (the .part file is removed), a full disk or an unwritable folder.
DownloadResult downloadModel(const ModelEntry& entry, JobControl& job, const DownloadOptions& options = {});

// "1.3 MB", "354 MB", "2.1 GB" (decimal units, as download sizes are usually shown).
std::string formatBytes(int64_t bytes);

} // namespace vop::service
