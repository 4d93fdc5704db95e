// Playlists of moments: M3U8, XSPF, mpv EDL, CSV, JSON. The rules and why they are so are in
// docs/LIBRARY.md ("Exporting playlists"); the players' own readers decide them:
//  - VLC reads an M3U line as a URL reference (a raw '#' starts a fragment, %XX is decoded) and
//    resolves XSPF <location> as a URI against the playlist's URI (lexically: "a/../b" -> "b");
//  - mpv reads an M3U line as a path (or a file:// URI, which it percent-decodes) and an EDL file
//    name as a path joined to the EDL's folder, resolved by the kernel (physically).
#include "search/PlaylistExport.h"

#include "util/AtomicFile.h"
#include "util/Error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace vop::search {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- text helpers

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one (overlong forms,
// surrogates and code points above U+10FFFF are invalid).
size_t utf8SequenceLength(std::string_view s, size_t i)
{
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    if (c < 0x80)
        return 1;
    size_t n = 0;
    unsigned cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (i + n > s.size())
        return 0;
    for (size_t k = 1; k < n; ++k) {
        if ((b(i + k) & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (b(i + k) & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

bool isValidUtf8(std::string_view s)
{
    for (size_t i = 0; i < s.size();) {
        const size_t n = utf8SequenceLength(s, i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

// Display text every format can hold: invalid UTF-8 bytes and control characters -> U+FFFD.
std::string displayText(std::string_view s)
{
    static const char kReplacement[] = "\xEF\xBF\xBD";
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const size_t n = utf8SequenceLength(s, i);
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (n == 0 || (n == 1 && (c < 0x20 || c == 0x7F))) {
            out += kReplacement;
            i += n == 0 ? 1 : n;
            continue;
        }
        out.append(s.substr(i, n));
        i += n;
    }
    return out;
}

// The path's name quoted for an error message (one line, valid UTF-8).
std::string quoted(const std::string& path)
{
    return "'" + displayText(path) + "'";
}

bool isUnreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

// Every byte but RFC 3986's unreserved characters and '/' as %XX (upper-case hex).
std::string percentEncode(std::string_view bytes)
{
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(bytes.size() * 3);
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (isUnreserved(c) || c == '/') {
            out += ch;
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

// "file:///abs/path" (no host), percent-encoded.
std::string fileUri(const std::string& absolutePath)
{
    return "file://" + percentEncode(absolutePath);
}

std::string xmlText(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

// RFC 4180: a field with a comma, a quote, CR or LF is quoted, its quotes doubled.
std::string csvField(std::string_view s)
{
    if (s.find_first_of(",\"\r\n") == std::string_view::npos)
        return std::string(s);
    std::string out = "\"";
    for (const char c : s)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

// Milliseconds as "65.200" (never locale-dependent: integers only).
std::string secondsText(int64_t ms)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000), static_cast<long long>(ms % 1000));
    return buf;
}

// "1:05.2", as the CLI prints moments.
std::string scoreText(float score)
{
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, score);
    return std::string(buf, r.ptr);
}

// ---------------------------------------------------------------- locations

// Where the playlist lives and how a video is named from there.
class Locator {
public:
    Locator(const std::string& playlistPath, bool relative) : m_relative(relative)
    {
        if (!relative)
            return;
        std::error_code ec;
        const fs::path abs = fs::absolute(fs::path(playlistPath), ec).lexically_normal();
        m_folder = abs.parent_path();
        m_realFolder = fs::weakly_canonical(m_folder, ec);
        if (ec)
            m_realFolder = m_folder;
    }

    // The video's path relative to the playlist's folder, or nullopt where an absolute path
    // must be used. The path is relative to the folder's real path (kernel resolution of "..");
    // when that differs from the folder as named, a path with ".." would resolve differently
    // lexically (VLC), so those stay absolute.
    std::optional<std::string> relative(const std::string& absolutePath) const
    {
        if (!m_relative)
            return std::nullopt;
        const fs::path rel = fs::path(absolutePath).lexically_relative(m_realFolder);
        if (rel.empty() || rel == ".")
            return std::nullopt;
        if (*rel.begin() == ".." && m_folder != m_realFolder)
            return std::nullopt;
        return rel.string();
    }

private:
    bool m_relative = false;
    fs::path m_folder;
    fs::path m_realFolder;
};

// A plain M3U line that VLC (URL reference, fixed up and resolved) and mpv (a path) read as the
// same file: no '#', '%', '?', backslash, brackets or other characters a URL may not hold raw, no
// control characters, valid UTF-8, no space at either end. (':' is fine: see m3uLocation.)
bool isPlainM3uSafe(const std::string& rel)
{
    static const std::string kAllowed = " -._~!$&'()*+,;=@/:";
    if (rel.empty() || rel.front() == ' ' || rel.back() == ' ' || !isValidUtf8(rel))
        return false;
    return std::all_of(rel.begin(), rel.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c >= 0x80 || isUnreserved(c) || kAllowed.find(ch) != std::string::npos;
    });
}

// The location line of an M3U entry: the relative path where both players read it as the same
// file, else the absolute file:// URI. A ':' in the first segment would read as a URL scheme
// ("10:30 talk.mp4"), so such a name gets "./" in front.
std::string m3uLocation(const std::optional<std::string>& rel, const std::string& absolutePath)
{
    if (!rel || !isPlainM3uSafe(*rel))
        return fileUri(absolutePath);
    if (rel->substr(0, rel->find('/')).find(':') != std::string::npos)
        return "./" + *rel;
    return *rel;
}

// ---------------------------------------------------------------- entries

struct Entry {
    const Moment* moment = nullptr;
    std::string path;                   // absolute, lexically normal
    std::optional<std::string> relative;
    int64_t startMs = 0;
    int64_t endMs = 0;
    std::string title;
};

std::vector<Entry> entriesFor(const std::vector<Moment>& moments, const Locator& locator)
{
    std::vector<Entry> out;
    out.reserve(moments.size());
    for (const auto& m : moments) {
        if (m.path.empty())
            throw InputError("a moment without a file cannot go into a playlist");
        if (m.path.find('\0') != std::string::npos)
            throw InputError("the file name " + quoted(m.path) + " holds a NUL byte");
        Entry e;
        e.moment = &m;
        std::error_code ec;
        e.path = fs::absolute(fs::path(m.path), ec).lexically_normal().string();
        if (ec)
            e.path = m.path;
        e.relative = locator.relative(e.path);
        if (!std::isfinite(m.start) || !std::isfinite(m.end) || m.start < 0)
            throw InputError("the moment of " + quoted(m.path) + " has no valid time range");
        e.startMs = std::llround(m.start * 1000);
        e.endMs = std::llround(m.end * 1000);
        if (e.endMs <= e.startMs)
            throw InputError("the moment of " + quoted(m.path) + " is empty (" + secondsText(e.startMs) + " s to " +
                             secondsText(e.endMs) + " s)");
        e.title = momentTitle(m);
        out.push_back(std::move(e));
    }
    return out;
}

std::string requireUtf8(const std::string& name, PlaylistFormat f)
{
    if (!isValidUtf8(name))
        throw InputError("the file name " + quoted(name) + " is not valid UTF-8, which a " +
                         std::string(toString(f)) + " file cannot hold; rename it or export another format");
    return name;
}

// ---------------------------------------------------------------- formats

std::string renderM3u8(const std::vector<Entry>& entries, const PlaylistOptions& o)
{
    std::string out = "#EXTM3U\n";
    if (!o.title.empty())
        out += "#PLAYLIST:" + displayText(o.title) + "\n";
    for (const auto& e : entries) {
        // Line-based: an M3U reader splits a name at a line break before it decodes anything.
        if (e.path.find_first_of("\r\n") != std::string::npos)
            throw InputError("the file name " + quoted(e.moment->path) +
                             " holds a line break, which an M3U playlist cannot hold; rename it or export XSPF or EDL");
        out += "#EXTINF:" + secondsText(e.endMs - e.startMs) + "," + e.title + "\n";
        out += "#EXTVLCOPT:start-time=" + secondsText(e.startMs) + "\n";
        out += "#EXTVLCOPT:stop-time=" + secondsText(e.endMs) + "\n";
        out += m3uLocation(e.relative, e.path) + "\n";
    }
    return out;
}

std::string renderXspf(const std::vector<Entry>& entries, const PlaylistOptions& o)
{
    static const char* kVlcApp = "http://www.videolan.org/vlc/playlist/0";
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<playlist xmlns=\"http://xspf.org/ns/0/\" "
                      "xmlns:vlc=\"http://www.videolan.org/vlc/playlist/ns/0/\" version=\"1\">\n";
    if (!o.title.empty())
        out += "  <title>" + xmlText(displayText(o.title)) + "</title>\n";
    out += "  <trackList>\n";
    for (size_t i = 0; i < entries.size(); ++i) {
        const auto& e = entries[i];
        out += "    <track>\n";
        out += "      <location>" + (e.relative ? percentEncode(*e.relative) : fileUri(e.path)) + "</location>\n";
        out += "      <title>" + xmlText(e.title) + "</title>\n";
        out += "      <duration>" + std::to_string(e.endMs - e.startMs) + "</duration>\n";
        out += std::string("      <extension application=\"") + kVlcApp + "\">\n";
        out += "        <vlc:id>" + std::to_string(i) + "</vlc:id>\n";
        out += "        <vlc:option>start-time=" + secondsText(e.startMs) + "</vlc:option>\n";
        out += "        <vlc:option>stop-time=" + secondsText(e.endMs) + "</vlc:option>\n";
        out += "      </extension>\n";
        out += "    </track>\n";
    }
    out += "  </trackList>\n";
    // VLC's own playlists list the tracks by vlc:id here; VLC adds tracks in this order.
    out += std::string("  <extension application=\"") + kVlcApp + "\">\n";
    for (size_t i = 0; i < entries.size(); ++i)
        out += "    <vlc:item tid=\"" + std::to_string(i) + "\"/>\n";
    out += "  </extension>\n</playlist>\n";
    return out;
}

std::string renderEdl(const std::vector<Entry>& entries)
{
    if (entries.empty())
        throw InputError("an mpv EDL needs at least one moment; nothing to export");
    std::string out = "# mpv EDL v0\n";
    for (const auto& e : entries) {
        // mpv takes a name with "scheme://" as a URL instead of joining it to the EDL's folder.
        const std::string& name = e.relative && e.relative->find("://") == std::string::npos ? *e.relative : e.path;
        out += "%" + std::to_string(name.size()) + "%" + name + "," + secondsText(e.startMs) + "," +
               secondsText(e.endMs - e.startMs) + "\n";
    }
    return out;
}

std::string renderCsv(const std::vector<Entry>& entries)
{
    std::string out = "path,start,end,duration,score,title\r\n";
    for (const auto& e : entries) {
        const std::string name = requireUtf8(e.relative ? *e.relative : e.path, PlaylistFormat::Csv);
        out += csvField(name) + "," + secondsText(e.startMs) + "," + secondsText(e.endMs) + "," +
               secondsText(e.endMs - e.startMs) + "," + scoreText(e.moment->score) + "," + csvField(e.title) + "\r\n";
    }
    return out;
}

std::string renderJson(const std::vector<Entry>& entries)
{
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : entries) {
        const Moment& m = *e.moment;
        nlohmann::json j = momentJson(m); // times unrounded
        j["path"] = requireUtf8(e.relative ? *e.relative : m.path, PlaylistFormat::Json);
        out.push_back(std::move(j));
    }
    return out.dump(2) + "\n";
}

} // namespace

const char* toString(PlaylistFormat f)
{
    switch (f) {
    case PlaylistFormat::M3u8: return "m3u8";
    case PlaylistFormat::Xspf: return "xspf";
    case PlaylistFormat::Edl: return "edl";
    case PlaylistFormat::Csv: return "csv";
    case PlaylistFormat::Json: return "json";
    }
    return "?";
}

std::optional<PlaylistFormat> parsePlaylistFormat(const std::string& name)
{
    std::string n = name;
    std::transform(n.begin(), n.end(), n.begin(),
                   [](unsigned char c) { return char(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    if (n == "m3u8" || n == "m3u")
        return PlaylistFormat::M3u8;
    if (n == "xspf")
        return PlaylistFormat::Xspf;
    if (n == "edl")
        return PlaylistFormat::Edl;
    if (n == "csv")
        return PlaylistFormat::Csv;
    if (n == "json")
        return PlaylistFormat::Json;
    return std::nullopt;
}

std::optional<PlaylistFormat> playlistFormatForPath(const std::string& path)
{
    const std::string ext = fs::path(path).extension().string();
    if (ext.size() < 2)
        return std::nullopt;
    return parsePlaylistFormat(ext.substr(1));
}

std::string playlistFilterName(PlaylistFormat f)
{
    switch (f) {
    case PlaylistFormat::M3u8: return "M3U8 playlist (*.m3u8)";
    case PlaylistFormat::Xspf: return "XSPF playlist (*.xspf)";
    case PlaylistFormat::Edl: return "mpv EDL (*.edl)";
    case PlaylistFormat::Csv: return "CSV table (*.csv)";
    case PlaylistFormat::Json: return "JSON (*.json)";
    }
    return "";
}

const char* playlistExtension(PlaylistFormat f)
{
    switch (f) {
    case PlaylistFormat::M3u8: return ".m3u8";
    case PlaylistFormat::Xspf: return ".xspf";
    case PlaylistFormat::Edl: return ".edl";
    case PlaylistFormat::Csv: return ".csv";
    case PlaylistFormat::Json: return ".json";
    }
    return "";
}

const char* playlistFormatNames()
{
    return "m3u8|xspf|edl|csv|json";
}

std::string momentClock(double seconds)
{
    if (!(seconds >= 0))
        seconds = 0;
    const long tenths = std::lround(seconds * 10);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%ld:%02ld.%ld", tenths / 600, (tenths / 10) % 60, tenths % 10);
    return buf;
}

nlohmann::json momentJson(const Moment& m)
{
    return {{"path", m.path},
            {"start", m.start},
            {"end", m.end},
            {"score", m.score},
            {"file_id", m.fileId},
            {"segment_id", m.segmentId},
            {"segment_ids", m.segmentIds},
            {"status", store::toString(m.status)},
            {"duration", m.fileDuration}};
}

std::string momentTitle(const Moment& m)
{
    return displayText(fs::path(m.path).filename().string()) + " " + momentClock(m.start) + "-" + momentClock(m.end);
}

std::string renderPlaylist(const std::vector<Moment>& moments, const std::string& playlistPath,
                           const PlaylistOptions& options)
{
    const Locator locator(playlistPath, options.relativePaths);
    const std::vector<Entry> entries = entriesFor(moments, locator);
    switch (options.format) {
    case PlaylistFormat::M3u8: return renderM3u8(entries, options);
    case PlaylistFormat::Xspf: return renderXspf(entries, options);
    case PlaylistFormat::Edl: return renderEdl(entries);
    case PlaylistFormat::Csv: return renderCsv(entries);
    case PlaylistFormat::Json: return renderJson(entries);
    }
    throw Error("unknown playlist format");
}

void writePlaylist(const std::vector<Moment>& moments, const std::string& playlistPath, const PlaylistOptions& options)
{
    const std::string text = renderPlaylist(moments, playlistPath, options);
    const fs::path folder = fs::path(playlistPath).parent_path();
    std::error_code ec;
    if (!folder.empty() && !fs::is_directory(folder, ec))
        throw Error("cannot write the playlist '" + playlistPath + "': there is no folder '" + folder.string() + "'");
    try {
        writeFileAtomic(playlistPath, text);
    } catch (const Error& e) {
        throw Error("cannot write the playlist '" + playlistPath + "': " + e.what());
    }
}

} // namespace vop::search
