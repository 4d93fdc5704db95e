#pragma once
// The moments of one search as a table: one row per moment (rank order), columns for the list
// view, roles for the grid delegate, the sort/filter proxy and the actions. Thumbnails come
// from a ThumbnailCache (asynchronous); a thumbnail that arrives updates its rows only.
#include "search/Moment.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QPointer>

#include <vector>

namespace vop::ui {

class ThumbnailCache;

class ResultsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Role {
        PathRole = Qt::UserRole + 1, // QString, absolute
        FileNameRole,                // QString
        FolderRole,                  // QString
        StartRole,                   // double, seconds
        EndRole,                     // double, seconds
        MomentDurationRole,          // double, end - start
        ScoreRole,                   // double
        ScoreFractionRole,           // double in [0, 1]: the score relative to the best of the search
        RankRole,                    // int, 1 = the search's best
        SegmentIdRole,               // qint64: the moment's best segment (its thumbnail)
        FileIdRole,                  // qint64
        FileDateRole,                // QDateTime: the file's modification time (invalid when unknown)
        DurationRole,                // double: the video's duration, seconds (0 when unknown)
        ThumbnailRole,               // QImage (null while loading or when there is none)
        OfflineRole,                 // bool: the file's drive is not mounted
        RangeTextRole,               // QString "0:03.0–0:05.5"
    };
    enum Column { NameColumn, RangeColumn, ScoreColumn, DateColumn, DurationColumn, FolderColumn, ColumnCount };

    explicit ResultsModel(QObject* parent = nullptr);

    // Thumbnails are asked from `cache` when a view first wants them (may be null: none).
    void setThumbnailCache(ThumbnailCache* cache);
    // Replaces the results. `modified[i]` is the file date of moments[i] (may be shorter).
    void setResults(std::vector<search::Moment> moments, std::vector<QDateTime> modified = {});
    void clear();

    const std::vector<search::Moment>& moments() const { return m_moments; }
    const search::Moment& moment(int row) const { return m_moments.at(size_t(row)); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QHash<int, QByteArray> roleNames() const override;
    // Dragging results out gives file URLs (players, file managers, chat windows take them).
    QStringList mimeTypes() const override;
    QMimeData* mimeData(const QModelIndexList& indexes) const override;
    Qt::DropActions supportedDragActions() const override { return Qt::CopyAction | Qt::LinkAction; }

    // "1:05.2" (minutes:seconds.tenths), "1:02:03" for durations of an hour and more.
    static QString formatTime(double seconds);
    static QString formatDuration(double seconds);
    // "1 moment", "6 moments" (English plurals without a translation file).
    static QString count(qint64 n, const QString& one, const QString& many);

private:
    void onThumbnailReady(qint64 segmentId);
    QImage thumbnail(int row) const;

    std::vector<search::Moment> m_moments;
    std::vector<QDateTime> m_modified;
    float m_bestScore = 0;
    float m_worstScore = 0;
    QPointer<ThumbnailCache> m_cache;
    QMetaObject::Connection m_cacheConnection;
};

} // namespace vop::ui
