#include "library/EmbeddingSpace.h"

#include "prompts/VopEncoder.h"
#include "util/AtomicFile.h"
#include "util/Error.h"
#include "util/Log.h"
#include "util/Paths.h"
#include "util/Sha256.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vop::library {

namespace fs = std::filesystem;

namespace {

const char* kArea = "library";

std::string baseName(const std::string& path)
{
    return fs::path(path).filename().string();
}

} // namespace

std::string SpaceIdentity::describe() const
{
    std::string s = modelName + ", ";
    if (promptsSha256.empty())
        s += "zero-shot";
    else if (textOnly)
        s += promptsName + " (" + (variant.empty() ? std::string("prompt set") : variant) +
             ", text prompts only: videos as zero-shot)";
    else
        s += promptsName + " (" + (variant.empty() ? std::string("prompt set") : variant) + ")";
    return s + ", " + std::to_string(frames) + " frames per clip";
}

std::string cachedFileSha256(const std::string& path, const std::string& cacheFile)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw InputError("cannot read '" + path + "': " + std::strerror(errno));
    const std::string key = fs::absolute(path).lexically_normal().string();
    const int64_t mtime = int64_t(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    nlohmann::json cache = nlohmann::json::object();
    if (!cacheFile.empty()) {
        try {
            std::ifstream in(cacheFile);
            if (in)
                cache = nlohmann::json::parse(in);
            if (!cache.is_object())
                cache = nlohmann::json::object();
            auto it = cache.find(key);
            if (it != cache.end() && it->value("size", int64_t(-1)) == int64_t(st.st_size) &&
                it->value("mtime_ns", int64_t(-1)) == mtime)
                return it->value("sha256", std::string());
        } catch (const std::exception& e) {
            VOP_LOG_WARN(kArea, "ignoring the hash cache '{}': {}", cacheFile, e.what());
            cache = nlohmann::json::object();
        }
    }
    const std::string sha = sha256File(path);
    if (!cacheFile.empty()) {
        try {
            cache[key] = {{"size", int64_t(st.st_size)}, {"mtime_ns", mtime}, {"sha256", sha}};
            fs::create_directories(fs::path(cacheFile).parent_path());
            writeFileAtomic(cacheFile, cache.dump(1, ' ', false, nlohmann::json::error_handler_t::replace));
        } catch (const std::exception& e) {
            VOP_LOG_WARN(kArea, "cannot update the hash cache '{}': {}", cacheFile, e.what());
        }
    }
    return sha;
}

SpaceIdentity identifySpace(VopEncoder& encoder, const std::string& hashCacheFile)
{
    SpaceIdentity id;
    auto& clip = encoder.clip();
    id.dim = int(encoder.config().embedDim);
    id.resolution = int(encoder.config().imageResolution);
    id.frames = encoder.framesPerClip();
    if (clip.format() == "synthetic" || clip.checkpointPath().empty()) {
        id.modelSha256 = "synthetic-" + sha256Hex(encoder.config().summary()).substr(0, 16);
        id.modelName = "synthetic " + encoder.config().summary();
    } else {
        id.modelSha256 = cachedFileSha256(clip.checkpointPath(), hashCacheFile);
        id.modelName = baseName(clip.checkpointPath());
    }
    const std::string prompts = encoder.promptsPath();
    if (prompts.empty()) {
        id.variant = "zero";
    } else {
        id.promptsSha256 = cachedFileSha256(prompts, hashCacheFile);
        id.promptsName = baseName(prompts);
        id.variant = variantName(encoder.promptOptions().variant);
        id.textOnly = isTextOnly(encoder.config(), encoder.promptOptions());
    }
    return id;
}

store::IndexKey registerSpace(store::Catalog& catalog, const SpaceIdentity& id)
{
    store::IndexKey key;
    key.modelId = catalog.upsertModel(id.modelSha256, id.modelName, id.dim);
    if (!id.promptsSha256.empty() && !id.textOnly)
        key.promptSetId = catalog.upsertPromptSet(id.promptsSha256, id.variant, key.modelId, id.promptsName);
    return key;
}

std::optional<store::IndexKey> findSpace(store::Catalog& catalog, const SpaceIdentity& id)
{
    const auto model = catalog.findModel(id.modelSha256);
    if (!model)
        return std::nullopt;
    store::IndexKey key;
    key.modelId = model->id;
    if (!id.promptsSha256.empty() && !id.textOnly) {
        const auto ps = catalog.findPromptSet(id.promptsSha256);
        if (!ps || ps->modelId != model->id)
            return std::nullopt;
        key.promptSetId = ps->id;
    }
    return key;
}

std::vector<SpaceInfo> listSpaces(store::Catalog& catalog)
{
    std::vector<SpaceInfo> out;
    const auto sets = catalog.promptSets();
    // Models are never deleted, so their ids are 1..N without holes.
    for (int64_t modelId = 1;; ++modelId) {
        const auto model = catalog.model(modelId);
        if (!model)
            break;
        auto add = [&](std::optional<int64_t> ps, const std::string& variant, const std::string& psName) {
            const auto stats = catalog.embeddingStats(modelId, ps);
            if (stats.count == 0)
                return;
            SpaceInfo s;
            s.key = {modelId, ps};
            s.modelName = model->name;
            s.variant = variant;
            s.promptsName = psName;
            s.dim = model->dim;
            s.embeddings = stats.count;
            out.push_back(s);
        };
        add(std::nullopt, "zero", "");
        for (const auto& ps : sets)
            if (ps.modelId == modelId)
                add(ps.id, ps.variant, ps.name);
    }
    return out;
}

std::string indexDirFor(const std::string& dbPath)
{
    return dbPath + ".index";
}

std::string hashCacheFor(const std::string& dbPath)
{
    return (fs::path(indexDirFor(dbPath)) / "file-hashes.json").string();
}

std::string indexLockPath(const std::string& indexDir)
{
    return (fs::path(indexDir) / "index.lock").string();
}

namespace {
bool readOnlyFolder(const std::string& path)
{
    const std::string dir = fs::path(path).parent_path().string();
    return ::access(dir.empty() ? "." : dir.c_str(), W_OK) != 0 && (errno == EROFS || errno == EACCES);
}
} // namespace

std::string indexerLockPath(const std::string& indexDir)
{
    return (fs::path(indexDir) / "indexer.lock").string();
}

FileLock::FileLock(const std::string& path, Mode mode, bool wait)
{
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m_fd < 0 && (errno == EROFS || errno == EACCES))
        m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC); // flock works on a read-only descriptor
    if (m_fd < 0 && errno == ENOENT && readOnlyFolder(path)) {
        // A read-only folder without the lock file: nobody can write beside it through this
        // file system either, so there is nothing to wait for.
        m_locked = true;
        return;
    }
    if (m_fd < 0)
        throw Error("cannot open the lock file '" + path + "': " + std::strerror(errno));
    const int op = (mode == Mode::Shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
    for (;;) {
        if (::flock(m_fd, op) == 0) {
            m_locked = true;
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno == EWOULDBLOCK && !wait)
            return;
        throw Error("cannot lock '" + path + "': " + std::strerror(errno));
    }
}

FileLock::~FileLock()
{
    if (m_fd >= 0)
        ::close(m_fd); // releases the lock
}

} // namespace vop::library
