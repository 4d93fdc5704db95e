#pragma once
// CLIP's byte-level BPE tokenizer, exact: the same ids as openai/CLIP's SimpleTokenizer.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vop {

class ClipTokenizer {
public:
    static constexpr int kSot = 49406; // <|startoftext|>
    static constexpr int kEot = 49407; // <|endoftext|>
    static constexpr int kContextLength = 77;

    // Reads bpe_simple_vocab_16e6.txt.gz (gzip; first line a header, merges on lines 1..48894).
    // Throws InputError naming the file when it is missing, not gzip, or too short.
    explicit ClipTokenizer(const std::string& bpeVocabGzPath);
    ~ClipTokenizer();
    ClipTokenizer(ClipTokenizer&&) noexcept;
    ClipTokenizer& operator=(ClipTokenizer&&) noexcept;

    // BPE ids of the text after cleaning (html-unescape, whitespace collapse, lower-case),
    // without SOT/EOT.
    std::vector<int> encode(const std::string& text) const;

    // [SOT, ids..., EOT] padded with zeros to `contextLength`. When the text needs more than
    // contextLength tokens: with `truncate` the ids are cut and EOT kept as the last token;
    // without it an InputError says how many tokens the text has and how many fit.
    std::vector<int> tokenize(const std::string& text, int contextLength = kContextLength,
                              bool truncate = false) const;

    // Text of ids (special tokens and padding dropped), for diagnostics.
    std::string decode(const std::vector<int>& ids) const;

    int vocabSize() const; // 49408

    // The steps before BPE, exposed for tests and diagnostics. cleanText: html-unescape
    // (twice), whitespace collapse and lower-case of UTF-8 text (invalid UTF-8 reads as
    // U+FFFD). splitWords: the pieces of cleaned text that BPE encodes one by one.
    static std::string cleanText(const std::string& text);
    static std::vector<std::string> splitWords(const std::string& cleaned);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace vop
