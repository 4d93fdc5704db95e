#pragma once
// Helpers shared by the library commands (index, search, status, rebuild-index, bench-index).
#include "Args.h"

#include "library/EmbeddingSpace.h"
#include "service/LibraryService.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

namespace vop::cli {

// --db, else the user's data folder.
std::string databasePath(const Args& args);
// The catalog must already exist (status, search, rebuild-index): InputError otherwise.
void requireDatabase(const std::string& db);

// --precision auto|fp32|int8 (default auto): the CPU precision of the encoder's towers.
Precision precisionOption(const Args& args);

// The model settings of --checkpoint, --vocab, --prompts, --device, --precision, --frames (1..64).
service::ModelSettings modelSettings(const Args& args);

// The library service of --db with the model settings of the arguments.
// fewTextQueries: see service::LibraryOptions (the one-shot `search` sets it).
std::unique_ptr<service::LibraryService> openLibrary(const Args& args, const library::IndexerOptions& indexing = {},
                                                     bool fewTextQueries = false);

// --frames given with --prompts must match the prompt set (checked once the model is loaded).
void checkPromptFrames(const Args& args, service::LibraryService& library);

// JSON text that survives names that are not UTF-8 (invalid bytes become U+FFFD).
std::string dumpJson(const nlohmann::json& j, int indent = -1);


} // namespace vop::cli
