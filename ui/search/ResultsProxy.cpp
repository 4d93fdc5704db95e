#include "search/ResultsProxy.h"

#include "search/ResultsModel.h"

#include <QCollator>
#include <QDateTime>

namespace vop::ui {

ResultsProxy::ResultsProxy(QObject* parent) : QSortFilterProxyModel(parent)
{
    setDynamicSortFilter(true);
}

int ResultsProxy::columnFor(SortKey key)
{
    switch (key) {
    case SortKey::Score: return ResultsModel::ScoreColumn;
    case SortKey::Date: return ResultsModel::DateColumn;
    case SortKey::Name: return ResultsModel::NameColumn;
    case SortKey::Duration: return ResultsModel::DurationColumn;
    }
    return ResultsModel::ScoreColumn;
}

void ResultsProxy::sortBy(SortKey key, Qt::SortOrder order)
{
    sort(columnFor(key), order);
}

void ResultsProxy::setMinimumScore(double score)
{
    if (score == m_minScore)
        return;
    m_minScore = score;
    invalidateFilter();
}

bool ResultsProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    if (m_minScore <= -1)
        return true;
    const QModelIndex i = sourceModel()->index(sourceRow, 0, sourceParent);
    return i.data(ResultsModel::ScoreRole).toDouble() >= m_minScore;
}

bool ResultsProxy::lessThan(const QModelIndex& left, const QModelIndex& right) const
{
    auto rank = [](const QModelIndex& i) { return i.data(ResultsModel::RankRole).toInt(); };
    // For equal keys the better-ranked row comes first whatever the order: the proxy reverses
    // lessThan for a descending sort, so ties are answered in the direction of the sort.
    auto tie = [&] {
        return sortOrder() == Qt::AscendingOrder ? rank(left) < rank(right) : rank(left) > rank(right);
    };
    auto compare = [&](int role) -> int {
        const QVariant a = left.data(role), b = right.data(role);
        switch (role) {
        case ResultsModel::FileDateRole: {
            const QDateTime da = a.toDateTime(), db = b.toDateTime();
            return da == db ? 0 : (da < db ? -1 : 1);
        }
        case ResultsModel::FileNameRole:
        case ResultsModel::FolderRole: {
            QCollator c;
            c.setNumericMode(true); // clip2 before clip10
            c.setCaseSensitivity(Qt::CaseInsensitive);
            return c.compare(a.toString(), b.toString());
        }
        default: {
            const double x = a.toDouble(), y = b.toDouble();
            return x == y ? 0 : (x < y ? -1 : 1);
        }
        }
    };
    int c = 0;
    switch (left.column()) {
    case ResultsModel::NameColumn: c = compare(ResultsModel::FileNameRole); break;
    case ResultsModel::RangeColumn: c = compare(ResultsModel::StartRole); break;
    case ResultsModel::ScoreColumn: c = compare(ResultsModel::ScoreRole); break;
    case ResultsModel::DateColumn: c = compare(ResultsModel::FileDateRole); break;
    case ResultsModel::DurationColumn: c = compare(ResultsModel::DurationRole); break;
    case ResultsModel::FolderColumn: c = compare(ResultsModel::FolderRole); break;
    default: break;
    }
    if (c == 0 && left.column() == ResultsModel::NameColumn)
        c = compare(ResultsModel::StartRole);
    return c != 0 ? c < 0 : tie();
}

} // namespace vop::ui
