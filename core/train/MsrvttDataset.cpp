// MSR-VTT annotations and split lists (see Dataset.h for the layouts read).
#include "train/Dataset.h"

#include "train/internal/DatasetFiles.h"
#include "util/Error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

namespace fs = std::filesystem;

namespace vop {

using namespace detail;

namespace {

struct Annotations {
    std::vector<std::string> order;       // ids, first seen first
    std::map<std::string, VideoItem> byId;
    bool hasSplit = false;

    VideoItem& get(const std::string& id)
    {
        auto it = byId.find(id);
        if (it == byId.end()) {
            order.push_back(id);
            it = byId.emplace(id, VideoItem{}).first;
            it->second.id = id;
        }
        return it->second;
    }
};

std::string jsonText(const nlohmann::json& j, const char* key)
{
    if (!j.is_object() || !j.contains(key))
        return {};
    const auto& v = j.at(key);
    if (v.is_string()) return trim(v.get<std::string>());
    if (v.is_number_integer()) return std::to_string(v.get<long long>());
    return {};
}

std::vector<std::string> jsonCaptions(const nlohmann::json& j)
{
    std::vector<std::string> out;
    for (const char* key : {"caption", "sentence"}) {
        if (!j.is_object() || !j.contains(key))
            continue;
        const auto& v = j.at(key);
        if (v.is_string() && !trim(v.get<std::string>()).empty())
            out.push_back(trim(v.get<std::string>()));
        else if (v.is_array())
            for (const auto& s : v)
                if (s.is_string() && !trim(s.get<std::string>()).empty()) out.push_back(trim(s.get<std::string>()));
        if (!out.empty())
            break;
    }
    return out;
}

// The "videos" list of MSRVTT_data.json: ids and their splits (duplicates skipped).
void readJsonVideos(const nlohmann::json& j, const std::string& path, Annotations& a, std::vector<std::string>& skipped)
{
    if (!j.contains("videos") || !j["videos"].is_array())
        return;
    std::map<std::string, size_t> seen;
    const auto& videos = j["videos"];
    for (size_t i = 0; i < videos.size(); ++i) {
        const auto where = "videos[" + std::to_string(i) + "]";
        const auto id = jsonText(videos[i], "video_id");
        if (id.empty()) {
            skipped.push_back(path + ": " + where + ": no video_id, skipped");
            continue;
        }
        if (auto it = seen.find(id); it != seen.end()) {
            skipped.push_back(path + ": " + where + ": duplicate video_id '" + id + "' (first at videos[" +
                              std::to_string(it->second) + "]), skipped");
            continue;
        }
        seen[id] = i;
        a.get(id).split = jsonText(videos[i], "split");
        if (!a.byId[id].split.empty()) a.hasSplit = true;
    }
}

void readJsonAnnotations(const std::string& path, Annotations& a, std::vector<std::string>& skipped)
{
    requireTextFileSize(path);
    CaptionAdder captions(skipped);
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError("cannot read '" + path + "'");
    nlohmann::json j;
    try {
        in >> j;
    } catch (const nlohmann::json::exception& e) {
        throw InputError(path + ": not valid JSON: " + e.what());
    }
    auto addSentence = [&](const nlohmann::json& s, const std::string& where) {
        const auto id = jsonText(s, "video_id");
        const auto caps = jsonCaptions(s);
        if (id.empty()) {
            skipped.push_back(path + ": " + where + ": no video_id, skipped");
            return;
        }
        if (caps.empty()) {
            skipped.push_back(path + ": " + where + ": no caption for '" + id + "', skipped");
            return;
        }
        auto& v = a.get(id);
        for (const auto& c : caps) captions.add(v, c, path + ": " + where);
        const auto split = jsonText(s, "split");
        if (!split.empty()) {
            a.hasSplit = true;
            if (v.split.empty()) v.split = split;
        }
    };
    if (j.is_object() && j.contains("sentences")) {
        readJsonVideos(j, path, a, skipped);
        const auto& sentences = j["sentences"];
        if (!sentences.is_array())
            throw InputError(path + ": \"sentences\" is not a list");
        for (size_t i = 0; i < sentences.size(); ++i) addSentence(sentences[i], "sentences[" + std::to_string(i) + "]");
        // videos listed without any sentence carry nothing to train or evaluate on (one pass: a
        // list may name a million videos)
        a.order.erase(std::remove_if(a.order.begin(), a.order.end(), [&](const std::string& id) {
            if (!a.byId[id].captions.empty())
                return false;
            skipped.push_back(path + ": video '" + id + "' has no sentences, skipped");
            a.byId.erase(id);
            return true;
        }), a.order.end());
        return;
    }
    if (j.is_array()) {
        for (size_t i = 0; i < j.size(); ++i) addSentence(j[i], "[" + std::to_string(i) + "]");
        return;
    }
    throw InputError(path + ": not MSR-VTT annotations (expected an object with \"sentences\" and \"videos\", or a "
                            "list of {\"video_id\", \"caption\"})");
}

void readCsvAnnotations(const std::string& path, Annotations& a, std::vector<std::string>& skipped)
{
    auto t = readCsv(path, skipped);
    if (t.captionCol < 0)
        throw InputError(path + ":1: no caption or sentence column in the header");
    if (t.splitCol >= 0) a.hasSplit = true;
    CaptionAdder captions(skipped);
    for (const auto& r : t.rows) {
        const auto where = path + ":" + std::to_string(r.line);
        const auto id = field(r, t.idCol), caption = field(r, t.captionCol);
        if (id.empty()) {
            skipped.push_back(where + ": missing video_id, row skipped");
            continue;
        }
        if (caption.empty()) {
            skipped.push_back(where + ": missing caption for '" + id + "', row skipped");
            continue;
        }
        auto& v = a.get(id);
        captions.add(v, caption, where);
        if (v.split.empty()) v.split = field(r, t.splitCol);
    }
}

struct SplitList {
    std::vector<std::string> ids;
    std::map<std::string, VideoItem> sentences; // when the list carries them (1k-A)
    std::map<std::string, size_t> lineOf;
};

SplitList readSplitList(const std::string& path, std::vector<std::string>& skipped)
{
    std::vector<std::string> lines;
    if (!readLines(path, lines))
        throw InputError("cannot read split list '" + path + "'");
    SplitList list;
    CaptionAdder captions(skipped);
    std::vector<std::string> header;
    size_t first = 0;
    while (first < lines.size() && trim(lines[first]).empty()) ++first;
    if (first == lines.size())
        throw InputError(path + ": empty split list");
    splitCsv(lines[first], header);
    const bool csv = std::any_of(header.begin(), header.end(), [](const std::string& h) {
        return lower(h) == "video_id";
    });
    auto add = [&](const std::string& id, size_t line, const std::string& sentence) {
        const auto where = path + ":" + std::to_string(line);
        if (!list.lineOf.count(id)) {
            list.ids.push_back(id);
            list.lineOf[id] = line;
        } else if (sentence.empty()) {
            skipped.push_back(where + ": duplicate id '" + id + "' (first on line " + std::to_string(list.lineOf[id]) +
                              "), ignored");
            return;
        }
        if (!sentence.empty()) {
            auto& v = list.sentences[id];
            v.id = id;
            captions.add(v, sentence, where);
        }
    };
    if (csv) {
        auto t = readCsv(path, skipped);
        for (const auto& r : t.rows) {
            const auto id = field(r, t.idCol);
            if (id.empty()) {
                skipped.push_back(path + ":" + std::to_string(r.line) + ": missing video_id, row skipped");
                continue;
            }
            if (t.captionCol >= 0 && field(r, t.captionCol).empty()) {
                skipped.push_back(path + ":" + std::to_string(r.line) + ": missing sentence for '" + id +
                                  "', row skipped");
                continue;
            }
            add(id, r.line, field(r, t.captionCol));
        }
    } else {
        for (size_t i = first; i < lines.size(); ++i) {
            const auto id = trim(lines[i]);
            if (!id.empty()) add(id, i + 1, "");
        }
    }
    if (list.ids.empty())
        throw InputError(path + ": the split list names no videos");
    return list;
}

bool splitMatches(const std::string& have, const std::string& want)
{
    const auto h = lower(have), w = lower(want);
    auto canon = [](const std::string& s) { return s == "val" || s == "validation" ? std::string("validate") : s; };
    return canon(h) == canon(w);
}

std::string findVideoDir(const fs::path& annotationDir)
{
    std::vector<fs::path> candidates = {annotationDir / "videos" / "all", annotationDir / "videos",
                                        annotationDir.parent_path() / "videos" / "all",
                                        annotationDir.parent_path() / "videos", annotationDir};
    std::string tried;
    for (const auto& c : candidates) {
        std::error_code ec;
        tried += (tried.empty() ? "" : ", ") + c.string();
        if (!fs::is_directory(c, ec))
            continue;
        for (auto it = fs::directory_iterator(c, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
            if (isRegularVideo(it->path())) return c.string();
    }
    throw InputError("no folder of videos found beside the annotations (tried " + tried + "); pass the folder explicitly");
}

} // namespace

Dataset readMsrvtt(const std::string& annotationsIn, const DatasetOptions& options)
{
    std::error_code ec;
    std::string annotations = annotationsIn;
    if (!fs::exists(annotations, ec))
        throw InputError("annotation file '" + annotations + "' does not exist");
    if (fs::is_directory(annotations, ec)) {
        std::string found;
        for (const char* name : {"MSRVTT_data.json", "annotations.json", "annotations.csv", "train_val_videodatainfo.json"})
            if (fs::is_regular_file(fs::path(annotations) / name, ec)) {
                found = (fs::path(annotations) / name).string();
                break;
            }
        if (found.empty())
            throw InputError("'" + annotations + "' holds no MSRVTT_data.json, annotations.json or annotations.csv");
        annotations = found;
    }
    Dataset d;
    d.format = "msrvtt";
    d.source = annotations;
    Annotations a;
    const auto ext = lower(fs::path(annotations).extension().string());
    if (ext == ".csv")
        readCsvAnnotations(annotations, a, d.skipped);
    else
        readJsonAnnotations(annotations, a, d.skipped);
    if (!options.split.empty() && !a.hasSplit && options.splitList.empty())
        throw InputError(annotations + ": no split information; cannot select split '" + options.split +
                         "' (give a split list instead)");

    const std::string videoDir = options.videoDir.empty() ? findVideoDir(fs::path(annotations).parent_path())
                                                          : options.videoDir;
    requireFolder(videoDir);
    std::map<std::string, std::string> files; // stem -> path
    for (const auto& p : sortedEntries(videoDir, false)) {
        if (!isRegularVideo(p))
            continue;
        const auto stem = p.stem().string();
        if (auto it = files.find(stem); it != files.end()) {
            d.skipped.push_back(p.string() + ": another file has the id '" + stem + "' (" + it->second +
                                "), this one ignored");
            continue;
        }
        files[stem] = p.string();
    }

    std::vector<VideoItem> wanted;
    if (!options.splitList.empty()) {
        const auto list = readSplitList(options.splitList, d.skipped);
        for (const auto& id : list.ids) {
            const auto where = options.splitList + ":" + std::to_string(list.lineOf.at(id));
            VideoItem v;
            auto it = a.byId.find(id);
            if (it != a.byId.end()) v = it->second;
            v.id = id;
            if (auto s = list.sentences.find(id); s != list.sentences.end()) v.captions = s->second.captions;
            if (v.captions.empty()) {
                d.skipped.push_back(where + ": '" + id + "' has no captions in " + annotations + ", skipped");
                continue;
            }
            if (!options.split.empty() && !v.split.empty() && !splitMatches(v.split, options.split))
                continue;
            wanted.push_back(std::move(v));
        }
    } else {
        for (const auto& id : a.order) {
            const auto& v = a.byId.at(id);
            if (!options.split.empty() && !splitMatches(v.split, options.split))
                continue;
            wanted.push_back(v);
        }
    }
    for (auto& v : wanted) {
        auto f = files.find(v.id);
        if (f == files.end()) {
            d.skipped.push_back("video '" + v.id + "': no file " + v.id + ".* in " + videoDir + ", skipped");
            continue;
        }
        v.path = f->second;
        d.videos.push_back(std::move(v));
    }
    if (d.videos.empty())
        throw InputError("no usable videos for " + annotations + (options.split.empty() ? "" : " split '" + options.split + "'") +
                         " in " + videoDir + (d.skipped.empty() ? "" : " (" + std::to_string(d.skipped.size()) + " skipped; first: " + d.skipped.front() + ")"));
    return d;
}

} // namespace vop
