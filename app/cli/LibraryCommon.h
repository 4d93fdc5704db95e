#pragma once
// Helpers shared by the library commands (index, search, status, rebuild-index, bench-index).
#include "Args.h"

#include "library/EmbeddingSpace.h"
#include "prompts/VopEncoder.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace vop::cli {

// --db, else the user's data folder.
std::string databasePath(const Args& args);
// The catalog must already exist (status, search, rebuild-index): InputError otherwise.
void requireDatabase(const std::string& db);

// CLIP (--checkpoint, --vocab, --device) + the prompt set (--prompts) or zero-shot CLIP with
// --frames frames per clip (12).
VopEncoder loadEncoder(const Args& args);

// The space's identity without loading the model: hashes of --checkpoint and --prompts.
library::SpaceIdentity spaceFromFiles(const Args& args, const std::string& db);

// JSON text that survives names that are not UTF-8 (invalid bytes become U+FFFD).
std::string dumpJson(const nlohmann::json& j, int indent = -1);

// "1:05", "1:02:03"
std::string clockTime(double seconds);

} // namespace vop::cli
