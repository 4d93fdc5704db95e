#include "promptsets/PromptSetListModel.h"

#include <QFont>
#include <QJsonDocument>
#include <QJsonObject>

namespace vop::ui {

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

QString provenanceValue(const PromptSetEntry& e, const char* key)
{
    auto it = e.provenance.find(key);
    return it == e.provenance.end() ? QString() : qs(it->second);
}

double r1Of(const std::string& json, bool* ok)
{
    const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(json));
    const auto t2v = doc.object().value(QStringLiteral("t2v")).toObject();
    *ok = t2v.contains(QStringLiteral("R@1"));
    return t2v.value(QStringLiteral("R@1")).toDouble();
}

} // namespace

QString describeProvenanceMetrics(const std::map<std::string, std::string>& provenance)
{
    auto m = provenance.find("metrics");
    if (m == provenance.end()) return {};
    bool ok = false;
    const double r1 = r1Of(m->second, &ok);
    if (!ok) return {};
    QString s = QStringLiteral("t2v R@1 %1").arg(r1, 0, 'f', 1);
    if (auto z = provenance.find("zero_shot_metrics"); z != provenance.end()) {
        bool zok = false;
        const double zr1 = r1Of(z->second, &zok);
        if (zok) s += QStringLiteral(" (zero-shot %1)").arg(zr1, 0, 'f', 1);
    }
    return s;
}

QString describeEntry(const PromptSetEntry& e)
{
    if (e.builtIn())
        return QStringLiteral("Zero-shot CLIP: the frozen model without prompts. Works for any library and "
                              "needs no training; every fitted set is compared against it.");
    if (!e.problem.empty()) return QStringLiteral("Cannot be used: ") + qs(e.problem);
    QStringList lines;
    lines << qs(e.options.describe());
    lines << QStringLiteral("Parameters: ") + qs(formatCount(e.parameters));
    lines << QStringLiteral("Backbone: ") + qs(e.backboneShape) +
                 (e.backboneSha256.empty() ? QString() : QStringLiteral(" (sha256 ") + qs(e.backboneSha256.substr(0, 12)) + QStringLiteral("...)"));
    for (const char* key : {"dataset", "train_videos", "validation_videos", "epochs", "steps", "created"}) {
        const QString v = provenanceValue(e, key);
        if (!v.isEmpty()) lines << QString::fromLatin1(key).replace(QLatin1Char('_'), QLatin1Char(' ')) + QStringLiteral(": ") + v;
    }
    const QString metrics = describeProvenanceMetrics(e.provenance);
    if (!metrics.isEmpty()) lines << QStringLiteral("Validation: ") + metrics;
    lines << QStringLiteral("File: ") + qs(e.path);
    return lines.join(QLatin1Char('\n'));
}

PromptSetListModel::PromptSetListModel(QObject* parent) : QAbstractTableModel(parent) {}

void PromptSetListModel::setEntries(std::vector<PromptSetEntry> entries)
{
    beginResetModel();
    m_entries = std::move(entries);
    endResetModel();
}

void PromptSetListModel::setActivePath(const QString& path)
{
    m_active = path;
    if (!m_entries.empty())
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

const PromptSetEntry* PromptSetListModel::entry(int row) const
{
    return row >= 0 && row < int(m_entries.size()) ? &m_entries[size_t(row)] : nullptr;
}

int PromptSetListModel::rowOfPath(const QString& path) const
{
    for (size_t i = 0; i < m_entries.size(); ++i)
        if (qs(m_entries[i].path) == path) return int(i);
    return -1;
}

int PromptSetListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int PromptSetListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PromptSetListModel::data(const QModelIndex& index, int role) const
{
    const PromptSetEntry* e = index.isValid() ? entry(index.row()) : nullptr;
    if (!e) return {};
    const bool active = qs(e->path) == m_active;
    switch (role) {
    case PathRole: return qs(e->path);
    case ActiveRole: return active;
    case ProblemRole: return qs(e->problem);
    case Qt::FontRole:
        if (active) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::ToolTipRole: return describeEntry(*e);
    case Qt::TextAlignmentRole:
        return index.column() == Parameters ? QVariant(int(Qt::AlignRight | Qt::AlignVCenter)) : QVariant();
    case Qt::DisplayRole: break;
    default: return {};
    }
    const bool usable = e->problem.empty();
    switch (index.column()) {
    case Name: return qs(e->name) + (active ? QStringLiteral("  (active)") : QString());
    case VariantCol:
        return e->builtIn() ? QStringLiteral("zero-shot") : usable ? qs(variantDisplayName(e->options.variant)) : QStringLiteral("unreadable");
    case Parameters: return e->builtIn() || !usable ? QStringLiteral("0") : qs(formatCount(e->parameters));
    case Backbone: {
        if (e->builtIn()) return QStringLiteral("any");
        // "vision ViT 768w x 12L patch 32 @224, text ..." -> "ViT 768w x 12L patch 32 @224" (all of it in the tooltip)
        QString b = qs(e->backboneShape).section(QLatin1Char(','), 0, 0);
        return b.startsWith(QLatin1String("vision ")) ? b.mid(7) : b;
    }
    case TrainingData:
        return e->builtIn() ? QStringLiteral("none (pre-trained CLIP)") : usable ? provenanceValue(*e, "dataset") : qs(e->problem);
    case Result: return describeProvenanceMetrics(e->provenance);
    case Created: return provenanceValue(*e, "created").left(10).replace(QLatin1Char('T'), QLatin1Char(' '));
    default: return {};
    }
}

QVariant PromptSetListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case Name: return QStringLiteral("Name");
    case VariantCol: return QStringLiteral("Variant");
    case Parameters: return QStringLiteral("Parameters");
    case Backbone: return QStringLiteral("Backbone");
    case TrainingData: return QStringLiteral("Training data");
    case Result: return QStringLiteral("Validation result");
    case Created: return QStringLiteral("Created");
    default: return {};
    }
}

} // namespace vop::ui
