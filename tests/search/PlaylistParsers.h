#pragma once
// Independent readers of the exported playlists, written from the formats' rules (not from
// core/search/PlaylistExport.cpp): each returns what a player would open and when.
#include <charconv>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vop::test::playlist {

namespace fs = std::filesystem;

struct Item {
    std::string path;      // resolved, absolute, lexically normal
    std::string location;  // as written
    std::optional<double> start, end, length; // seconds
    std::string title;
};

// Parsing problems are collected, not thrown: a test prints them all.
struct Parsed {
    std::vector<Item> items;
    std::vector<std::string> problems;
    std::string title;
};

inline std::optional<double> number(const std::string& s)
{
    double v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
        return std::nullopt;
    return v;
}

inline int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// RFC 3986 percent-decoding; nullopt for a stray '%'.
inline std::optional<std::string> percentDecode(const std::string& s)
{
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size())
            return std::nullopt;
        const int hi = hexValue(s[i + 1]), lo = hexValue(s[i + 2]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        out += char(hi * 16 + lo);
        i += 2;
    }
    return out;
}

// Characters a URI (reference) may hold raw: unreserved, reserved but '#' and '?' (which end
// the path), and '%' starting an escape.
inline bool isUriText(const std::string& s)
{
    static const std::string kOk = "-._~:/[]@!$&'()*+,;=%";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              kOk.find(ch) != std::string::npos))
            return false;
    }
    return percentDecode(s).has_value();
}

inline std::string joined(const std::string& base, const std::string& rel)
{
    return (fs::path(base) / rel).lexically_normal().string();
}

// A file:// URI (no host) or a relative reference resolved against the folder `base`.
inline std::optional<std::string> uriToPath(const std::string& uri, const std::string& base, std::string& problem)
{
    if (!isUriText(uri)) {
        problem = "not a valid percent-encoded URI: " + uri;
        return std::nullopt;
    }
    if (uri.rfind("file://", 0) == 0) {
        const std::string rest = uri.substr(7);
        if (rest.empty() || rest[0] != '/') {
            problem = "file URI with a host: " + uri;
            return std::nullopt;
        }
        return fs::path(*percentDecode(rest)).lexically_normal().string();
    }
    const size_t colon = uri.find(':'), slash = uri.find('/');
    if (colon != std::string::npos && (slash == std::string::npos || colon < slash)) {
        problem = "relative reference reads as a scheme: " + uri;
        return std::nullopt;
    }
    return joined(base, *percentDecode(uri));
}

// M3U as the two players read it: VLC takes a plain line as a URL reference (cut at '#' or '?',
// %XX decoded) and mpv as a literal path; both must name the same file.
inline Parsed parseM3u(const std::string& text, const std::string& base)
{
    Parsed p;
    std::vector<std::string> lines;
    size_t from = 0;
    for (size_t nl; (nl = text.find('\n', from)) != std::string::npos; from = nl + 1)
        lines.push_back(text.substr(from, nl - from));
    if (from != text.size())
        p.problems.push_back("no line end after the last line");
    if (text.find('\r') != std::string::npos)
        p.problems.push_back("CR in the file");
    if (lines.empty() || lines[0] != "#EXTM3U")
        p.problems.push_back("first line is not #EXTM3U");
    Item cur;
    bool haveInf = false;
    for (size_t n = 1; n < lines.size(); ++n) {
        const std::string& l = lines[n];
        if (l.rfind("#PLAYLIST:", 0) == 0) {
            p.title = l.substr(10);
        } else if (l.rfind("#EXTINF:", 0) == 0) {
            const size_t comma = l.find(',');
            cur.length = comma == std::string::npos ? std::nullopt : number(l.substr(8, comma - 8));
            cur.title = comma == std::string::npos ? "" : l.substr(comma + 1);
            haveInf = true;
        } else if (l.rfind("#EXTVLCOPT:start-time=", 0) == 0) {
            cur.start = number(l.substr(22));
        } else if (l.rfind("#EXTVLCOPT:stop-time=", 0) == 0) {
            cur.end = number(l.substr(21));
        } else if (!l.empty() && l[0] == '#') {
            p.problems.push_back("unexpected line: " + l);
        } else if (l.empty()) {
            p.problems.push_back("empty line " + std::to_string(n + 1));
        } else {
            cur.location = l;
            if (!haveInf || !cur.start || !cur.end || !cur.length)
                p.problems.push_back("entry without #EXTINF / start-time / stop-time: " + l);
            std::string problem;
            if (l.rfind("file://", 0) == 0) {
                if (auto path = uriToPath(l, base, problem))
                    cur.path = *path;
            } else {
                const std::string vlcRef = l.substr(0, l.find_first_of("#?"));
                const auto vlcDecoded = percentDecode(vlcRef);
                const std::string mpvPath = joined(base, l);
                if (!vlcDecoded || joined(base, *vlcDecoded) != mpvPath)
                    problem = "VLC and mpv read the plain line differently: " + l;
                const size_t colon = l.find(':'), slash = l.find('/');
                if (colon != std::string::npos && (slash == std::string::npos || colon < slash))
                    problem = "plain line reads as a URL scheme to VLC: " + l;
                if (l.front() == ' ' || l.back() == ' ')
                    problem = "players strip the spaces around: " + l;
                cur.path = mpvPath;
            }
            if (!problem.empty())
                p.problems.push_back(problem);
            p.items.push_back(cur);
            cur = Item{};
            haveInf = false;
        }
    }
    if (haveInf || cur.start || cur.end)
        p.problems.push_back("options after the last entry");
    return p;
}

// mpv's EDL reader (demux_edl.c): "# mpv EDL v0\n", then lines of [name=]value params separated
// by ',', a value either %N%<N bytes> or up to the next ',', ';' or LF. Positional params are
// file, start, length.
inline Parsed parseEdl(const std::string& text, const std::string& base)
{
    Parsed p;
    static const std::string kHeader = "# mpv EDL v0\n";
    if (text.rfind(kHeader, 0) != 0) {
        p.problems.push_back("does not start with '# mpv EDL v0\\n'");
        return p;
    }
    size_t i = kHeader.size();
    while (i < text.size()) {
        if (text[i] == '\n') {
            ++i;
            continue;
        }
        std::vector<std::pair<std::string, std::string>> params;
        for (int n = 0;; ++n) {
            std::string name = n < 3 ? std::vector<std::string>{"file", "start", "length"}[size_t(n)] : "-";
            const size_t stop = text.find_first_of("=%,;\n", i);
            if (stop != std::string::npos && stop > i && text[stop] == '=') {
                name = text.substr(i, stop - i);
                i = stop + 1;
            }
            std::string value;
            if (i < text.size() && text[i] == '%') {
                const size_t close = text.find('%', i + 1);
                size_t len = 0;
                const char* b = text.data() + i + 1;
                const char* e = close == std::string::npos ? b : text.data() + close;
                if (close == std::string::npos || std::from_chars(b, e, len).ptr != e ||
                    close + 1 + len > text.size()) {
                    p.problems.push_back("bad %N% escape at byte " + std::to_string(i));
                    return p;
                }
                value = text.substr(close + 1, len);
                i = close + 1 + len;
            } else {
                const size_t end = std::min(text.find_first_of(",;\n", i), text.size());
                value = text.substr(i, end - i);
                i = end;
            }
            params.emplace_back(name, value);
            if (i < text.size() && text[i] == ',') {
                ++i;
                continue;
            }
            break;
        }
        if (i < text.size() && text[i] != '\n')
            p.problems.push_back("a line continues after its last parameter");
        Item item;
        for (const auto& [name, value] : params) {
            if (name == "file") {
                item.location = value;
                item.path = value.find("://") != std::string::npos ? value : joined(base, value);
            } else if (name == "start") {
                item.start = number(value);
            } else if (name == "length") {
                item.length = number(value);
            } else {
                p.problems.push_back("unexpected parameter '" + name + "' (an unescaped ',' or '=' in a name?)");
            }
        }
        if (!item.start || !item.length)
            p.problems.push_back("segment without a valid start and length: " + item.location);
        else
            item.end = *item.start + *item.length;
        p.items.push_back(item);
    }
    return p;
}

// RFC 4180: CRLF records, fields quoted when they hold ',', '"', CR or LF, quotes doubled.
inline std::vector<std::vector<std::string>> parseCsv(const std::string& text, std::vector<std::string>& problems)
{
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    size_t i = 0;
    while (i < text.size()) {
        if (text[i] == '"') {
            ++i;
            for (;;) {
                if (i >= text.size()) {
                    problems.push_back("unterminated quoted field");
                    return rows;
                }
                if (text[i] == '"') {
                    if (i + 1 < text.size() && text[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += text[i++];
            }
        } else {
            while (i < text.size() && text[i] != ',' && text[i] != '\r' && text[i] != '\n') {
                if (text[i] == '"')
                    problems.push_back("quote inside an unquoted field");
                field += text[i++];
            }
        }
        row.push_back(field);
        field.clear();
        if (i < text.size() && text[i] == ',') {
            ++i;
            continue;
        }
        if (text.compare(i, 2, "\r\n") != 0) {
            problems.push_back("record not ended by CRLF");
            return rows;
        }
        i += 2;
        rows.push_back(row);
        row.clear();
    }
    return rows;
}

} // namespace vop::test::playlist
