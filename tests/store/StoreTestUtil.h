#pragma once
// Helpers shared by the store tests: a temporary folder per test, and a small catalog filled
// with deterministic vectors. Raw file access is TestFiles.h's readBytes / writeBytes.
#include "TestFiles.h"

#include "store/Catalog.h"

#include <filesystem>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace vop::store {
inline std::ostream& operator<<(std::ostream& os, FileStatus s) { return os << toString(s); }
}

namespace vop::test {

// A folder of its own under runTempDir(), removed when the test is done with it.
class TempDir {
public:
    TempDir() : m_path(uniqueTempDir("store")) {}
    ~TempDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }
    std::string file(const std::string& name) const { return (std::filesystem::path(m_path) / name).string(); }

private:
    std::string m_path;
};

// A reproducible vector for (seed, index).
inline std::vector<float> testVector(int dim, uint64_t seed)
{
    std::mt19937_64 rng(seed * 7919 + 17);
    std::normal_distribution<float> g(0.f, 1.f);
    std::vector<float> v(static_cast<size_t>(dim));
    for (auto& x : v)
        x = g(rng);
    return v;
}

// `segments` segments with one embedding each in (model, promptSet), vectors seeded by `seed`.
inline store::FileContent testContent(int64_t modelId, std::optional<int64_t> promptSetId, int dim, int segments,
                                      uint64_t seed, double start = 0)
{
    store::FileContent c;
    c.media = store::MediaInfo{segments * 15.0, 640, 360, "h264"};
    for (int s = 0; s < segments; ++s) {
        store::SegmentContent seg;
        seg.start = start + s * 15.0;
        seg.end = seg.start + 15.0;
        seg.thumbnailJpeg = "\xFF\xD8 thumb " + std::to_string(seed) + "/" + std::to_string(s);
        seg.embeddings.push_back({modelId, promptSetId, testVector(dim, seed * 1000 + s)});
        c.segments.push_back(std::move(seg));
    }
    return c;
}

inline store::FileInfo testFile(const std::string& path, std::optional<int64_t> rootId = std::nullopt,
                                int64_t size = 1000, const std::string& hash = "")
{
    store::FileInfo f;
    f.path = path;
    f.rootId = rootId;
    f.size = size;
    f.mtimeNs = 1700000000000000000LL;
    f.contentHash = hash.empty() ? "hash-of-" + path : hash;
    return f;
}

} // namespace vop::test
