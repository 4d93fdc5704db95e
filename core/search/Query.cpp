#include "search/Query.h"

#include <cctype>

namespace vop::search {

namespace {

bool isSpace(char c)
{
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

void append(std::string& to, const std::string& term)
{
    if (term.empty())
        return;
    if (!to.empty())
        to += ' ';
    to += term;
}

} // namespace

ParsedQuery parseQuery(const std::string& text)
{
    ParsedQuery q;
    size_t i = 0;
    const size_t n = text.size();
    while (i < n) {
        while (i < n && isSpace(text[i]))
            ++i;
        if (i >= n)
            break;
        bool negative = false;
        if (text[i] == '-' && i + 1 < n && !isSpace(text[i + 1])) {
            negative = true;
            ++i;
        }
        std::string term;
        if (text[i] == '"') {
            const size_t close = text.find('"', i + 1);
            const size_t end = close == std::string::npos ? n : close;
            term = text.substr(i + 1, end - i - 1);
            i = close == std::string::npos ? n : close + 1;
        } else {
            const size_t start = i;
            while (i < n && !isSpace(text[i]))
                ++i;
            term = text.substr(start, i - start);
        }
        // Trim what a phrase may carry inside its quotes.
        size_t b = 0, e = term.size();
        while (b < e && isSpace(term[b]))
            ++b;
        while (e > b && isSpace(term[e - 1]))
            --e;
        term = term.substr(b, e - b);
        if (term.empty() || term == "-")
            continue;
        if (negative)
            q.negatives.push_back(term);
        else
            append(q.positive, term);
    }
    return q;
}

} // namespace vop::search
