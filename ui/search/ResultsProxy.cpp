#include "search/ResultsProxy.h"

#include "search/ResultsModel.h"

#include <QDateTime>

namespace vop::ui {

namespace {
// "clip2" before "clip10": runs of digits compare as numbers, the rest case-insensitively in
// the locale's order (QCollator's numeric mode needs ICU, which not every Qt build has).
int naturalCompare(const QString& a, const QString& b)
{
    int i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i].isDigit() && b[j].isDigit()) {
            int i2 = i, j2 = j;
            while (i2 < a.size() && a[i2].isDigit()) ++i2;
            while (j2 < b.size() && b[j2].isDigit()) ++j2;
            // Compare without leading zeros: length first, then digit by digit.
            int si = i, sj = j;
            while (si + 1 < i2 && a[si] == u'0') ++si;
            while (sj + 1 < j2 && b[sj] == u'0') ++sj;
            if (i2 - si != j2 - sj)
                return (i2 - si) < (j2 - sj) ? -1 : 1;
            if (int c = QStringView(a).mid(si, i2 - si).compare(QStringView(b).mid(sj, j2 - sj)); c != 0)
                return c;
            i = i2, j = j2;
        } else {
            int i2 = i, j2 = j;
            while (i2 < a.size() && !a[i2].isDigit()) ++i2;
            while (j2 < b.size() && !b[j2].isDigit()) ++j2;
            const QString x = a.mid(i, i2 - i).toCaseFolded(), y = b.mid(j, j2 - j).toCaseFolded();
            if (int c = QString::localeAwareCompare(x, y); c != 0)
                return c;
            i = i2, j = j2;
        }
    }
    return (a.size() - i) == (b.size() - j) ? 0 : ((a.size() - i) < (b.size() - j) ? -1 : 1);
}
} // namespace

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
    // Scores are floats: 0.29f is 0.28999999 as a double, and "0.29" must keep it.
    return i.data(ResultsModel::ScoreRole).toDouble() >= m_minScore - 1e-6;
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
        case ResultsModel::FolderRole: return naturalCompare(a.toString(), b.toString());
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
