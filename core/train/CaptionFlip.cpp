#include "train/CaptionFlip.h"

#include <array>
#include <cctype>
#include <utility>

namespace vop {
namespace {

// Longest first where one word begins another at the same position.
const std::array<std::pair<const char*, const char*>, 13> kMirrored = {{
    {"counter-clockwise", "clockwise"},
    {"anti-clockwise", "clockwise"},
    {"counterclockwise", "clockwise"},
    {"anticlockwise", "clockwise"},
    {"clockwise", "counterclockwise"},
    {"leftwards", "rightwards"},
    {"rightwards", "leftwards"},
    {"leftward", "rightward"},
    {"rightward", "leftward"},
    {"leftmost", "rightmost"},
    {"rightmost", "leftmost"},
    {"left", "right"},
    {"right", "left"},
}};

bool isWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// `word` at `pos` of `s`, ignoring case, with no word character on either side.
bool wordAt(const std::string& s, size_t pos, const std::string& word)
{
    if (pos + word.size() > s.size()) return false;
    if (pos > 0 && isWordChar(s[pos - 1])) return false;
    for (size_t i = 0; i < word.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[pos + i])) != word[i]) return false;
    const size_t end = pos + word.size();
    return end == s.size() || !isWordChar(s[end]);
}

// `to` written in the case of `from`: all capitals, a capital first letter, or as given.
std::string inCaseOf(const std::string& from, const std::string& to)
{
    bool upper = true, lower = true;
    for (char c : from)
        if (std::isalpha(static_cast<unsigned char>(c))) {
            upper = upper && std::isupper(static_cast<unsigned char>(c));
            lower = lower && std::islower(static_cast<unsigned char>(c));
        }
    std::string out = to;
    if (upper && !lower) {
        for (auto& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
    } else if (!from.empty() && std::isupper(static_cast<unsigned char>(from[0]))) {
        out[0] = char(std::toupper(static_cast<unsigned char>(out[0])));
    }
    return out;
}

} // namespace

std::string mirrorCaption(const std::string& caption)
{
    std::string out;
    out.reserve(caption.size() + 8);
    for (size_t i = 0; i < caption.size();) {
        bool replaced = false;
        if (i == 0 || !isWordChar(caption[i - 1]))
            for (const auto& [word, mirror] : kMirrored)
                if (wordAt(caption, i, word)) {
                    const std::string w(word);
                    out += inCaseOf(caption.substr(i, w.size()), mirror);
                    i += w.size();
                    replaced = true;
                    break;
                }
        if (!replaced) out += caption[i++];
    }
    return out;
}

bool namesHorizontalDirection(const std::string& caption) { return mirrorCaption(caption) != caption; }

} // namespace vop
