#include "model/UnicodeText.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <iterator>

namespace vop::unicode {
namespace {

struct FlagRange {
    char32_t lo, hi;
    std::uint8_t flags;
};
struct LowerRun {
    char32_t lo, hi;
    std::int32_t stride, delta;
};
struct LowerMulti {
    char32_t cp;
    char32_t to[3]; // zero-terminated when shorter
};
struct HtmlEntity {
    const char* name;
    const char* value; // UTF-8
};
struct InvalidCharref {
    char32_t num;
    const char* value; // UTF-8
};
struct CodepointRange {
    char32_t lo, hi;
};

#include "model/UnicodeTables.inc"
#include "model/HtmlEntities.inc"

constexpr std::uint8_t kLetter = 1, kNumber = 2, kSpace = 4, kCaseIgnorable = 8, kCased = 16;
constexpr char32_t kReplacement = 0xFFFD;

std::uint8_t lookupFlags(char32_t cp)
{
    auto it = std::upper_bound(std::begin(kFlagRanges), std::end(kFlagRanges), cp,
                               [](char32_t c, const FlagRange& r) { return c < r.lo; });
    if (it == std::begin(kFlagRanges))
        return 0;
    --it;
    return cp <= it->hi ? it->flags : 0;
}

// Latin-1 is most of what captions contain: answer it from a small table.
std::uint8_t flags(char32_t cp)
{
    static const std::array<std::uint8_t, 256> latin1 = [] {
        std::array<std::uint8_t, 256> t{};
        for (char32_t c = 0; c < 256; ++c)
            t[c] = lookupFlags(c);
        return t;
    }();
    return cp < 256 ? latin1[cp] : lookupFlags(cp);
}

void lowerInto(std::u32string& out, char32_t cp)
{
    if (cp < 0x80) {
        out.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        return;
    }
    for (const auto& m : kLowerMulti) {
        if (m.cp == cp) {
            for (char32_t c : m.to)
                if (c)
                    out.push_back(c);
            return;
        }
    }
    auto it = std::upper_bound(std::begin(kLowerRuns), std::end(kLowerRuns), cp,
                               [](char32_t c, const LowerRun& r) { return c < r.lo; });
    if (it != std::begin(kLowerRuns)) {
        --it;
        if (cp <= it->hi && (cp - it->lo) % it->stride == 0) {
            out.push_back(static_cast<char32_t>(static_cast<std::int64_t>(cp) + it->delta));
            return;
        }
    }
    out.push_back(cp);
}

// CPython's handle_capital_sigma: Σ is final when a cased letter precedes it and none
// follows it, skipping case-ignorable characters on both sides.
bool isFinalSigma(std::u32string_view s, std::size_t i)
{
    std::size_t j = i;
    while (j > 0 && (flags(s[j - 1]) & kCaseIgnorable))
        --j;
    if (j == 0 || !(flags(s[j - 1]) & kCased))
        return false;
    j = i + 1;
    while (j < s.size() && (flags(s[j]) & kCaseIgnorable))
        ++j;
    return j == s.size() || !(flags(s[j]) & kCased);
}

void appendUtf8Decoded(std::u32string& out, const char* utf8)
{
    out += decodeUtf8(utf8);
}

const HtmlEntity* findEntity(const std::string& name)
{
    auto it = std::lower_bound(std::begin(kHtmlEntities), std::end(kHtmlEntities), name,
                               [](const HtmlEntity& e, const std::string& n) { return std::strcmp(e.name, n.c_str()) < 0; });
    return it != std::end(kHtmlEntities) && name == it->name ? it : nullptr;
}

// html._replace_charref for a numeric reference.
void appendNumericCharref(std::u32string& out, char32_t num)
{
    for (const auto& r : kInvalidCharrefs) {
        if (r.num == num) {
            appendUtf8Decoded(out, r.value);
            return;
        }
    }
    if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) {
        out.push_back(kReplacement);
        return;
    }
    for (const auto& r : kInvalidCodepoints)
        if (num >= r.lo && num <= r.hi)
            return;
    out.push_back(num);
}

// html._replace_charref for a named reference; `ref` is the name with its ';' if it had one.
void appendNamedCharref(std::u32string& out, std::u32string_view ref)
{
    // Entity names are ASCII: only the ASCII head of `ref` can match, whole or as a prefix.
    std::string ascii;
    for (char32_t c : ref) {
        if (c >= 0x80)
            break;
        ascii.push_back(static_cast<char>(c));
    }
    if (ascii.size() == ref.size()) {
        if (const HtmlEntity* e = findEntity(ascii)) {
            appendUtf8Decoded(out, e->value);
            return;
        }
    }
    // The longest known prefix of at least two characters, shorter than the whole.
    for (std::size_t x = std::min(ascii.size(), ref.size() - 1); x >= 2; --x) {
        if (const HtmlEntity* e = findEntity(ascii.substr(0, x))) {
            appendUtf8Decoded(out, e->value);
            out.append(ref.substr(x));
            return;
        }
    }
    out.push_back(U'&');
    out.append(ref);
}

bool isAsciiDigit(char32_t c) { return c >= '0' && c <= '9'; }
bool isAsciiHexDigit(char32_t c)
{
    return isAsciiDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hexValue(char32_t c) { return isAsciiDigit(c) ? int(c - '0') : int((c | 0x20) - 'a' + 10); }

} // namespace

std::u32string decodeUtf8(std::string_view bytes)
{
    std::u32string out;
    out.reserve(bytes.size());
    const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char b0 = s[i];
        if (b0 < 0x80) {
            out.push_back(b0);
            ++i;
            continue;
        }
        // Well-formed sequences (Unicode table 3-7): length, and the range of the 2nd byte.
        int len = 0;
        unsigned char lo2 = 0x80, hi2 = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            len = 2;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            len = 3;
            if (b0 == 0xE0)
                lo2 = 0xA0;
            else if (b0 == 0xED)
                hi2 = 0x9F;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            len = 4;
            if (b0 == 0xF0)
                lo2 = 0x90;
            else if (b0 == 0xF4)
                hi2 = 0x8F;
        }
        if (len == 0) {
            out.push_back(kReplacement);
            ++i;
            continue;
        }
        char32_t cp = b0 & (0xFF >> (len + 1));
        std::size_t j = i + 1;
        bool ok = true;
        for (int k = 1; k < len; ++k, ++j) {
            const unsigned char lo = k == 1 ? lo2 : 0x80, hi = k == 1 ? hi2 : 0xBF;
            if (j >= n || s[j] < lo || s[j] > hi) {
                ok = false;
                break;
            }
            cp = (cp << 6) | (s[j] & 0x3F);
        }
        // A broken sequence is replaced once, up to (not including) the offending byte.
        out.push_back(ok ? cp : kReplacement);
        i = j;
    }
    return out;
}

void appendUtf8(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string encodeUtf8(std::u32string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (char32_t c : text)
        appendUtf8(out, c);
    return out;
}

bool isLetter(char32_t cp) { return flags(cp) & kLetter; }
bool isNumber(char32_t cp) { return flags(cp) & kNumber; }
bool isSpace(char32_t cp) { return flags(cp) & kSpace; }

std::u32string htmlUnescape(std::u32string_view s)
{
    // The reference's pattern: &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)
    if (s.find(U'&') == std::u32string_view::npos)
        return std::u32string(s);
    std::u32string out;
    out.reserve(s.size());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        if (s[i] != U'&') {
            out.push_back(s[i++]);
            continue;
        }
        const std::size_t j = i + 1;
        if (j < n && s[j] == U'#') {
            const bool hex = j + 1 < n && (s[j + 1] == U'x' || s[j + 1] == U'X');
            std::size_t k = hex ? j + 2 : j + 1;
            const std::size_t digitsStart = k;
            // Saturates above U+10FFFF: every such number reads as "out of range" alike.
            char32_t num = 0;
            while (k < n && (hex ? isAsciiHexDigit(s[k]) : isAsciiDigit(s[k]))) {
                const char32_t d = hex ? hexValue(s[k]) : s[k] - U'0';
                num = num > 0x10FFFF ? 0x110000 : num * (hex ? 16 : 10) + d;
                ++k;
            }
            if (k == digitsStart) { // "&#" not followed by a number: '#' cannot start a name
                out.push_back(U'&');
                ++i;
                continue;
            }
            if (num > 0x10FFFF)
                num = 0x110000;
            if (k < n && s[k] == U';')
                ++k;
            appendNumericCharref(out, num);
            i = k;
            continue;
        }
        std::size_t k = j;
        while (k < n && k - j < 32) {
            const char32_t c = s[k];
            if (c == U'\t' || c == U'\n' || c == U'\f' || c == U' ' || c == U'<' || c == U'&'
                || c == U'#' || c == U';')
                break;
            ++k;
        }
        if (k == j) {
            out.push_back(U'&');
            ++i;
            continue;
        }
        if (k < n && s[k] == U';')
            ++k;
        appendNamedCharref(out, s.substr(j, k - j));
        i = k;
    }
    return out;
}

std::u32string collapseWhitespace(std::u32string_view s)
{
    std::u32string out;
    out.reserve(s.size());
    bool pendingSpace = false;
    for (char32_t c : s) {
        if (isSpace(c)) {
            pendingSpace = !out.empty();
            continue;
        }
        if (pendingSpace)
            out.push_back(U' ');
        pendingSpace = false;
        out.push_back(c);
    }
    return out;
}

std::u32string toLower(std::u32string_view s)
{
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == 0x3A3)
            out.push_back(isFinalSigma(s, i) ? 0x3C2 : 0x3C3);
        else
            lowerInto(out, s[i]);
    }
    return out;
}

const char* tablesUnicodeVersion() { return kUnicodeVersion; }

} // namespace vop::unicode
