#pragma once
// The "Data" part of the training tab: where the labelled clips are and in which layout, and
// what was found there (TrainingService::inspect on a worker): labels with clip counts, totals,
// skipped files with reasons, the validation split and the warnings.
#include "service/TrainingService.h"

#include <QFutureWatcher>
#include <QWidget>

#include <optional>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QStandardItemModel;
class QTableView;
class QTimer;

namespace vop::ui {

class TrainingDataPanel : public QWidget {
    Q_OBJECT
public:
    explicit TrainingDataPanel(QWidget* parent = nullptr);
    ~TrainingDataPanel() override;

    vop::service::DataSource dataSource() const;
    // The last inspection of the current data source (nullopt: none yet, running, or it failed).
    const std::optional<vop::service::DatasetSummary>& summary() const { return m_summary; }
    bool isInspecting() const { return m_inspecting; }
    QTableView* labelsView() const { return m_labelsView; }
    QString problem() const { return m_problem; }
    // Path, format ("folders" | "sidecar" | "msrvtt"), caption template: then inspects.
    void setSource(const QString& path, const QString& format, const QString& captionTemplate = QString());
    void setValidationPercent(double percent);
    // Every field from `source` (e.g. a saved run), then inspects.
    void setDataSource(const vop::service::DataSource& source);
    void setEditable(bool editable);

public Q_SLOTS:
    void inspectNow();

Q_SIGNALS:
    void inspected(bool ok);   // after every inspection (summary() or problem() tell the rest)
    void sourceChanged();      // any field changed (an inspection follows)

private:
    void scheduleInspect();
    void formatChanged();
    void showSummary();
    void showProblem(const QString& text);

    QLineEdit* m_path = nullptr;
    QPushButton* m_choose = nullptr;
    QComboBox* m_format = nullptr;
    QLabel* m_templateLabel = nullptr;
    QLineEdit* m_template = nullptr;
    QLabel* m_videosLabel = nullptr;
    QWidget* m_videosRow = nullptr;
    QLineEdit* m_videos = nullptr;
    QDoubleSpinBox* m_validation = nullptr;
    QLabel* m_found = nullptr;
    QStandardItemModel* m_labels = nullptr;
    QTableView* m_labelsView = nullptr;
    QLabel* m_warnings = nullptr;
    QPlainTextEdit* m_skipped = nullptr;
    QTimer* m_debounce = nullptr;

    struct Inspection {
        std::optional<vop::service::DatasetSummary> summary;
        QString error;
    };
    QFutureWatcher<Inspection> m_watch;
    bool m_inspecting = false;
    bool m_again = false; // the source changed while an inspection ran
    std::optional<vop::service::DatasetSummary> m_summary;
    QString m_problem;
};

} // namespace vop::ui
