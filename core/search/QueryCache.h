#pragma once
// Recent text embeddings, least recently used out first (issue 12). Search-as-you-type asks for
// the same texts again and again (a prefix typed, deleted, retyped; the same query re-run with
// other filters), and each costs a pass over the text tower. Keys are the exact text under a
// model key that names everything the embedding depends on (checkpoint and prompt set digests,
// device, text precision), so an entry never answers for another model. Thread-safe.
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace vop::search {

class QueryEmbeddingCache {
public:
    explicit QueryEmbeddingCache(size_t capacity = 256);

    std::optional<std::vector<float>> find(const std::string& modelKey, const std::string& text);
    void put(const std::string& modelKey, const std::string& text, std::vector<float> embedding);
    size_t size() const;
    size_t hits() const;   // finds that were answered, since construction
    size_t misses() const;

private:
    using Entry = std::pair<std::string, std::vector<float>>;
    static std::string key(const std::string& modelKey, const std::string& text);

    size_t m_capacity;
    mutable std::mutex m_mu;
    std::list<Entry> m_order; // most recent first
    std::unordered_map<std::string, std::list<Entry>::iterator> m_byKey;
    size_t m_hits = 0, m_misses = 0;
};

} // namespace vop::search
