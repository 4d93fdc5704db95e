#pragma once
// The content fingerprint the catalog uses to confirm a change and to recognise a moved file:
// SHA-256 over the file size, the first 64 KiB and the last 64 KiB. Cheap on any file size, and
// enough to tell two videos apart (container headers, timestamps and payload differ).
#include <cstdint>
#include <string>

namespace vop::library {

constexpr int64_t kContentHashChunk = 64 * 1024;

// Hex digest. Throws vop::InputError naming the path when the file cannot be read.
std::string contentHash(const std::string& path);

} // namespace vop::library
