// vopsearch-cli search: ranked moments for what you remember.
#include "Commands.h"
#include "LibraryCommon.h"

#include "search/PlaylistExport.h"
#include "service/LibraryService.h"
#include "util/AtomicFile.h"
#include "util/Error.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>

namespace vop::cli {
namespace {

const char* kSearchUsage =
    "usage: vopsearch-cli search \"QUERY\" [--db PATH] [--checkpoint FILE] [--prompts FILE] [--top K] [--json]\n"
    "                            [--export FILE [--format F] [--relative]]\n"
    "       vopsearch-cli search --like-video FILE | --like-segment ID [options]\n"
    "Finds the moments that match QUERY: words, \"quoted phrases\", and negative terms (dog -cat). Use the same\n"
    "--checkpoint and --prompts as for 'index'.\n"
    "  --top K             how many moments (10)\n"
    "  --folder DIR        only files under DIR (repeatable)\n"
    "  --ext E             only files with extension E (repeatable: --ext mp4 --ext mkv)\n"
    "  --min-duration S    only videos at least S seconds long; --max-duration S: at most\n"
    "  --after DATE        only files modified on or after DATE (YYYY-MM-DD or Unix seconds); --before DATE\n"
    "  --like-video FILE   query by example: moments like this video\n"
    "  --like-segment ID   query by example: moments like a stored segment (its segment_id)\n"
    "  --no-merge          list adjacent matching segments of a file separately\n"
    "  --negative-weight W how strongly negative terms push away (1)\n"
    "  --thumbnails DIR    write each moment's thumbnail to DIR (JPEG) and name it in the output\n"
    "  --export FILE       also write the moments as a playlist: M3U8 (VLC, mpv), XSPF (VLC), mpv EDL, CSV or JSON\n"
    "  --format F          the playlist's format, m3u8|xspf|edl|csv|json (default: from FILE's extension)\n"
    "  --relative          name the videos relative to the playlist's folder (absolute by default)\n"
    "  --device D, --vocab FILE, --frames N, --precision P  as for 'index'\n"
    "  --json              print a list of {\"path\", \"start\", \"end\", \"score\", \"file_id\", \"segment_id\",\n"
    "                      \"segment_ids\", \"status\", \"thumbnail\"}";

int64_t parseDate(const std::string& s, const char* option)
{
    if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos)
        return std::stoll(s);
    std::tm tm{};
    int y = 0, m = 0, d = 0;
    char tail = 0;
    if (std::sscanf(s.c_str(), "%d-%d-%d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        throw UsageError(std::string("--") + option + " needs a date as YYYY-MM-DD or Unix seconds, not '" + s + "'");
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_isdst = -1;
    return int64_t(std::mktime(&tm)); // local midnight
}

// --export FILE [--format F] [--relative]: checked before the search runs.
std::optional<search::PlaylistOptions> exportOptions(const Args& args, const std::string& query)
{
    if (!args.has("export")) {
        if (args.has("format") || args.has("relative"))
            throw UsageError("--format and --relative go with --export FILE");
        return std::nullopt;
    }
    const std::string file = args.get("export");
    const auto format = args.has("format") ? search::parsePlaylistFormat(args.get("format"))
                                           : search::playlistFormatForPath(file);
    if (!format)
        throw UsageError((args.has("format") ? "unknown --format '" + args.get("format") + "'"
                                             : "cannot tell the playlist format from '" + file + "'") +
                         "; give --format " + search::playlistFormatNames());
    search::PlaylistOptions o;
    o.format = *format;
    o.relativePaths = args.has("relative");
    o.title = query;
    return o;
}

int runSearch(const std::vector<std::string>& argv)
{
    Args args(argv,
              {"db", "checkpoint", "vocab", "prompts", "device", "precision", "frames", "top", "folder", "ext", "min-duration",
               "max-duration", "after", "before", "like-video", "like-segment", "negative-weight", "thumbnails",
               "export", "format"},
              {"json", "no-merge", "relative"});
    const auto& pos = args.positionals();
    const bool byVideo = args.has("like-video"), bySegment = args.has("like-segment");
    if (int(!pos.empty()) + int(byVideo) + int(bySegment) != 1 || pos.size() > 1)
        throw UsageError("give one query: \"QUERY\", --like-video FILE or --like-segment ID");
    search::SearchOptions o;
    const int top = args.getInt("top", 10);
    if (top < 1)
        throw UsageError("--top must be at least 1");
    o.top = size_t(top);
    o.merge = !args.has("no-merge");
    o.negativeWeight = float(args.getDouble("negative-weight", 1.0));
    o.filters.folders = args.getAll("folder");
    o.filters.extensions = args.getAll("ext");
    if (args.has("min-duration"))
        o.filters.minDuration = args.getDouble("min-duration", 0);
    if (args.has("max-duration"))
        o.filters.maxDuration = args.getDouble("max-duration", 0);
    if (args.has("after"))
        o.filters.modifiedAfter = parseDate(args.get("after"), "after");
    if (args.has("before"))
        o.filters.modifiedBefore = parseDate(args.get("before"), "before");
    const std::string thumbDir = args.get("thumbnails");
    const auto exportTo = exportOptions(args, pos.empty() ? std::string() : pos.front());
    o.withThumbnails = !thumbDir.empty();

    auto library = openLibrary(args, {}, /*fewTextQueries=*/true);
    service::SearchRequest request;
    request.options = o;
    if (bySegment) {
        const std::string s = args.get("like-segment");
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
            throw UsageError("--like-segment needs a segment id (a number from search --json)");
        request.kind = service::SearchRequest::Kind::Segment;
        request.segmentId = std::stoll(s);
    } else {
        if (!library->databaseExists())
            requireDatabase(library->dbPath()); // before loading a model
        library->loadModel();
        checkPromptFrames(args, *library);
        if (byVideo) {
            request.kind = service::SearchRequest::Kind::Video;
            request.videoPath = args.get("like-video");
        } else {
            request.kind = service::SearchRequest::Kind::Text;
            request.text = pos.front();
        }
    }
    if (!library->databaseExists())
        requireDatabase(library->dbPath());
    const service::SearchResponse response = library->search(request);
    const std::vector<search::Moment>& moments = response.moments;
    if (response.fromPreviousSet)
        std::fprintf(stderr,
                     "the library is not encoded for the active prompt set yet: answered by %s "
                     "(vopsearch-cli index with the same --prompts finishes the switch)\n",
                     response.answeredBy.c_str());

    std::vector<std::string> thumbPaths(moments.size());
    if (!thumbDir.empty()) {
        std::filesystem::create_directories(thumbDir);
        for (size_t i = 0; i < moments.size(); ++i) {
            if (moments[i].thumbnailJpeg.empty())
                continue;
            thumbPaths[i] = (std::filesystem::path(thumbDir) / ("segment-" + std::to_string(moments[i].segmentId) + ".jpg"))
                                .string();
            writeFileAtomic(thumbPaths[i], moments[i].thumbnailJpeg);
        }
    }
    if (exportTo) {
        library->exportPlaylist(moments, args.get("export"), *exportTo);
        std::fprintf(stderr, "wrote %zu moments to %s (%s)\n", moments.size(), args.get("export").c_str(),
                     search::toString(exportTo->format));
    }
    if (args.has("json")) {
        nlohmann::json out = nlohmann::json::array();
        for (size_t i = 0; i < moments.size(); ++i) {
            nlohmann::json j = search::momentJson(moments[i]);
            if (!thumbPaths[i].empty())
                j["thumbnail"] = thumbPaths[i];
            out.push_back(j);
        }
        printJson(dumpJson(out, 2));
        return 0;
    }
    if (moments.empty())
        std::printf("no matching moments\n");
    for (size_t i = 0; i < moments.size(); ++i) {
        const auto& m = moments[i];
        std::printf("%2zu. %.3f  %s-%s  %s%s%s\n", i + 1, m.score, search::momentClock(m.start).c_str(),
                    search::momentClock(m.end).c_str(),
                    m.path.c_str(), m.status == store::FileStatus::Offline ? "  (offline)" : "",
                    thumbPaths[i].empty() ? "" : ("  [" + thumbPaths[i] + "]").c_str());
    }
    return 0;
}

Command reg{"search", "find moments in the library by text or by example", kSearchUsage, &runSearch};

} // namespace
} // namespace vop::cli
