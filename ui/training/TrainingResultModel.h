#pragma once
// The result of a run beside zero-shot CLIP on the same validation clips: text-to-video and
// video-to-text R@1/5/10 (percent, higher is better), median and mean rank (lower is better).
#include "train/Metrics.h"

#include <QAbstractTableModel>

#include <optional>

namespace vop::ui {

class TrainingResultModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Metric, ZeroShot, Trained, Change, ColumnCount };
    explicit TrainingResultModel(QObject* parent = nullptr);

    void setResult(const RetrievalMetrics& zeroShot, const RetrievalMetrics& trained, const QString& trainedName);
    void clear();
    bool hasResult() const { return m_zero.has_value(); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::optional<RetrievalMetrics> m_zero, m_trained;
    QString m_trainedName;
};

} // namespace vop::ui
