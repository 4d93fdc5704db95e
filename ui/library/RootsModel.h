#pragma once
// The library's folders with their status (files, indexed, pending, failed, offline), one row
// per root, for the Library tab's table.
#include "service/LibraryService.h"

#include <QAbstractTableModel>

#include <vector>

namespace vop::ui {

class RootsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Folder, Files, Indexed, Pending, Failed, Offline, ColumnCount };
    enum Role { PathRole = Qt::UserRole + 1, StatusRole };

    explicit RootsModel(QObject* parent = nullptr);

    // Replaces the rows, keeping rows whose path did not change (selection survives a refresh).
    void setRoots(std::vector<vop::service::RootStatus> roots);
    const std::vector<vop::service::RootStatus>& roots() const { return m_roots; }
    QString pathAt(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<vop::service::RootStatus> m_roots;
};

} // namespace vop::ui
