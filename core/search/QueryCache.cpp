#include "search/QueryCache.h"

namespace vop::search {

QueryEmbeddingCache::QueryEmbeddingCache(size_t capacity) : m_capacity(capacity > 0 ? capacity : 1) {}

std::string QueryEmbeddingCache::key(const std::string& modelKey, const std::string& text)
{
    return modelKey + '\0' + text; // a model key holds no NUL
}

std::optional<std::vector<float>> QueryEmbeddingCache::find(const std::string& modelKey, const std::string& text)
{
    std::lock_guard<std::mutex> lock(m_mu);
    auto it = m_byKey.find(key(modelKey, text));
    if (it == m_byKey.end()) {
        ++m_misses;
        return std::nullopt;
    }
    ++m_hits;
    m_order.splice(m_order.begin(), m_order, it->second);
    return it->second->second;
}

void QueryEmbeddingCache::put(const std::string& modelKey, const std::string& text, std::vector<float> embedding)
{
    std::lock_guard<std::mutex> lock(m_mu);
    const std::string k = key(modelKey, text);
    auto it = m_byKey.find(k);
    if (it != m_byKey.end()) {
        it->second->second = std::move(embedding);
        m_order.splice(m_order.begin(), m_order, it->second);
        return;
    }
    m_order.emplace_front(k, std::move(embedding));
    m_byKey[k] = m_order.begin();
    if (m_order.size() > m_capacity) {
        m_byKey.erase(m_order.back().first);
        m_order.pop_back();
    }
}

size_t QueryEmbeddingCache::size() const
{
    std::lock_guard<std::mutex> lock(m_mu);
    return m_order.size();
}

size_t QueryEmbeddingCache::hits() const
{
    std::lock_guard<std::mutex> lock(m_mu);
    return m_hits;
}

size_t QueryEmbeddingCache::misses() const
{
    std::lock_guard<std::mutex> lock(m_mu);
    return m_misses;
}

} // namespace vop::search
