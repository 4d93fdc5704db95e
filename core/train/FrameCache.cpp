#include "train/FrameCache.h"

#include "model/Preprocess.h"
#include "util/AtomicFile.h"
#include "util/Error.h"
#include "util/Log.h"
#include "util/Paths.h"
#include "util/Sha256.h"

#include <cstring>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace vop {

namespace {
constexpr char kMagic[8] = {'V', 'O', 'P', 'F', 'R', 'A', 'M', 'E'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeader = 8 + 4 * 4; // magic, version, count, width, height

void putU32(std::string& s, uint32_t v)
{
    for (int i = 0; i < 4; ++i) s += char((v >> (8 * i)) & 0xFF);
}
uint32_t getU32(const char* p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(uint8_t(p[i])) << (8 * i);
    return v;
}
} // namespace

std::string FrameSampling::key() const
{
    return "F" + std::to_string(frames) + "xS" + std::to_string(perSegment) + "@" + std::to_string(resolution) +
           "/shorter-bicubic-centre/v" + std::to_string(kVersion);
}

FrameCache::FrameCache(std::string dir, FrameSampling sampling) : m_dir(std::move(dir)), m_sampling(sampling)
{
    if (sampling.frames < 1 || sampling.perSegment < 1 || sampling.resolution < 8)
        throw InputError("frame sampling needs frames >= 1, candidates per segment >= 1 and a resolution >= 8");
    if (sampling.perSegment % 2 == 0)
        throw InputError("candidate frames per segment must be odd (the middle one is the evaluation frame), got " +
                         std::to_string(sampling.perSegment));
}

std::string FrameCache::entryPath(const std::string& videoPath) const
{
    const auto key = sha256Hex(sha256File(videoPath) + "|" + m_sampling.key());
    return (fs::path(m_dir) / (key + ".vopframes")).string();
}

bool FrameCache::valid(const std::string& file) const
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return false;
    char h[kHeader];
    if (!in.read(h, kHeader) || std::memcmp(h, kMagic, 8) != 0 || getU32(h + 8) != kVersion)
        return false;
    const uint32_t n = getU32(h + 12), w = getU32(h + 16), ht = getU32(h + 20);
    const uint32_t R = uint32_t(m_sampling.resolution);
    if (n != uint32_t(m_sampling.count()) || w != R || ht != R)
        return false;
    std::error_code ec;
    return fs::file_size(file, ec) == kHeader + uint64_t(n) * w * ht * 3 && !ec;
}

std::string FrameCache::store(const std::string& videoPath, const std::vector<RgbImage>& raw)
{
    if (raw.empty())
        throw InputError("'" + videoPath + "': no frames decoded");
    const int R = m_sampling.resolution, n = m_sampling.count();
    std::string data;
    data.reserve(kHeader + size_t(n) * size_t(R) * size_t(R) * 3);
    data.append(kMagic, 8);
    putU32(data, kVersion);
    putU32(data, uint32_t(n));
    putU32(data, uint32_t(R));
    putU32(data, uint32_t(R));
    for (int i = 0; i < n; ++i) {
        const auto& img = raw[size_t(std::min<int>(i, int(raw.size()) - 1))];
        if (img.empty())
            throw InputError("'" + videoPath + "': frame " + std::to_string(i) + " is empty");
        auto sq = preprocess::centerCrop(preprocess::resizeShorterSide(img, R), R);
        data.append(reinterpret_cast<const char*>(sq.pixels.data()), sq.pixels.size());
    }
    std::error_code ec;
    fs::create_directories(m_dir, ec);
    if (ec)
        throw Error("cannot create the frame cache folder '" + m_dir + "': " + ec.message());
    const auto file = entryPath(videoPath);
    writeFileAtomic(file, data);
    return file;
}

std::string FrameCache::ensure(const std::string& videoPath, const Decoder& decode, bool* reused)
{
    const auto file = entryPath(videoPath);
    if (valid(file)) {
        if (reused) *reused = true;
        return file;
    }
    if (reused) *reused = false;
    if (!decode)
        throw Error("no frame decoder (built without media support?) for '" + videoPath + "'");
    return store(videoPath, decode(videoPath, m_sampling.count()));
}

std::vector<RgbImage> FrameCache::load(const std::string& file, const std::vector<int>& indices) const
{
    std::ifstream in(file, std::ios::binary);
    char h[kHeader];
    if (!in || !in.read(h, kHeader) || std::memcmp(h, kMagic, 8) != 0)
        throw Error("frame cache entry '" + file + "' is missing or damaged; prepare the frames again");
    const int n = int(getU32(h + 12)), w = int(getU32(h + 16)), ht = int(getU32(h + 20));
    const size_t frameBytes = size_t(w) * size_t(ht) * 3;
    std::vector<RgbImage> out;
    out.reserve(indices.size());
    for (int i : indices) {
        if (i < 0 || i >= n)
            throw Error("frame " + std::to_string(i) + " requested from '" + file + "', which holds " + std::to_string(n));
        RgbImage img;
        img.width = w;
        img.height = ht;
        img.pixels.resize(frameBytes);
        in.seekg(std::streamoff(kHeader + size_t(i) * frameBytes));
        if (!in.read(reinterpret_cast<char*>(img.pixels.data()), std::streamsize(frameBytes)))
            throw Error("frame cache entry '" + file + "' is truncated; prepare the frames again");
        out.push_back(std::move(img));
    }
    return out;
}

std::string defaultFrameCacheDir()
{
    return (fs::path(paths::userDataDir()) / "frame-cache").string();
}

PrepareReport prepareFrames(Dataset& data, FrameCache& cache, const FrameCache::Decoder& decode,
                            const std::function<void(size_t, size_t)>& progress, const std::atomic<bool>* cancel)
{
    PrepareReport r;
    std::vector<VideoItem> kept;
    const size_t total = data.videos.size();
    for (size_t i = 0; i < total; ++i) {
        if (cancel && cancel->load())
            throw Cancelled();
        auto& v = data.videos[i];
        try {
            bool reused = false;
            v.framesFile = cache.ensure(v.path, decode, &reused);
            ++(reused ? r.reused : r.decoded);
            kept.push_back(std::move(v));
        } catch (const Cancelled&) {
            throw;
        } catch (const std::exception& e) {
            ++r.failed;
            std::string msg = e.what();
            if (msg.find(v.path) == std::string::npos) msg = v.path + ": " + msg;
            data.skipped.push_back(msg + " (video skipped)");
            VOP_LOG_INFO("train", "skipping {}: {}", v.path, e.what());
        }
        if (progress) progress(i + 1, total);
    }
    data.videos = std::move(kept);
    return r;
}

} // namespace vop
