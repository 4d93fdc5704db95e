#pragma once
#include <string>
#include <vector>

namespace vop::paths {

// $XDG_DATA_HOME/vopsearch, else ~/.local/share/vopsearch. Created on demand by callers.
std::string userDataDir();

// The default catalog database: userDataDir()/library.sqlite3.
std::string defaultDatabasePath();

// The folder of the running executable (/proc/self/exe), "" when it cannot be read.
std::string executableDir();

// The installed data folder relative to the executable: <exe>/../share/vopsearch (so an
// installation under /usr, /usr/local or a dpkg -x root finds its files). "" when unknown.
std::string installedDataDir();

// Folders searched for model files, in order: $VOPSEARCH_MODELS, userDataDir()/models, the
// models/ folder of the source tree, installedDataDir()/models.
std::vector<std::string> modelSearchDirs();

// The first existing file named `fileName` in modelSearchDirs(), or "" when there is none.
std::string findModelFile(const std::string& fileName);

// A checkpoint to use: `explicitPath` when given (it must exist), else the default model
// (ViT-B-32.pt) from modelSearchDirs(). Throws InputError with the folders it looked in.
std::string resolveCheckpoint(const std::string& explicitPath,
                              const std::string& defaultFile = "ViT-B-32.pt");

// CLIP's BPE vocabulary (it ships with the program): next to the checkpoint, then
// modelSearchDirs(), then installedDataDir(), then the source tree's resources/. Throws
// InputError naming the places it looked in.
std::string resolveBpeVocab(const std::string& checkpointPath);

bool fileExists(const std::string& path);
std::string readFile(const std::string& path); // throws InputError naming the path

} // namespace vop::paths
