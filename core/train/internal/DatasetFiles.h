#pragma once
// Text and folder helpers shared by the dataset readers (not a public header of core/train).
#include "train/Dataset.h"

#include <filesystem>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace vop::detail {

std::string lower(std::string s);
std::string trim(const std::string& s);
void requireFolder(const std::string& root);
// Entries of a folder (recursively or not), sorted by path. Throws InputError when unreadable.
std::vector<std::filesystem::path> sortedEntries(const std::filesystem::path& dir, bool recursive);
bool isRegularVideo(const std::filesystem::path& p);
// Refuses (InputError) a text file larger than kMaxTextFileBytes before it is read.
void requireTextFileSize(const std::string& path);
// Lines of a text file (UTF-8 BOM dropped, "\r" stripped); false when unreadable. InputError when
// it is larger than kMaxTextFileBytes.
bool readLines(const std::string& path, std::vector<std::string>& lines);
// One CSV record (RFC 4180 quoting within one line); false when a quote is left open.
bool splitCsv(const std::string& line, std::vector<std::string>& fields);

// A CSV file with a header row; columns found by name: video_id (or video), caption (or
// sentence), split. Throws InputError naming the file and line when there is no video_id column.
struct CsvTable {
    std::string path;
    int idCol = -1, captionCol = -1, splitCol = -1;
    struct Row {
        size_t line; // 1-based
        std::vector<std::string> fields;
    };
    std::vector<Row> rows;
};
CsvTable readCsv(const std::string& path, std::vector<std::string>& skipped);
std::string field(const CsvTable::Row& r, int col);

// Appends captions to videos, dropping a video's duplicates (recorded in `skipped`) through a hash
// set, not a search of its list: a video may come with a million captions. Keeps at most
// kMaxCaptionsPerVideo per video and says once per video that the rest were ignored.
class CaptionAdder {
public:
    explicit CaptionAdder(std::vector<std::string>& skipped) : m_skipped(skipped) {}
    void add(VideoItem& v, const std::string& caption, const std::string& where);

private:
    std::vector<std::string>& m_skipped;
    std::unordered_map<std::string, std::unordered_set<std::string>> m_seen; // video id -> its captions
    std::set<std::string> m_full;                                             // ids told they are full
};

} // namespace vop::detail
