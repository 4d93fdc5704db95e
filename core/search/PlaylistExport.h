#pragma once
// Playlists of search results (moments) for real players. Rules per format in docs/LIBRARY.md.
//
//  - M3U8 (UTF-8): #EXTM3U; per moment #EXTINF:<seconds>,<title>, #EXTVLCOPT:start-time=<s>,
//    #EXTVLCOPT:stop-time=<s> (a position in the file), then the location line.
//  - XSPF: VLC's extension, <location> a percent-encoded URI, <duration> ms, vlc:option
//    start-time / stop-time per track.
//  - mpv EDL: "# mpv EDL v0", one %N%path,start,length per moment (N = UTF-8 bytes of path).
//  - CSV (RFC 4180): path,start,end,duration,score,title.
//  - JSON: the moments as `vopsearch-cli search --json` prints them.
// Times in seconds with millisecond precision. Paths absolute, or relative to the playlist's
// folder. A name a format cannot hold is an InputError naming the file (a line break in an M3U8
// name; a name that is not UTF-8 in CSV or JSON), as are a moment whose end is not after its
// start and an EDL without moments. Files are written atomically (temp + fsync + rename).
#include "search/Moment.h"

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

namespace vop::search {

enum class PlaylistFormat { M3u8, Xspf, Edl, Csv, Json };

const char* toString(PlaylistFormat f);                            // "m3u8", "xspf", "edl", "csv", "json"
std::optional<PlaylistFormat> parsePlaylistFormat(const std::string& name); // also "m3u"
// From the file's extension (.m3u8/.m3u, .xspf, .edl, .csv, .json); nullopt when unknown.
std::optional<PlaylistFormat> playlistFormatForPath(const std::string& path);
// "M3U8 playlist (*.m3u8)" etc.: for save dialogs.
std::string playlistFilterName(PlaylistFormat f);
const char* playlistExtension(PlaylistFormat f);                   // ".m3u8", ...
// "m3u8|xspf|edl|csv|json": for usage texts and error messages.
const char* playlistFormatNames();

// A position in a video as "1:05.2" (minutes:seconds.tenths; moments are often shorter than a
// second's rounding). Negative or not a number: "0:00.0".
std::string momentClock(double seconds);

// One moment as `vopsearch-cli search --json` prints it and the JSON playlist holds it:
// {"path", "start", "end", "score", "file_id", "segment_id", "segment_ids", "status", "duration"}.
nlohmann::json momentJson(const Moment& m);

// A moment's display title: file name and time range, "beach.mp4 1:05.2-1:12.0"; always valid
// UTF-8 without control characters (those become U+FFFD), so every format can hold it.
std::string momentTitle(const Moment& m);

struct PlaylistOptions {
    PlaylistFormat format = PlaylistFormat::M3u8;
    bool relativePaths = false; // relative to the playlist's folder (where the format allows)
    std::string title;          // the playlist's title (XSPF <title>), e.g. the query
};

// The playlist's text for a playlist that will live at `playlistPath` (its folder anchors
// relative paths). Throws InputError naming the file a format cannot hold.
std::string renderPlaylist(const std::vector<Moment>& moments, const std::string& playlistPath,
                           const PlaylistOptions& options);

// renderPlaylist + an atomic write. Throws InputError / vop::Error with the path.
void writePlaylist(const std::vector<Moment>& moments, const std::string& playlistPath, const PlaylistOptions& options);

} // namespace vop::search
