#pragma once
#include <string>
#include <vector>

namespace vop::paths {

// $XDG_DATA_HOME/vopsearch, else ~/.local/share/vopsearch. Created on demand by callers.
std::string userDataDir();

// The default catalog database: userDataDir()/library.sqlite3.
std::string defaultDatabasePath();

// Folders searched for model files, in order: $VOPSEARCH_MODELS, userDataDir()/models, the
// models/ folder of the source tree or installation.
std::vector<std::string> modelSearchDirs();

// The first existing file named `fileName` in modelSearchDirs(), or "" when there is none.
std::string findModelFile(const std::string& fileName);

// A checkpoint to use: `explicitPath` when given (it must exist), else the default model
// (ViT-B-32.pt) from modelSearchDirs(). Throws InputError with the folders it looked in.
std::string resolveCheckpoint(const std::string& explicitPath,
                              const std::string& defaultFile = "ViT-B-32.pt");

// CLIP's BPE vocabulary: next to the checkpoint, then modelSearchDirs(). Throws InputError.
std::string resolveBpeVocab(const std::string& checkpointPath);

bool fileExists(const std::string& path);
std::string readFile(const std::string& path); // throws InputError naming the path

} // namespace vop::paths
