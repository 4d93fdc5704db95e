#include "LibraryCommon.h"

#include "util/Error.h"
#include "util/Paths.h"

#include <cmath>
#include <cstdio>

namespace vop::cli {

std::string databasePath(const Args& args)
{
    return args.get("db", paths::defaultDatabasePath());
}

void requireDatabase(const std::string& db)
{
    if (!paths::fileExists(db))
        throw InputError("no library catalog at '" + db + "' yet; index a folder first: vopsearch-cli index FOLDER");
}

VopEncoder loadEncoder(const Args& args)
{
    ClipEncoder::Options o;
    o.checkpoint = paths::resolveCheckpoint(args.get("checkpoint"));
    o.vocab = args.get("vocab");
    o.device = args.get("device", "auto");
    const std::string prompts = args.get("prompts");
    const int frames = args.getInt("frames", 12);
    if (frames < 1 || frames > 64)
        throw UsageError("--frames must be between 1 and 64");
    VopEncoder encoder(ClipEncoder(o), prompts, frames);
    if (!prompts.empty() && args.has("frames") && encoder.framesPerClip() != frames)
        throw UsageError("--frames " + std::to_string(frames) + " differs from the prompt set, which was made for " +
                         std::to_string(encoder.framesPerClip()) + " frames per clip");
    return encoder;
}

library::SpaceIdentity spaceFromFiles(const Args& args, const std::string& db)
{
    library::SpaceIdentity id;
    const std::string checkpoint = paths::resolveCheckpoint(args.get("checkpoint"));
    id.modelSha256 = library::cachedFileSha256(checkpoint, library::hashCacheFor(db));
    id.modelName = checkpoint.substr(checkpoint.find_last_of('/') + 1);
    if (args.has("prompts")) {
        const std::string prompts = args.get("prompts");
        id.promptsSha256 = library::cachedFileSha256(prompts, library::hashCacheFor(db));
        id.promptsName = prompts.substr(prompts.find_last_of('/') + 1);
    }
    return id;
}

std::string dumpJson(const nlohmann::json& j, int indent)
{
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string clockTime(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        seconds = 0;
    const long s = std::lround(seconds);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
    return buf;
}

} // namespace vop::cli
