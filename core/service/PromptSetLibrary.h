#pragma once
// The installed prompt sets: files in paths::userDataDir()/prompts (one <name>.safetensors
// each), their info read from the file's metadata, and install / rename / delete / export.
// Zero-shot CLIP is built in (no file). No Qt, no torch: the prompt-set manager of the window
// and `vopsearch-cli prompts list|install` call the same code.
#include "model/ClipConfig.h"
#include "prompts/Variant.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vop::service {

struct PromptSetEntry {
    std::string path;             // "" = zero-shot CLIP (built in)
    std::string name;             // file stem, or "Zero-shot CLIP"
    PromptOptions options;
    int64_t parameters = 0;
    std::string backboneShape;    // ClipConfig::summary() of the backbone it was fitted on
    std::string backboneSha256;   // "" when unknown
    std::map<std::string, std::string> provenance; // dataset, metrics, created, ...
    std::string problem;          // why the file cannot be used ("" = fine)
    bool builtIn() const { return path.empty(); }
};

// The info of a prompt-set file. Throws InputError naming the file and what is wrong: not a
// safetensors file, truncated, not a vopsearch prompt set, a newer format, bad options, or a
// tensor missing, extra or of the wrong shape for its variant (a damaged file).
PromptSetEntry readPromptSetEntry(const std::string& path);

// The backbone the library's model settings name: checkpoint file, its sha256 and (for a
// safetensors checkpoint in official naming) its shape. Blocking: hashes the checkpoint the
// first time (cached in `hashCacheFile`). Throws InputError when no checkpoint is found.
struct BackboneInfo {
    std::string checkpoint;
    std::string sha256;
    std::optional<ClipConfig> config; // unknown for TorchScript / Hugging Face checkpoints
};
BackboneInfo describeBackbone(const std::string& checkpoint, const std::string& hashCacheFile = "");

// The config read off a safetensors checkpoint's header (official naming), nullopt otherwise.
std::optional<ClipConfig> readCheckpointConfig(const std::string& checkpointPath);

// Throws InputError when `set` was fitted on another backbone than `backbone` (the same rules
// as loadPromptSet: the shape must match, and the sha256 when both sides know it).
void checkFitsBackbone(const PromptSetEntry& set, const BackboneInfo& backbone);

class PromptSetLibrary {
public:
    // `dir` = "" : defaultDir().
    explicit PromptSetLibrary(std::string dir = "");
    static std::string defaultDir(); // paths::userDataDir()/prompts

    const std::string& dir() const { return m_dir; }
    // Zero-shot CLIP first, then every *.safetensors of the folder by name (unreadable files
    // are listed with their problem).
    std::vector<PromptSetEntry> list() const;
    // Copies `source` (read and checked first) into the folder as <name>.safetensors; `name`
    // "" = the source's stem; a taken name gets " (2)", " (3)"... Returns the installed path.
    std::string install(const std::string& source, const std::string& name = "") const;
    // Renames an installed set; returns the new path. InputError for a bad or taken name.
    std::string rename(const std::string& path, const std::string& newName) const;
    void remove(const std::string& path) const;
    // Copies an installed set to `destination` (atomically).
    static void exportTo(const std::string& path, const std::string& destination);
    // Whether `path` lies in this library's folder.
    bool contains(const std::string& path) const;

private:
    std::string pathFor(const std::string& name) const;
    std::string m_dir;
};

// "VoP^F, 131,072 parameters" style helpers for lists.
std::string formatCount(int64_t n);

} // namespace vop::service
