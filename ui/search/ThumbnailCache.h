#pragma once
// Thumbnails of segments, decoded off the UI thread and kept in a least-recently-used cache
// keyed by segment id (as digiKam's thumbnail threads do). image() answers at once: the cached
// image, or a null one while a small thread pool fetches the JPEG (the library service's
// thumbnail(segmentId)), decodes and scales it; ready(segmentId) then fires on the cache's
// thread so a model can update the one row. A segment without a thumbnail is remembered as such
// and not fetched again.
//
// Threads: use the cache from the thread that owns it (the UI thread); the fetch function runs
// on the pool's threads. The destructor drops queued loads and waits for the running ones.
#include <QCache>
#include <QImage>
#include <QObject>
#include <QSet>
#include <QSize>
#include <QThreadPool>

#include <cstdint>
#include <functional>
#include <string>

namespace vop::ui {

class ThumbnailCache : public QObject {
    Q_OBJECT
public:
    using Fetch = std::function<std::string(int64_t segmentId)>; // JPEG (or PNG) bytes, "" = none

    // `budgetBytes`: decoded images kept (a 200 x 112 thumbnail is ~90 KB, so 64 MiB hold ~700).
    explicit ThumbnailCache(Fetch fetch, QObject* parent = nullptr, qint64 budgetBytes = qint64(64) << 20,
                            int threads = 2);
    ~ThumbnailCache() override;

    // The image when cached (touching it in the LRU order); otherwise a null image, and a load
    // is scheduled unless one is under way or the segment has no thumbnail.
    QImage image(qint64 segmentId);
    bool contains(qint64 segmentId) const { return m_cache.contains(segmentId); }
    bool hasNoThumbnail(qint64 segmentId) const { return m_missing.contains(segmentId); }
    int pendingLoads() const { return int(m_loading.size()); }
    qint64 budgetBytes() const { return qint64(m_cache.maxCost()) * 1024; }
    int size() const { return int(m_cache.size()); } // images held

    // Images are scaled down to fit this box (never up); changing it empties the cache.
    void setMaximumSize(QSize size);
    QSize maximumSize() const { return m_maxSize; }
    void clear();

Q_SIGNALS:
    void ready(qint64 segmentId);   // the image is in the cache now
    void missing(qint64 segmentId); // the segment has no thumbnail (or it could not be read)

private:
    void store(qint64 segmentId, quint64 generation, const QImage& image);

    Fetch m_fetch;
    QThreadPool m_pool;
    QCache<qint64, QImage> m_cache; // cost: KiB
    QSet<qint64> m_loading;
    QSet<qint64> m_missing;
    QSize m_maxSize{320, 320};
    quint64 m_generation = 0;
};

} // namespace vop::ui
