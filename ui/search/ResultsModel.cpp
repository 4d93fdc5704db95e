#include "search/ResultsModel.h"

#include "search/ThumbnailCache.h"

#include <QFileInfo>
#include <QIcon>
#include <QImage>
#include <QPixmap>
#include <QLocale>
#include <QMimeData>
#include <QUrl>

#include <algorithm>
#include <cmath>

namespace vop::ui {

ResultsModel::ResultsModel(QObject* parent) : QAbstractTableModel(parent) {}

void ResultsModel::setThumbnailCache(ThumbnailCache* cache)
{
    if (m_cacheConnection)
        disconnect(m_cacheConnection);
    m_cache = cache;
    if (cache)
        m_cacheConnection = connect(cache, &ThumbnailCache::ready, this, &ResultsModel::onThumbnailReady);
}

void ResultsModel::setResults(std::vector<search::Moment> moments, std::vector<QDateTime> modified)
{
    beginResetModel();
    m_moments = std::move(moments);
    m_modified = std::move(modified);
    m_modified.resize(m_moments.size());
    m_bestScore = m_worstScore = 0;
    if (!m_moments.empty()) {
        auto [lo, hi] = std::minmax_element(m_moments.begin(), m_moments.end(),
                                            [](const auto& a, const auto& b) { return a.score < b.score; });
        m_worstScore = lo->score;
        m_bestScore = hi->score;
    }
    endResetModel();
}

void ResultsModel::clear()
{
    setResults({});
}

int ResultsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_moments.size());
}

int ResultsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ResultsModel::formatTime(double seconds)
{
    if (!(seconds >= 0))
        seconds = 0;
    const long long tenths = std::llround(seconds * 10);
    const long long s = tenths / 10;
    if (s >= 3600)
        return QStringLiteral("%1:%2:%3.%4")
            .arg(s / 3600)
            .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
            .arg(s % 60, 2, 10, QLatin1Char('0'))
            .arg(tenths % 10);
    return QStringLiteral("%1:%2.%3").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0')).arg(tenths % 10);
}

QString ResultsModel::formatDuration(double seconds)
{
    if (!(seconds > 0))
        return QStringLiteral("–");
    const long long s = std::llround(seconds);
    if (s >= 3600)
        return QStringLiteral("%1:%2:%3")
            .arg(s / 3600)
            .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
            .arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

QString ResultsModel::count(qint64 n, const QString& one, const QString& many)
{
    return QStringLiteral("%1 %2").arg(QLocale().toString(n), n == 1 ? one : many);
}

QImage ResultsModel::thumbnail(int row) const
{
    const auto& m = m_moments[size_t(row)];
    if (!m_cache || m.segmentId <= 0)
        return {};
    return m_cache->image(m.segmentId); // schedules a load the first time
}

QVariant ResultsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int row = index.row();
    const auto& m = m_moments[size_t(row)];
    const QString path = QString::fromStdString(m.path);
    switch (role) {
    case PathRole: return path;
    case FileNameRole: return QFileInfo(path).fileName();
    case FolderRole: return QFileInfo(path).absolutePath();
    case StartRole: return m.start;
    case EndRole: return m.end;
    case MomentDurationRole: return m.end - m.start;
    case ScoreRole: return double(m.score);
    case ScoreFractionRole: {
        // Relative to this search: the best fills the bar, the weakest still shows a sliver.
        const float span = m_bestScore - m_worstScore;
        return span > 1e-6f ? 0.15 + 0.85 * double((m.score - m_worstScore) / span) : 1.0;
    }
    case RankRole: return row + 1;
    case SegmentIdRole: return qint64(m.segmentId);
    case FileIdRole: return qint64(m.fileId);
    case FileDateRole: return m_modified[size_t(row)];
    case DurationRole: return m.fileDuration;
    case ThumbnailRole: return thumbnail(row);
    case OfflineRole: return m.status == store::FileStatus::Offline;
    case RangeTextRole: return formatTime(m.start) + QChar(0x2013) + formatTime(m.end);
    default: break;
    }
    const int col = index.column();
    if (role == Qt::DisplayRole) {
        switch (col) {
        case NameColumn: return QFileInfo(path).fileName();
        case RangeColumn: return data(index, RangeTextRole);
        case ScoreColumn: return QString::number(m.score, 'f', 3);
        case DateColumn: {
            const QDateTime& d = m_modified[size_t(row)];
            return d.isValid() ? QLocale().toString(d.date(), QLocale::ShortFormat) + d.toString(QStringLiteral(" hh:mm")) : QString();
        }
        case DurationColumn: return formatDuration(m.fileDuration);
        case FolderColumn: return QFileInfo(path).absolutePath();
        }
    } else if (role == Qt::DecorationRole && col == NameColumn) {
        // An icon, so that a list view draws it at its icon size (an image keeps its own).
        const QImage img = thumbnail(row);
        if (!img.isNull())
            return QIcon(QPixmap::fromImage(img));
    } else if (role == Qt::ToolTipRole) {
        QString tip = path + QStringLiteral("\n") + data(index, RangeTextRole).toString() +
                      tr("  ·  score %1").arg(m.score, 0, 'f', 3);
        if (m.status == store::FileStatus::Offline)
            tip += tr("\nThe drive holding this file is not mounted.");
        return tip;
    } else if (role == Qt::TextAlignmentRole && (col == ScoreColumn || col == DurationColumn || col == RangeColumn)) {
        return int(Qt::AlignRight | Qt::AlignVCenter);
    } else if (role == Qt::AccessibleTextRole) {
        return tr("%1, %2 to %3, score %4")
            .arg(QFileInfo(path).fileName(), formatTime(m.start), formatTime(m.end))
            .arg(m.score, 0, 'f', 2);
    }
    return {};
}

QVariant ResultsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn: return tr("File");
    case RangeColumn: return tr("Moment");
    case ScoreColumn: return tr("Score");
    case DateColumn: return tr("Modified");
    case DurationColumn: return tr("Length");
    case FolderColumn: return tr("Folder");
    }
    return {};
}

Qt::ItemFlags ResultsModel::flags(const QModelIndex& index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled | Qt::ItemNeverHasChildren;
}

QHash<int, QByteArray> ResultsModel::roleNames() const
{
    auto names = QAbstractTableModel::roleNames();
    names.insert(PathRole, "path");
    names.insert(StartRole, "start");
    names.insert(EndRole, "end");
    names.insert(ScoreRole, "score");
    names.insert(SegmentIdRole, "segmentId");
    names.insert(FileDateRole, "fileDate");
    names.insert(DurationRole, "duration");
    names.insert(ThumbnailRole, "thumbnail");
    return names;
}

QStringList ResultsModel::mimeTypes() const
{
    return {QStringLiteral("text/uri-list"), QStringLiteral("text/plain")};
}

QMimeData* ResultsModel::mimeData(const QModelIndexList& indexes) const
{
    QList<QUrl> urls;
    QStringList paths;
    for (const QModelIndex& i : indexes) {
        if (!i.isValid() || i.model() != this)
            continue;
        const QString p = QString::fromStdString(m_moments[size_t(i.row())].path);
        if (paths.contains(p))
            continue; // one row gives one index per column in the table view
        paths << p;
        urls << QUrl::fromLocalFile(p);
    }
    if (urls.isEmpty())
        return nullptr;
    auto* mime = new QMimeData;
    mime->setUrls(urls);
    mime->setText(paths.join(QLatin1Char('\n')));
    return mime;
}

void ResultsModel::onThumbnailReady(qint64 segmentId)
{
    for (size_t r = 0; r < m_moments.size(); ++r)
        if (m_moments[r].segmentId == segmentId) {
            const QModelIndex i = index(int(r), NameColumn);
            Q_EMIT dataChanged(i, i, {Qt::DecorationRole, ThumbnailRole});
        }
}

} // namespace vop::ui
