#pragma once
// The installed prompt sets as a table: name, variant, parameters, backbone, training data,
// validation result, date; the active set is marked. Rows come from PromptSetLibrary::list().
#include "promptsets/PromptSetLibrary.h"

#include <QAbstractTableModel>

#include <vector>

namespace vop::ui {

class PromptSetListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, VariantCol, Parameters, Backbone, TrainingData, Result, Created, ColumnCount };
    enum Role { PathRole = Qt::UserRole + 1, ActiveRole, ProblemRole };

    explicit PromptSetListModel(QObject* parent = nullptr);

    void setEntries(std::vector<PromptSetEntry> entries);
    // "" = zero-shot CLIP.
    void setActivePath(const QString& path);
    const std::vector<PromptSetEntry>& entries() const { return m_entries; }
    const PromptSetEntry* entry(int row) const;
    int rowOfPath(const QString& path) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<PromptSetEntry> m_entries;
    QString m_active;
};

// "t2v R@1 66.7 (zero-shot 33.3)" from a set's provenance ("" when it has no metrics).
QString describeProvenanceMetrics(const std::map<std::string, std::string>& provenance);
// Several lines for a details pane: options, backbone, provenance.
QString describeEntry(const PromptSetEntry& e);

} // namespace vop::ui
