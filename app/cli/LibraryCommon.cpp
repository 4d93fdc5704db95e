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

service::ModelSettings modelSettings(const Args& args)
{
    service::ModelSettings m;
    m.checkpoint = args.get("checkpoint"); // "" = the default model, resolved when it is needed
    m.vocab = args.get("vocab");
    m.device = args.get("device", "auto");
    m.prompts = args.get("prompts");
    m.precision = precisionOption(args);
    m.frames = args.getInt("frames", 12);
    if (m.frames < 1 || m.frames > 64)
        throw UsageError("--frames must be between 1 and 64");
    return m;
}

Precision precisionOption(const Args& args)
{
    const std::string s = args.get("precision", "auto");
    if (auto p = parsePrecision(s))
        return *p;
    throw UsageError("--precision must be auto, fp32 or int8 (got '" + s + "')");
}

std::unique_ptr<service::LibraryService> openLibrary(const Args& args, const library::IndexerOptions& indexing,
                                                     bool fewTextQueries)
{
    service::LibraryOptions o;
    o.fewTextQueries = fewTextQueries;
    o.dbPath = databasePath(args);
    o.model = modelSettings(args);
    o.indexing = indexing;
    return std::make_unique<service::LibraryService>(o);
}

void checkPromptFrames(const Args& args, service::LibraryService& library)
{
    if (!args.has("prompts") || !args.has("frames"))
        return;
    const int frames = args.getInt("frames", 12);
    const int made = library.activeSpace().frames;
    if (made != frames)
        throw UsageError("--frames " + std::to_string(frames) + " differs from the prompt set, which was made for " +
                         std::to_string(made) + " frames per clip");
}

std::string dumpJson(const nlohmann::json& j, int indent)
{
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}


} // namespace vop::cli
