#pragma once
// Helpers of LibraryService for switching the active prompt set (see LibraryOptions): the space
// a set of model settings computes, read off the files without loading a model, and the
// switch record (<db>.index/switch.json) that lets a restart fall back as before.
#include "library/EmbeddingSpace.h"
#include "service/LibraryService.h"

#include <optional>
#include <string>

namespace vop::service {

// The identity of what `settings` compute, from the files (hashes through `hashCacheFile`, the
// prompt set's header): no model load. InputError when a file is missing.
library::SpaceIdentity spaceOfSettings(const ModelSettings& settings, const std::string& hashCacheFile);

// While `active`'s space is incomplete, searches are answered with `previous`.
struct SwitchRecord {
    ModelSettings active;
    ModelSettings previous;
};

std::string switchRecordPath(const std::string& indexDir);
// nullopt when there is none or it cannot be read (a warning is logged).
std::optional<SwitchRecord> readSwitchRecord(const std::string& indexDir);
// Writes it atomically, or removes the file for nullopt. Failures are logged, never thrown:
// the record only saves a fallback across a restart.
void writeSwitchRecord(const std::string& indexDir, const std::optional<SwitchRecord>& record);

} // namespace vop::service
