#include "RootsModel.h"

#include <QApplication>
#include <QDir>
#include <QFont>
#include <QIcon>
#include <QLocale>
#include <QPalette>
#include <QStyle>

namespace vop::ui {

RootsModel::RootsModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void RootsModel::setRoots(std::vector<vop::service::RootStatus> roots)
{
    bool samePaths = roots.size() == m_roots.size();
    for (size_t i = 0; samePaths && i < roots.size(); ++i)
        samePaths = roots[i].path == m_roots[i].path;
    if (samePaths) {
        m_roots = std::move(roots);
        if (!m_roots.empty())
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    m_roots = std::move(roots);
    endResetModel();
}

QString RootsModel::pathAt(int row) const
{
    if (row < 0 || row >= rowCount())
        return {};
    return QString::fromStdString(m_roots[size_t(row)].path);
}

int RootsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_roots.size());
}

int RootsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RootsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const auto& r = m_roots[size_t(index.row())];
    const QLocale locale;
    auto count = [&](int64_t n) { return locale.toString(qlonglong(n)); };
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Folder: return QDir::toNativeSeparators(QString::fromStdString(r.path));
        case Files: return count(r.files);
        case Indexed: return count(r.indexed);
        case Pending: return count(r.pending);
        case Failed: return count(r.failed + r.skipped);
        case Offline: return count(r.offline);
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == Folder)
            return r.mounted ? QDir::toNativeSeparators(QString::fromStdString(r.path))
                             : tr("%1\nThe folder cannot be reached (unplugged drive or network share?). "
                                  "Its files stay in the catalog, marked offline.")
                                   .arg(QDir::toNativeSeparators(QString::fromStdString(r.path)));
        if (index.column() == Failed)
            return tr("%1 failed, %2 skipped (not videos or unreadable). "
                      "\"Show problems\" lists them with the reason.")
                .arg(r.failed)
                .arg(r.skipped);
        if (index.column() == Pending)
            return tr("Files found but not indexed yet");
        break;
    case Qt::DecorationRole:
        if (index.column() == Folder)
            return QApplication::style()->standardIcon(r.mounted ? QStyle::SP_DirIcon : QStyle::SP_MessageBoxWarning);
        break;
    case Qt::TextAlignmentRole:
        if (index.column() != Folder)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case Qt::ForegroundRole:
        if ((index.column() == Failed && r.failed + r.skipped > 0) || (index.column() == Offline && r.offline > 0))
            return QColor(0xb0, 0x3a, 0x2e);
        if (!r.mounted)
            return QApplication::palette().color(QPalette::Disabled, QPalette::Text);
        break;
    case PathRole: return QString::fromStdString(r.path);
    case StatusRole: return r.mounted;
    }
    return {};
}

QVariant RootsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Folder: return tr("Folder");
    case Files: return tr("Files");
    case Indexed: return tr("Indexed");
    case Pending: return tr("Pending");
    case Failed: return tr("Problems");
    case Offline: return tr("Offline");
    }
    return {};
}

} // namespace vop::ui
