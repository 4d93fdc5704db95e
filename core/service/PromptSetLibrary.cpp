#include "service/PromptSetLibrary.h"

#include "library/EmbeddingSpace.h"
#include "model/SafeTensors.h"
#include "prompts/PromptSetInfo.h"
#include "util/AtomicFile.h"
#include "util/Error.h"
#include "util/Paths.h"
#include "util/Sha256.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace fs = std::filesystem;

namespace vop::service {

namespace {

const std::string kExt = ".safetensors";
bool validName(const std::string& name)
{
    if (name.empty() || name == "." || name == ".." || name.size() > 200) return false;
    return std::none_of(name.begin(), name.end(), [](char ch) { return ch == '/' || ch == '\\' || ch == '\0'; });
}

std::string stemOf(const std::string& path)
{
    std::string name = fs::path(path).filename().string();
    if (name.size() > kExt.size() && name.compare(name.size() - kExt.size(), kExt.size(), kExt) == 0)
        name.resize(name.size() - kExt.size());
    return name;
}

void copyAtomically(const std::string& from, const std::string& to)
{
    writeFileAtomic(to, paths::readFile(from));
}

} // namespace

PromptSetEntry readPromptSetEntry(const std::string& path)
{
    const PromptSetInfo info = readPromptSetInfo(path); // checks the metadata and every tensor
    PromptSetEntry e;
    e.path = path;
    e.name = stemOf(path);
    e.options = info.options;
    e.parameters = info.parameters;
    e.backboneShape = info.backbone.shape;
    e.backboneSha256 = info.backbone.sha256;
    e.provenance = info.provenance;
    return e;
}

std::optional<ClipConfig> readCheckpointConfig(const std::string& checkpointPath)
{
    try {
        if (!safetensors::File::looksLikeSafeTensors(checkpointPath)) return std::nullopt;
        auto file = safetensors::File::open(checkpointPath);
        ShapeMap shapes;
        for (const auto& t : file.tensors()) shapes[t.name] = t.shape;
        return ClipConfig::fromShapes(shapes);
    } catch (const std::exception&) {
        return std::nullopt; // Hugging Face naming or unreadable: the caller says "unknown"
    }
}

BackboneInfo describeBackbone(const std::string& checkpoint, const std::string& hashCacheFile)
{
    BackboneInfo b;
    b.checkpoint = paths::resolveCheckpoint(checkpoint);
    b.sha256 = library::cachedFileSha256(b.checkpoint, hashCacheFile);
    b.config = readCheckpointConfig(b.checkpoint);
    return b;
}

void checkFitsBackbone(const PromptSetEntry& set, const BackboneInfo& backbone)
{
    // The shape is compared only where the checkpoint's shape could be read off its header.
    requireSameBackbone(set.name, {set.backboneSha256, set.backboneShape},
                        {backbone.sha256, backbone.config ? backbone.config->summary() : std::string()},
                        "the library's model " + fs::path(backbone.checkpoint).filename().string());
}

PromptSetLibrary::PromptSetLibrary(std::string dir) : m_dir(dir.empty() ? defaultDir() : std::move(dir)) {}

std::string PromptSetLibrary::defaultDir()
{
    return (fs::path(paths::userDataDir()) / "prompts").string();
}

std::vector<PromptSetEntry> PromptSetLibrary::list() const
{
    std::vector<PromptSetEntry> out;
    PromptSetEntry zero;
    zero.name = "Zero-shot CLIP";
    zero.options.variant = Variant::Zero;
    out.push_back(zero);
    std::error_code ec;
    std::vector<std::string> files;
    for (const auto& de : fs::directory_iterator(m_dir, ec))
        if (de.is_regular_file(ec) && de.path().extension() == kExt) files.push_back(de.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        try {
            out.push_back(readPromptSetEntry(f));
        } catch (const std::exception& e) {
            PromptSetEntry bad;
            bad.path = f;
            bad.name = stemOf(f);
            bad.problem = e.what();
            out.push_back(bad);
        }
    }
    return out;
}

std::string PromptSetLibrary::pathFor(const std::string& name) const
{
    return (fs::path(m_dir) / (name + kExt)).string();
}

bool PromptSetLibrary::contains(const std::string& path) const
{
    std::error_code ec;
    return fs::equivalent(fs::path(path).parent_path(), m_dir, ec);
}

std::string PromptSetLibrary::install(const std::string& source, const std::string& name) const
{
    readPromptSetEntry(source); // refuse what cannot be used, with the reason
    const std::string base = name.empty() ? stemOf(source) : name;
    if (!validName(base)) throw InputError("'" + base + "' cannot be a prompt-set name (no slashes, not empty)");
    fs::create_directories(m_dir);
    std::string dest = pathFor(base);
    for (int k = 2; fs::exists(dest); ++k) dest = pathFor(base + " (" + std::to_string(k) + ")");
    copyAtomically(source, dest);
    return dest;
}

std::string PromptSetLibrary::rename(const std::string& path, const std::string& newName) const
{
    if (!validName(newName)) throw InputError("'" + newName + "' cannot be a prompt-set name (no slashes, not empty)");
    const std::string dest = pathFor(newName);
    if (dest == path) return path;
    if (fs::exists(dest)) throw InputError("a prompt set named '" + newName + "' exists already");
    fs::rename(path, dest);
    return dest;
}

void PromptSetLibrary::remove(const std::string& path) const
{
    std::error_code ec;
    if (!fs::remove(path, ec) || ec)
        throw InputError("cannot delete '" + path + "'" + (ec ? ": " + ec.message() : std::string()));
}

void PromptSetLibrary::exportTo(const std::string& path, const std::string& destination)
{
    copyAtomically(path, destination);
}

std::string formatCount(int64_t n)
{
    std::string digits = std::to_string(n < 0 ? -n : n), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

} // namespace vop::service
