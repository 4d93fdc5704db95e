#pragma once
// The pieces of Python's text handling that CLIP's tokenizer cleans its input with, done the
// way CPython 3.11 does them: UTF-8 with errors="replace", html.unescape, str.isspace,
// str.lower (with the final-sigma rule) and the general categories behind \p{L} and \p{N}.
// The tables come from tools/gen_unicode_tables.py (Unicode data of the Python that ran it).
// The reference's `regex` module carries its own, often newer, Unicode tables for \p{L} and
// \p{N}: characters assigned after the version in tablesUnicodeVersion() may split differently.
#include <string>
#include <string_view>

namespace vop::unicode {

// Code points of UTF-8 text; each maximal invalid subsequence becomes U+FFFD, as
// bytes.decode("utf-8", errors="replace") does.
std::u32string decodeUtf8(std::string_view bytes);
std::string encodeUtf8(std::u32string_view text);
void appendUtf8(std::string& out, char32_t cp);

bool isLetter(char32_t cp); // general category L*
bool isNumber(char32_t cp); // general category N*
bool isSpace(char32_t cp);  // Python's str.isspace(), also what re's \s matches

// html.unescape: named references (with and without ';' as HTML5 lists them, the longest
// known prefix for a name without ';'), decimal and hex references with HTML5's rules for
// invalid code points.
std::u32string htmlUnescape(std::u32string_view text);

// re.sub(r"\s+", " ", text).strip()
std::u32string collapseWhitespace(std::u32string_view text);

// str.lower(): full lower-case mapping (U+0130 becomes two code points) and Σ → ς at the
// end of a word.
std::u32string toLower(std::u32string_view text);

// The Unicode version the tables were generated from.
const char* tablesUnicodeVersion();

} // namespace vop::unicode
