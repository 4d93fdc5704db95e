#include "search/ThumbnailCache.h"

#include <QByteArray>
#include <QPointer>

#include <algorithm>
#include <exception>

namespace vop::ui {

ThumbnailCache::ThumbnailCache(Fetch fetch, QObject* parent, qint64 budgetBytes, int threads)
    : QObject(parent), m_fetch(std::move(fetch)), m_cache(qsizetype(std::max<qint64>(budgetBytes / 1024, 1)))
{
    m_pool.setMaxThreadCount(threads);
    m_pool.setObjectName(QStringLiteral("thumbnails"));
}

ThumbnailCache::~ThumbnailCache()
{
    m_pool.clear();
    m_pool.waitForDone();
}

QImage ThumbnailCache::image(qint64 segmentId)
{
    if (const QImage* img = m_cache.object(segmentId))
        return *img;
    if (m_loading.contains(segmentId) || m_missing.contains(segmentId) || !m_fetch)
        return {};
    m_loading.insert(segmentId);
    const quint64 generation = m_generation;
    const QSize box = m_maxSize;
    Fetch fetch = m_fetch;
    m_pool.start([this, fetch, segmentId, generation, box] {
        QImage img;
        try {
            const std::string bytes = fetch(int64_t(segmentId));
            if (!bytes.empty())
                img.loadFromData(QByteArray::fromRawData(bytes.data(), int(bytes.size())));
            if (!img.isNull() && (img.width() > box.width() || img.height() > box.height()))
                img = img.scaled(box, Qt::KeepAspectRatio, Qt::SmoothTransformation);
            img = img.convertToFormat(QImage::Format_RGB32); // a detached copy, painted fast
        } catch (const std::exception&) {
            img = QImage(); // a catalog that went away: no thumbnail, never a crash
        }
        // Queued to the cache's thread; dropped when the cache is gone by then.
        QMetaObject::invokeMethod(this, [this, segmentId, generation, img] { store(segmentId, generation, img); },
                                  Qt::QueuedConnection);
    });
    return {};
}

void ThumbnailCache::store(qint64 segmentId, quint64 generation, const QImage& image)
{
    if (generation != m_generation)
        return; // cleared meanwhile
    m_loading.remove(segmentId);
    if (image.isNull()) {
        m_missing.insert(segmentId);
        Q_EMIT missing(segmentId);
        return;
    }
    m_cache.insert(segmentId, new QImage(image), qsizetype(std::max<qint64>((image.sizeInBytes() + 1023) / 1024, 1)));
    Q_EMIT ready(segmentId);
}

void ThumbnailCache::setMaximumSize(QSize size)
{
    if (size == m_maxSize)
        return;
    m_maxSize = size;
    clear();
}

void ThumbnailCache::clear()
{
    ++m_generation;
    m_pool.clear();
    m_cache.clear();
    m_loading.clear();
    m_missing.clear();
}

} // namespace vop::ui
