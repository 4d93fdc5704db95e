#include "service/ModelSwitch.h"

#include "prompts/PromptSetInfo.h"
#include "util/AtomicFile.h"
#include "util/Error.h"
#include "util/Log.h"
#include "util/Paths.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace vop::service {
namespace {

namespace fs = std::filesystem;
constexpr const char* kArea = "service";

nlohmann::json toJson(const ModelSettings& s)
{
    return {{"checkpoint", s.checkpoint}, {"vocab", s.vocab},   {"prompts", s.prompts},
            {"device", s.device},         {"frames", s.frames}, {"threads", s.threads},
            {"precision", precisionName(s.precision)}};
}

ModelSettings fromJson(const nlohmann::json& j)
{
    ModelSettings s;
    s.checkpoint = j.value("checkpoint", s.checkpoint);
    s.vocab = j.value("vocab", s.vocab);
    s.prompts = j.value("prompts", s.prompts);
    s.device = j.value("device", s.device);
    s.frames = j.value("frames", s.frames);
    s.threads = j.value("threads", s.threads);
    s.precision = parsePrecision(j.value("precision", std::string("auto"))).value_or(Precision::Auto);
    return s;
}

} // namespace

library::SpaceIdentity spaceOfSettings(const ModelSettings& s, const std::string& cache)
{
    library::SpaceIdentity id;
    const std::string checkpoint = paths::resolveCheckpoint(s.checkpoint);
    id.modelSha256 = library::cachedFileSha256(checkpoint, cache);
    id.modelName = fs::path(checkpoint).filename().string();
    id.variant = "zero";
    id.frames = s.frames;
    if (!s.prompts.empty()) {
        if (!paths::fileExists(s.prompts))
            throw InputError("the prompt set '" + s.prompts + "' does not exist; choose another or zero-shot CLIP");
        id.promptsSha256 = library::cachedFileSha256(s.prompts, cache);
        id.promptsName = fs::path(s.prompts).filename().string();
        id.variant.clear(); // known once loaded, unless the header says it
        try {
            const PromptSetInfo info = readPromptSetInfo(s.prompts);
            id.variant = variantName(info.options.variant);
            id.frames = info.options.frames;
            id.textOnly = promptSetIsTextOnly(s.prompts);
        } catch (const std::exception& e) {
            // Loading it will say what is wrong; until then it is taken for a set with visual prompts.
            VOP_LOG_WARN(kArea, "cannot read the prompt set '{}': {}", s.prompts, e.what());
        }
    }
    return id;
}

std::string switchRecordPath(const std::string& indexDir) { return (fs::path(indexDir) / "switch.json").string(); }

std::optional<SwitchRecord> readSwitchRecord(const std::string& indexDir)
{
    const std::string path = switchRecordPath(indexDir);
    if (!paths::fileExists(path))
        return std::nullopt;
    try {
        std::ifstream in(path);
        const auto j = nlohmann::json::parse(in);
        return SwitchRecord{fromJson(j.at("active")), fromJson(j.at("previous"))};
    } catch (const std::exception& e) {
        VOP_LOG_WARN(kArea, "ignoring the switch record '{}': {}", path, e.what());
        return std::nullopt;
    }
}

void writeSwitchRecord(const std::string& indexDir, const std::optional<SwitchRecord>& record)
{
    const std::string path = switchRecordPath(indexDir);
    try {
        if (!record) {
            std::error_code ec;
            fs::remove(path, ec);
            return;
        }
        fs::create_directories(indexDir);
        const nlohmann::json j = {{"active", toJson(record->active)}, {"previous", toJson(record->previous)}};
        writeFileAtomic(path, j.dump(1));
    } catch (const std::exception& e) {
        VOP_LOG_WARN(kArea, "cannot write the switch record '{}': {}", path, e.what());
    }
}

} // namespace vop::service
