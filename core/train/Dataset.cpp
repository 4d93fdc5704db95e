#include "train/Dataset.h"

#include "util/VideoExtensions.h"

#include "train/internal/DatasetFiles.h"

#include "train/Random.h"
#include "util/Error.h"
#include "util/Sha256.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace vop {

namespace {

const std::set<std::string>& videoExtensionSet()
{
    static const std::set<std::string> exts(videoExtensions().begin(), videoExtensions().end());
    return exts;
}

std::string label(const std::string& folderName)
{
    std::string s = folderName;
    std::replace(s.begin(), s.end(), '_', ' ');
    return detail::trim(s);
}

std::string applyTemplate(const std::string& tmpl, const std::string& text)
{
    const auto pos = tmpl.find("{}");
    return tmpl.substr(0, pos) + text + tmpl.substr(pos + 2);
}

} // namespace

namespace detail {

std::string lower(std::string s)
{
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(const std::string& s)
{
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

void requireFolder(const std::string& root)
{
    std::error_code ec;
    if (!fs::exists(root, ec))
        throw InputError("data folder '" + root + "' does not exist");
    if (!fs::is_directory(root, ec))
        throw InputError("'" + root + "' is not a folder");
}

std::vector<fs::path> sortedEntries(const fs::path& dir, bool recursive)
{
    std::vector<fs::path> out;
    std::error_code ec;
    if (recursive) {
        for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
            out.push_back(it->path());
    } else {
        for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
            out.push_back(it->path());
    }
    if (ec)
        throw InputError("cannot list '" + dir.string() + "': " + ec.message());
    std::sort(out.begin(), out.end());
    return out;
}

bool isRegularVideo(const fs::path& p)
{
    std::error_code ec;
    return fs::is_regular_file(p, ec) && hasVideoExtension(p.string());
}

void requireTextFileSize(const std::string& path)
{
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (!ec && size > kMaxTextFileBytes)
        throw InputError("'" + path + "' is " + std::to_string((size + (1u << 20) - 1) >> 20) + " MiB, more than the " +
                         std::to_string(kMaxTextFileBytes >> 20) +
                         " MiB vopsearch reads in a dataset text file (split it, or keep fewer captions per video)");
}

// Reads a text file into lines (a UTF-8 BOM dropped, "\r" stripped). False when unreadable.
bool readLines(const std::string& path, std::vector<std::string>& lines)
{
    requireTextFileSize(path);
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    std::string line;
    bool first = true;
    while (std::getline(in, line)) {
        if (first && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
        first = false;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(line);
    }
    return !in.bad();
}

// One CSV record (RFC 4180 quoting, within one line). False when a quote is left open.
bool splitCsv(const std::string& line, std::vector<std::string>& fields)
{
    fields.clear();
    std::string cur;
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                cur += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cur += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields.push_back(trim(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    fields.push_back(trim(cur));
    return !quoted;
}


// A CSV with a header. Columns are found by name: video_id (or video), caption (or sentence), split.
CsvTable readCsv(const std::string& path, std::vector<std::string>& skipped)
{
    std::vector<std::string> lines;
    if (!readLines(path, lines))
        throw InputError("cannot read '" + path + "'");
    CsvTable t;
    t.path = path;
    size_t headerLine = 0;
    while (headerLine < lines.size() && trim(lines[headerLine]).empty()) ++headerLine;
    if (headerLine == lines.size())
        throw InputError(path + ": empty file");
    std::vector<std::string> header;
    if (!splitCsv(lines[headerLine], header))
        throw InputError(path + ":" + std::to_string(headerLine + 1) + ": unterminated quote in the header");
    for (size_t i = 0; i < header.size(); ++i) {
        const auto h = lower(header[i]);
        if ((h == "video_id" || h == "video") && t.idCol < 0) t.idCol = int(i);
        else if ((h == "caption" || h == "sentence") && t.captionCol < 0) t.captionCol = int(i);
        else if (h == "split" && t.splitCol < 0) t.splitCol = int(i);
    }
    if (t.idCol < 0)
        throw InputError(path + ":" + std::to_string(headerLine + 1) + ": no video_id column in the header '" +
                         lines[headerLine] + "'");
    for (size_t i = headerLine + 1; i < lines.size(); ++i) {
        if (trim(lines[i]).empty())
            continue;
        CsvTable::Row row{i + 1, {}};
        if (!splitCsv(lines[i], row.fields)) {
            skipped.push_back(path + ":" + std::to_string(i + 1) + ": unterminated quote, row skipped");
            continue;
        }
        t.rows.push_back(std::move(row));
    }
    return t;
}

std::string field(const CsvTable::Row& r, int col)
{
    return col >= 0 && size_t(col) < r.fields.size() ? r.fields[size_t(col)] : std::string();
}

void CaptionAdder::add(VideoItem& v, const std::string& caption, const std::string& where)
{
    if (v.captions.size() >= kMaxCaptionsPerVideo) {
        if (m_full.insert(v.id).second)
            m_skipped.push_back(where + ": '" + v.id + "' has more than " + std::to_string(kMaxCaptionsPerVideo) +
                                " captions; the rest are ignored");
        return;
    }
    auto& seen = m_seen[v.id];
    if (seen.empty())
        seen.insert(v.captions.begin(), v.captions.end());
    if (!seen.insert(caption).second) {
        m_skipped.push_back(where + ": duplicate caption '" + caption + "' for '" + v.id + "' dropped");
        return;
    }
    v.captions.push_back(caption);
}

} // namespace detail

using namespace detail;

size_t Dataset::captionCount() const
{
    size_t n = 0;
    for (const auto& v : videos) n += v.captions.size();
    return n;
}

bool hasVideoExtension(const std::string& path)
{
    const auto name = fs::path(path).filename().string();
    const auto dot = name.find_last_of('.');
    if (dot == std::string::npos || dot == 0)
        return false;
    return videoExtensionSet().count(lower(name.substr(dot + 1))) > 0;
}

Dataset readLabelledFolders(const std::string& root, const DatasetOptions& options)
{
    requireFolder(root);
    if (options.captionTemplate.find("{}") == std::string::npos)
        throw InputError("caption template '" + options.captionTemplate + "' has no {} where the label goes");
    Dataset d;
    d.format = "folders";
    d.source = root;
    size_t labels = 0;
    for (const auto& entry : sortedEntries(root, false)) {
        std::error_code ec;
        if (!fs::is_directory(entry, ec)) {
            if (isRegularVideo(entry))
                d.skipped.push_back(entry.string() + ": video outside a label folder, skipped");
            continue;
        }
        const auto name = entry.filename().string();
        if (name.empty() || name[0] == '.')
            continue;
        const auto text = label(name);
        if (text.empty()) {
            d.skipped.push_back(entry.string() + ": label folder without a usable name, skipped");
            continue;
        }
        size_t found = 0;
        for (const auto& file : sortedEntries(entry, true)) {
            if (!isRegularVideo(file))
                continue;
            VideoItem v;
            v.id = name + "/" + fs::relative(file, entry).string();
            v.path = file.string();
            v.captions.push_back(applyTemplate(options.captionTemplate, text));
            d.videos.push_back(std::move(v));
            ++found;
        }
        if (found == 0)
            d.skipped.push_back(entry.string() + ": label folder has no videos, skipped");
        else
            ++labels;
    }
    if (d.videos.empty())
        throw InputError("no videos in label folders under '" + root + "' (expected ROOT/<label>/<video files>)");
    (void)labels;
    return d;
}

Dataset readSidecarCaptions(const std::string& root, const DatasetOptions&)
{
    requireFolder(root);
    Dataset d;
    d.format = "sidecar";
    d.source = root;
    std::set<std::string> captionFiles, claimed;
    for (const auto& file : sortedEntries(root, true)) {
        if (lower(file.extension().string()) == ".txt") captionFiles.insert(file.string());
        if (!isRegularVideo(file))
            continue;
        auto txt = file;
        txt.replace_extension(".txt");
        claimed.insert(txt.string());
        std::error_code ec;
        if (!fs::exists(txt, ec)) {
            d.skipped.push_back(file.string() + ": no caption file " + txt.filename().string() + " beside it, skipped");
            continue;
        }
        std::vector<std::string> lines;
        if (!fs::is_regular_file(txt, ec) || !readLines(txt.string(), lines)) {
            d.skipped.push_back(txt.string() + ": cannot read the caption file, video skipped");
            continue;
        }
        VideoItem v;
        v.id = fs::relative(file, root).string();
        v.path = file.string();
        CaptionAdder captions(d.skipped);
        for (size_t i = 0; i < lines.size(); ++i) {
            const auto caption = trim(lines[i]);
            if (!caption.empty())
                captions.add(v, caption, txt.string() + ":" + std::to_string(i + 1));
        }
        if (v.captions.empty()) {
            d.skipped.push_back(txt.string() + ": no captions (empty file), video skipped");
            continue;
        }
        d.videos.push_back(std::move(v));
    }
    for (const auto& txt : captionFiles)
        if (!claimed.count(txt)) d.skipped.push_back(txt + ": no video beside it, ignored");
    if (d.videos.empty())
        throw InputError("no captioned videos under '" + root + "' (expected clip.mp4 beside clip.txt)");
    return d;
}

Dataset readDataset(const std::string& format, const std::string& path, const DatasetOptions& options)
{
    if (format == "folders") return readLabelledFolders(path, options);
    if (format == "sidecar") return readSidecarCaptions(path, options);
    if (format == "msrvtt") return readMsrvtt(path, options);
    throw InputError("unknown dataset format '" + format + "' (folders, sidecar, msrvtt)");
}

void requireVideos(const Dataset& data, size_t minimum, const std::string& what)
{
    if (data.videos.size() < minimum)
        throw InputError(what + " needs at least " + std::to_string(minimum) + " videos; " + data.source + " gives " +
                         std::to_string(data.videos.size()) +
                         (data.skipped.empty() ? "" : " (" + std::to_string(data.skipped.size()) + " skipped)"));
}

DatasetSplit splitValidation(const Dataset& data, double fraction, uint64_t seed)
{
    if (!(fraction >= 0.0 && fraction < 1.0))
        throw InputError("validation fraction must be in [0, 1), got " + std::to_string(fraction));
    DatasetSplit s;
    s.train = data;
    s.validation = data;
    s.train.videos.clear();
    s.validation.videos.clear();
    s.validation.skipped.clear();
    const size_t n = data.videos.size();
    std::vector<char> isVal(n, 0);
    size_t nVal = 0;
    if (fraction > 0 && n > 0) {
        // at least two: one validation clip ranks first against nothing
        const size_t target = std::max<size_t>(2, size_t(std::lround(fraction * double(n))));
        // Strata: videos by their first caption (the label, for labelled folders), in a seeded order.
        std::map<std::string, std::vector<size_t>> byLabel;
        for (size_t i = 0; i < n; ++i) byLabel[data.videos[i].captions.empty() ? "" : data.videos[i].captions.front()].push_back(i);
        Rng rng(seed, /*stream=*/0x5911);
        struct Stratum {
            std::vector<size_t> videos;
            size_t take = 0, most = 0;
            double remainder = 0;
        };
        std::vector<Stratum> strata;
        for (auto& [label, videos] : byLabel) {
            rng.shuffle(videos);
            Stratum g;
            g.videos = videos;
            const double q = fraction * double(videos.size());
            g.remainder = q - std::floor(q);
            // a label with two clips or more keeps one in training and has one in validation
            g.most = videos.size() >= 2 ? videos.size() - 1 : 1;
            g.take = videos.size() >= 2 ? std::clamp<size_t>(size_t(std::floor(q)), 1, g.most) : 0;
            nVal += g.take;
            strata.push_back(std::move(g));
        }
        // The rest of the target goes by largest remainder (a seeded order among equals), round
        // by round; labels with a single clip (all of them when captions never repeat, as in
        // MSR-VTT) take part with their share.
        rng.shuffle(strata);
        std::stable_sort(strata.begin(), strata.end(),
                         [](const Stratum& x, const Stratum& y) { return x.remainder > y.remainder; });
        for (bool grew = true; nVal < target && grew;) {
            grew = false;
            for (auto& g : strata)
                if (nVal < target && g.take < g.most) {
                    ++g.take;
                    ++nVal;
                    grew = true;
                }
        }
        for (const auto& g : strata)
            for (size_t k = 0; k < g.take; ++k) isVal[g.videos[k]] = 1;
    }
    for (size_t i = 0; i < n; ++i) (isVal[i] ? s.validation : s.train).videos.push_back(data.videos[i]);
    if (s.train.videos.size() < 2)
        throw InputError("training needs at least 2 videos; " + data.source + " gives " + std::to_string(n) +
                         (nVal ? " of which " + std::to_string(nVal) + " go to validation" : std::string()));
    return s;
}

std::string datasetFingerprint(const Dataset& data)
{
    Sha256 h;
    for (const auto& v : data.videos) {
        h.update(v.id);
        h.update("\x1f", 1);
        for (const auto& c : v.captions) {
            h.update(c);
            h.update("\x1e", 1);
        }
        h.update("\x1d", 1);
    }
    return h.hexDigest();
}

} // namespace vop
