#pragma once
// The text a person types: words, "quoted phrases", and negative terms with a leading '-'
// (`dog -cat`, `beach -"people walking"`).
#include <string>
#include <vector>

namespace vop::search {

struct ParsedQuery {
    std::string positive;               // the positive words and phrases, space separated
    std::vector<std::string> negatives; // one entry per negative word or phrase
    bool empty() const { return positive.empty() && negatives.empty(); }
};

// Splits on white space, keeps quoted phrases together, strips the quotes. A '-' inside a word
// ("t-shirt") or alone is kept as text; only a leading '-' makes a term negative.
ParsedQuery parseQuery(const std::string& text);

} // namespace vop::search
