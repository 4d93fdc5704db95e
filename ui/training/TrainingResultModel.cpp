#include "training/TrainingResultModel.h"

#include <QBrush>
#include <QColor>

namespace vop::ui {

namespace {

struct Row {
    const char* name;
    bool t2v;
    int kind; // 1, 5, 10: R@K; 0: MdR; -1: MnR
};
const Row kRows[] = {
    {"Text \u2192 video R@1", true, 1},   {"Text \u2192 video R@5", true, 5},   {"Text \u2192 video R@10", true, 10},
    {"Text \u2192 video median rank", true, 0}, {"Text \u2192 video mean rank", true, -1},
    {"Video \u2192 text R@1", false, 1},  {"Video \u2192 text R@5", false, 5},  {"Video \u2192 text R@10", false, 10},
    {"Video \u2192 text median rank", false, 0}, {"Video \u2192 text mean rank", false, -1},
};
constexpr int kRowCount = int(sizeof kRows / sizeof kRows[0]);

double value(const RetrievalMetrics& m, const Row& r)
{
    const RankMetrics& k = r.t2v ? m.t2v : m.v2t;
    return r.kind > 0 ? k.recallAt(r.kind) : r.kind == 0 ? k.medianRank : k.meanRank;
}

} // namespace

TrainingResultModel::TrainingResultModel(QObject* parent) : QAbstractTableModel(parent) {}

void TrainingResultModel::setResult(const RetrievalMetrics& zeroShot, const RetrievalMetrics& trained,
                                    const QString& trainedName)
{
    beginResetModel();
    m_zero = zeroShot;
    m_trained = trained;
    m_trainedName = trainedName;
    endResetModel();
}

void TrainingResultModel::clear()
{
    beginResetModel();
    m_zero.reset();
    m_trained.reset();
    endResetModel();
}

int TrainingResultModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : kRowCount;
}

int TrainingResultModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TrainingResultModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= kRowCount) return {};
    const Row& r = kRows[index.row()];
    const bool rank = r.kind <= 0;
    if (role == Qt::TextAlignmentRole)
        return index.column() == Metric ? QVariant() : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    if (role == Qt::ToolTipRole)
        return rank ? QStringLiteral("1-based rank of the right answer; lower is better")
                    : QStringLiteral("percent of queries whose right answer is within the first %1; higher is better").arg(r.kind);
    const bool haveValues = m_zero && m_trained;
    if (role == Qt::ForegroundRole && index.column() == Change && haveValues) {
        const double d = value(*m_trained, r) - value(*m_zero, r);
        const double gain = rank ? -d : d;
        if (gain > 1e-9) return QBrush(QColor(0x1b, 0x7a, 0x2e));
        if (gain < -1e-9) return QBrush(QColor(0xb0, 0x00, 0x20));
        return {};
    }
    if (role != Qt::DisplayRole) return {};
    if (index.column() == Metric) return QString::fromUtf8(r.name);
    if (!haveValues) return QStringLiteral("\u2013");
    const int decimals = 1;
    switch (index.column()) {
    case ZeroShot: return QString::number(value(*m_zero, r), 'f', decimals);
    case Trained: return QString::number(value(*m_trained, r), 'f', decimals);
    case Change: {
        const double d = value(*m_trained, r) - value(*m_zero, r);
        return (d > 0 ? QStringLiteral("+") : QString()) + QString::number(d, 'f', decimals);
    }
    default: return {};
    }
}

QVariant TrainingResultModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case Metric: return QStringLiteral("Metric");
    case ZeroShot: return QStringLiteral("Zero-shot CLIP");
    case Trained: return m_trainedName.isEmpty() ? QStringLiteral("Trained set") : m_trainedName;
    case Change: return QStringLiteral("Change");
    default: return {};
    }
}

} // namespace vop::ui
