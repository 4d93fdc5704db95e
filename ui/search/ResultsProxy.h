#pragma once
// Sort and the filters the core does not apply (the minimum score) over a ResultsModel. Folder,
// date and duration filters go to the search itself (search::Filters), so that a filtered
// search still returns its full number of moments.
//
// Sorting is by column (the list view's header and the sort box share it): File = name,
// Moment = start, Score, Modified = file date, Length = video duration, Folder. Ties keep the
// search's rank order.
#include <QSortFilterProxyModel>

namespace vop::ui {

class ResultsProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    enum class SortKey { Score, Date, Name, Duration };

    explicit ResultsProxy(QObject* parent = nullptr);

    void sortBy(SortKey key, Qt::SortOrder order);
    static int columnFor(SortKey key);

    // Moments scoring below `score` are hidden; nullopt-like: a value <= -1 hides nothing.
    void setMinimumScore(double score);
    double minimumScore() const { return m_minScore; }

protected:
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    double m_minScore = -1;
};

} // namespace vop::ui
