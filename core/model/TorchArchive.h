#pragma once
// The zip container of a TorchScript archive (OpenAI's ViT-B-32.pt, torch.jit.save), checked
// without torch before LibTorch reads it: the end-of-central-directory record (zip64 too), every
// central-directory entry and the local header it points to must lie inside the file, sizes must
// be what the compression method allows (LibTorch writes entries stored; deflate at most 1032:1),
// and the archive must hold a `<name>/data.pkl` record. A damaged, truncated or crafted file (one
// whose headers promise terabytes, say) is an InputError here, before LibTorch allocates for it.
// What the records hold (the pickles, the code) is left to LibTorch.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vop::torcharchive {

// Bounds on what an archive may claim (a ViT-L/14 archive is 0.9 GB in about 400 entries).
constexpr uint64_t kMaxEntryBytes = 16ull << 30;  // one record, uncompressed
constexpr uint64_t kMaxTotalBytes = 64ull << 30;  // all records, uncompressed
constexpr uint64_t kMaxEntries = 1u << 20;

struct Entry {
    std::string name;
    uint16_t method = 0;        // 0 stored, 8 deflate
    uint64_t compressedSize = 0;
    uint64_t size = 0;          // uncompressed
    uint64_t dataOffset = 0;    // first byte of the record's data in the file
};

struct Archive {
    std::vector<Entry> entries;
    uint64_t totalSize = 0;     // sum of the uncompressed sizes
    std::string prefix;         // the archive's top folder ("model" of "model/data.pkl")
};

// Checks `size` bytes of an archive; `what` names it in messages ("checkpoint 'x.pt'").
Archive check(const uint8_t* data, size_t size, const std::string& what);
// check() on a file (memory-mapped). InputError when it cannot be read.
Archive checkFile(const std::string& path);

} // namespace vop::torcharchive
