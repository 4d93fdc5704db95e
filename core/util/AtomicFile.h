#pragma once
#include <string>
#include <string_view>

namespace vop {

// Writes `data` to `path` so that readers see either the old file or the whole new one:
// write a temporary file beside it, fsync, rename over the target, fsync the folder.
// Throws vop::Error naming the path on any failure; the old file is left untouched then.
void writeFileAtomic(const std::string& path, std::string_view data);

} // namespace vop
