// Fuzz target: the index loader (store/VectorIndex.cpp: the sidecar "<index>.meta.json" and the
// hnswlib file; IndexSync's ensureIndex loads through it). Input: 2 bytes little-endian length
// of the sidecar, the sidecar, then the index file. A sidecar with "fix": true gets the index
// file's real size and checksum, so the fuzzer also reaches hnswlib's loader with a damaged file
// whose checksum matches (as after a bug in a writer), not only the checksum's rejection.
#include "FuzzSupport.h"
#include "store/VectorIndex.h"
#include "store/internal/Checksum.h"

#include <nlohmann/json.hpp>

namespace {

std::string sidecar(const std::string& text, const std::string& indexPath)
{
    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.value("fix", false))
        return text;
    const auto digest = vop::store::detail::digestFile(indexPath);
    j.erase("fix");
    j["file_size"] = digest.size;
    j["xxh64"] = vop::store::detail::toHex(digest.xxh64);
    return j.dump();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 2)
        return 0;
    const size_t metaLen = std::min<size_t>(size - 2, data[0] | (size_t(data[1]) << 8));
    const std::string metaText(reinterpret_cast<const char*>(data) + 2, metaLen);
    const auto path = vop::fuzz::writeTemp("m1-zs.hnsw", data + 2 + metaLen, size - 2 - metaLen);
    vop::fuzz::writeTemp("m1-zs.hnsw.meta.json", sidecar(metaText, path));
    try {
        auto index = vop::store::VectorIndex::load(path, "fuzz-catalog", {1, std::nullopt}, 4);
        const float query[4] = {1, 0.5f, -0.25f, 0};
        for (const auto& hit : index->search(query, 5))
            if (!index->contains(hit.rowid))
                __builtin_trap();
        (void)index->labels();
        const float more[4] = {0, 1, 0, 0};
        index->add(index->watermark() + 1, more);
    } catch (const vop::Error&) {
    }
    return 0;
}
