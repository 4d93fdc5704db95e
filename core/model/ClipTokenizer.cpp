#include "model/ClipTokenizer.h"

#include "model/UnicodeText.h"
#include "util/Error.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace vop {
namespace {

constexpr int kMergeCount = 49152 - 256 - 2; // lines 1..48894 of the vocabulary file
constexpr std::size_t kCacheLimit = 1 << 16;  // words; the cache is dropped when it fills
constexpr std::string_view kSotText = "<|startoftext|>";
constexpr std::string_view kEotText = "<|endoftext|>";

// openai/CLIP's bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the others
// are moved to U+0100.. in byte order. `order` is the dict's insertion order, which is the
// order of the first 256 vocabulary entries.
struct ByteUnicode {
    std::array<char32_t, 256> cp{};
    std::array<int, 256> order{};
    ByteUnicode()
    {
        int n = 0, extra = 0;
        auto printable = [](int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); };
        for (int b = 0; b < 256; ++b)
            if (printable(b))
                order[n++] = b;
        for (int b = 0; b < 256; ++b)
            if (!printable(b))
                order[n++] = b;
        for (int b = 0; b < 256; ++b)
            cp[b] = printable(b) ? char32_t(b) : char32_t(256 + extra++);
    }
};

const ByteUnicode& byteUnicode()
{
    static const ByteUnicode table;
    return table;
}

std::string readGzipFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError("cannot open the BPE vocabulary '" + path + "': " + std::strerror(errno)
                         + " (it is bpe_simple_vocab_16e6.txt.gz from openai/CLIP)");
    std::string packed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (packed.size() < 2 || static_cast<unsigned char>(packed[0]) != 0x1F
        || static_cast<unsigned char>(packed[1]) != 0x8B)
        throw InputError("the BPE vocabulary '" + path + "' is not a gzip file (expected "
                         "bpe_simple_vocab_16e6.txt.gz from openai/CLIP)");

    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        throw InputError("cannot start zlib to read '" + path + "'");
    zs.next_in = reinterpret_cast<Bytef*>(packed.data());
    zs.avail_in = static_cast<uInt>(std::min<std::size_t>(packed.size(), UINT_MAX));
    std::string text;
    std::array<char, 1 << 16> chunk;
    int rc = Z_OK;
    while (rc == Z_OK) {
        zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
        zs.avail_out = static_cast<uInt>(chunk.size());
        rc = inflate(&zs, Z_NO_FLUSH);
        text.append(chunk.data(), chunk.size() - zs.avail_out);
    }
    const std::string why = zs.msg ? zs.msg : "";
    inflateEnd(&zs);
    if (rc == Z_BUF_ERROR)
        throw InputError("the BPE vocabulary '" + path + "' is truncated (download it again)");
    if (rc != Z_STREAM_END)
        throw InputError("the BPE vocabulary '" + path + "' is a damaged gzip file"
                         + (why.empty() ? std::string() : ": " + why));
    return text;
}

// Python's str.split() for the ASCII whitespace that can occur in a merge line.
std::vector<std::string_view> splitFields(std::string_view line)
{
    std::vector<std::string_view> out;
    std::size_t i = 0;
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
    while (i < line.size()) {
        while (i < line.size() && space(line[i]))
            ++i;
        std::size_t j = i;
        while (j < line.size() && !space(line[j]))
            ++j;
        if (j > i)
            out.push_back(line.substr(i, j - i));
        i = j;
    }
    return out;
}

std::uint64_t pairKey(int a, int b) { return (std::uint64_t(std::uint32_t(a)) << 32) | std::uint32_t(b); }

// The reference pattern with IGNORECASE compares its literal letters by simple case folding;
// after lower() the only other character that folds onto one of them is U+017F (ſ → s).
bool literalAt(std::u32string_view text, std::size_t i, std::string_view lit)
{
    if (text.size() - i < lit.size())
        return false;
    for (std::size_t k = 0; k < lit.size(); ++k) {
        const char32_t c = text[i + k];
        const char l = lit[k];
        const bool same = c == char32_t(l) || (l >= 'a' && l <= 'z' && c == char32_t(l - 32))
                          || (l == 's' && c == 0x17F);
        if (!same)
            return false;
    }
    return true;
}

// Length of the contraction ('s 't 're 've 'm 'll 'd) at text[i], or 0.
std::size_t contractionAt(std::u32string_view text, std::size_t i)
{
    if (text[i] != U'\'')
        return 0;
    for (std::string_view c : {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"})
        if (literalAt(text, i, c))
            return c.size();
    return 0;
}

} // namespace

struct ClipTokenizer::Impl {
    std::vector<std::string> vocab;                              // id -> byte-level string
    std::unordered_map<std::uint64_t, std::pair<int, int>> merges; // (left, right) -> (rank, merged)
    std::array<int, 256> byteId{};                               // symbol of a byte inside a word
    std::array<int, 256> lastByteId{};                           // ... of the last byte, with </w>
    std::unordered_map<char32_t, unsigned char> byteOfChar;      // byte_decoder
    mutable std::mutex cacheMutex;
    mutable std::unordered_map<std::string, std::vector<int>> cache;

    void bpe(std::string_view word, std::vector<int>& out) const;
};

ClipTokenizer::ClipTokenizer(const std::string& bpeVocabGzPath) : d(std::make_unique<Impl>())
{
    const std::string text = readGzipFile(bpeVocabGzPath);
    std::vector<std::string_view> lines;
    lines.reserve(kMergeCount + 2);
    for (std::size_t start = 0; start <= text.size() && lines.size() <= std::size_t(kMergeCount);) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        lines.push_back(std::string_view(text).substr(start, end - start));
        start = end + 1;
    }
    if (lines.size() < std::size_t(kMergeCount) + 1)
        throw InputError("the BPE vocabulary '" + bpeVocabGzPath + "' is too short: "
                         + std::to_string(lines.size() > 0 ? lines.size() - 1 : 0) + " merge lines, expected "
                         + std::to_string(kMergeCount) + " (is it bpe_simple_vocab_16e6.txt.gz?)");

    const ByteUnicode& bu = byteUnicode();
    auto& vocab = d->vocab;
    vocab.reserve(512 + kMergeCount + 2);
    for (int b : bu.order)
        vocab.push_back(unicode::encodeUtf8(std::u32string(1, bu.cp[b])));
    for (int i = 0; i < 256; ++i)
        vocab.push_back(vocab[i] + "</w>");
    std::vector<std::pair<std::string_view, std::string_view>> mergeParts;
    mergeParts.reserve(kMergeCount);
    for (int i = 1; i <= kMergeCount; ++i) {
        const auto fields = splitFields(lines[i]);
        if (fields.size() != 2)
            throw InputError("line " + std::to_string(i + 1) + " of the BPE vocabulary '" + bpeVocabGzPath
                             + "' is not a merge of two symbols: '" + std::string(lines[i]) + "'");
        mergeParts.emplace_back(fields[0], fields[1]);
        vocab.push_back(std::string(fields[0]) + std::string(fields[1]));
    }
    vocab.emplace_back(kSotText);
    vocab.emplace_back(kEotText);

    // As a Python dict built in vocabulary order: a later duplicate wins.
    std::unordered_map<std::string_view, int> encoder;
    encoder.reserve(vocab.size());
    for (int id = 0; id < int(vocab.size()); ++id)
        encoder[vocab[id]] = id;
    for (int b = 0; b < 256; ++b) {
        const std::string ch = unicode::encodeUtf8(std::u32string(1, bu.cp[b]));
        d->byteId[b] = encoder.at(ch);
        d->lastByteId[b] = encoder.at(ch + "</w>");
        d->byteOfChar[bu.cp[b]] = static_cast<unsigned char>(b);
    }
    // A merge whose parts are not tokens can never apply; skip it like the reference would.
    d->merges.reserve(kMergeCount);
    for (int rank = 0; rank < kMergeCount; ++rank) {
        const auto& [a, b] = mergeParts[rank];
        auto ia = encoder.find(a), ib = encoder.find(b);
        if (ia == encoder.end() || ib == encoder.end())
            continue;
        d->merges[pairKey(ia->second, ib->second)] = {rank, encoder.at(vocab[512 + rank])};
    }
}

ClipTokenizer::~ClipTokenizer() = default;
ClipTokenizer::ClipTokenizer(ClipTokenizer&&) noexcept = default;
ClipTokenizer& ClipTokenizer::operator=(ClipTokenizer&&) noexcept = default;

// simple_tokenizer.bpe on symbol ids: repeatedly take the adjacent pair of lowest merge rank
// and merge all its occurrences left to right, until no pair has a rank.
void ClipTokenizer::Impl::bpe(std::string_view word, std::vector<int>& out) const
{
    if (word == kSotText || word == kEotText) { // the reference's pre-seeded cache entries
        out.push_back(word == kSotText ? kSot : kEot);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(cacheMutex);
        if (auto it = cache.find(std::string(word)); it != cache.end()) {
            out.insert(out.end(), it->second.begin(), it->second.end());
            return;
        }
    }
    constexpr int kNone = std::numeric_limits<int>::max();
    std::vector<int> sym(word.size());
    for (std::size_t i = 0; i < word.size(); ++i) {
        const auto b = static_cast<unsigned char>(word[i]);
        sym[i] = i + 1 < word.size() ? byteId[b] : lastByteId[b];
    }
    auto rankOf = [this](int a, int b) {
        auto it = merges.find(pairKey(a, b));
        return it == merges.end() ? kNone : it->second.first;
    };
    // rank[i]: rank of the pair (sym[i], sym[i+1]); recomputed only next to merged symbols.
    std::vector<int> rank(sym.size(), kNone);
    for (std::size_t i = 0; i + 1 < sym.size(); ++i)
        rank[i] = rankOf(sym[i], sym[i + 1]);
    std::vector<int> nextSym, nextRank;
    std::vector<char> touched;
    while (sym.size() > 1) {
        const auto best = std::min_element(rank.begin(), rank.end() - 1);
        if (*best == kNone)
            break;
        const std::size_t at = std::size_t(best - rank.begin());
        const int first = sym[at], second = sym[at + 1];
        const int merged = merges.at(pairKey(first, second)).second;
        nextSym.clear();
        touched.clear();
        for (std::size_t i = 0; i < sym.size();) {
            if (i + 1 < sym.size() && sym[i] == first && sym[i + 1] == second) {
                nextSym.push_back(merged);
                touched.push_back(1);
                i += 2;
            } else {
                nextSym.push_back(sym[i]);
                touched.push_back(0);
                ++i;
            }
        }
        nextRank.assign(nextSym.size(), kNone);
        for (std::size_t i = 0, old = 0; i + 1 < nextSym.size(); ++i) {
            // `old` tracks the position of nextSym[i] in sym, to reuse unchanged ranks.
            if (touched[i] || touched[i + 1])
                nextRank[i] = rankOf(nextSym[i], nextSym[i + 1]);
            else
                nextRank[i] = rank[old];
            old += touched[i] ? 2 : 1;
        }
        sym.swap(nextSym);
        rank.swap(nextRank);
    }
    out.insert(out.end(), sym.begin(), sym.end());
    std::lock_guard<std::mutex> lock(cacheMutex);
    if (cache.size() >= kCacheLimit)
        cache.clear();
    cache.emplace(std::string(word), std::move(sym));
}

std::string ClipTokenizer::cleanText(const std::string& text)
{
    // The reference runs ftfy.fix_text first. ftfy is a large heuristic Python library
    // (mojibake repair, NFC, curly quotes to straight ones, ligatures, ...) that we do not
    // replicate: text that ftfy would change can tokenize differently from the reference.
    std::u32string t = unicode::decodeUtf8(text);
    t = unicode::htmlUnescape(unicode::htmlUnescape(t));
    t = unicode::collapseWhitespace(t); // also the basic_clean strip()
    return unicode::encodeUtf8(unicode::toLower(t));
}

std::vector<std::string> ClipTokenizer::splitWords(const std::string& cleaned)
{
    // <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
    const std::u32string t = unicode::decodeUtf8(cleaned);
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < t.size()) {
        std::size_t len = 0;
        if (literalAt(t, i, kSotText))
            len = kSotText.size();
        else if (literalAt(t, i, kEotText))
            len = kEotText.size();
        else if ((len = contractionAt(t, i)) != 0) {
        } else if (unicode::isLetter(t[i])) {
            len = 1;
            while (i + len < t.size() && unicode::isLetter(t[i + len]))
                ++len;
        } else if (unicode::isNumber(t[i])) {
            len = 1;
        } else if (!unicode::isSpace(t[i])) {
            len = 1;
            while (i + len < t.size() && !unicode::isSpace(t[i + len]) && !unicode::isLetter(t[i + len])
                   && !unicode::isNumber(t[i + len]))
                ++len;
        }
        if (len == 0) {
            ++i;
            continue;
        }
        words.push_back(unicode::encodeUtf8(std::u32string_view(t).substr(i, len)));
        i += len;
    }
    return words;
}

std::vector<int> ClipTokenizer::encode(const std::string& text) const
{
    std::vector<int> ids;
    for (const std::string& word : splitWords(cleanText(text)))
        d->bpe(word, ids);
    return ids;
}

std::vector<int> ClipTokenizer::tokenize(const std::string& text, int contextLength, bool truncate) const
{
    if (contextLength < 1)
        throw InputError("the context length must be at least 1, not " + std::to_string(contextLength));
    std::vector<int> ids;
    ids.reserve(std::size_t(contextLength));
    ids.push_back(kSot);
    const std::vector<int> body = encode(text);
    ids.insert(ids.end(), body.begin(), body.end());
    ids.push_back(kEot);
    if (ids.size() > std::size_t(contextLength)) {
        if (!truncate)
            throw InputError("the text is too long: it has " + std::to_string(ids.size())
                             + " tokens with <|startoftext|> and <|endoftext|>, and at most "
                             + std::to_string(contextLength) + " fit; shorten it by "
                             + std::to_string(ids.size() - std::size_t(contextLength))
                             + " tokens or allow truncation");
        ids.resize(std::size_t(contextLength));
        ids.back() = kEot;
    }
    ids.resize(std::size_t(contextLength), 0);
    return ids;
}

std::string ClipTokenizer::decode(const std::vector<int>& ids) const
{
    // Zeros after the last EOT are padding; SOT and EOT themselves are dropped.
    std::size_t end = ids.size();
    if (auto lastEot = std::find(ids.rbegin(), ids.rend(), kEot); lastEot != ids.rend()) {
        const std::size_t eotAt = std::size_t(ids.rend() - lastEot) - 1;
        if (std::all_of(ids.begin() + std::ptrdiff_t(eotAt) + 1, ids.end(), [](int id) { return id == 0; }))
            end = eotAt;
    }
    std::string bytes;
    for (std::size_t k = 0; k < end; ++k) {
        const int id = ids[k];
        if (id == kSot || id == kEot)
            continue;
        if (id < 0 || id >= vocabSize())
            throw InputError("token id " + std::to_string(id) + " is outside CLIP's vocabulary (0.."
                             + std::to_string(vocabSize() - 1) + ")");
        for (char32_t c : unicode::decodeUtf8(d->vocab[std::size_t(id)]))
            bytes.push_back(static_cast<char>(d->byteOfChar.at(c)));
    }
    // As the reference: bytes to text with errors="replace", then "</w>" to a space.
    std::string text = unicode::encodeUtf8(unicode::decodeUtf8(bytes));
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        if (text.compare(i, 4, "</w>") == 0) {
            out.push_back(' ');
            i += 4;
        } else {
            out.push_back(text[i++]);
        }
    }
    return out;
}

int ClipTokenizer::vocabSize() const { return int(d->vocab.size()); }

} // namespace vop
