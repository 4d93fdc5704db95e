#pragma once
// The Training tab: from a folder of labelled clips to an active, better prompt set.
//   Data (what was found) -> Settings (variant, advanced) -> Run (phases, progress, live charts,
//   cancel, resume) -> Result (beside zero-shot CLIP, a plain verdict, "Use this prompt set").
// The run is TrainingService::train on a worker (JobRunner); its typed events come back as
// queued calls. Runs write into paths::userDataDir()/training/<name>.safetensors (+ .state
// while interrupted); "Use this prompt set" installs the result into the prompt-set folder and
// makes it the library's active set.
#include "service/TrainingService.h"

#include <QString>
#include <QStringList>
#include <QWidget>

#include <memory>
#include <optional>

class QLabel;
class QLineEdit;
class QProgressBar;
class QScrollArea;
class QPushButton;
class QTableView;

namespace vop::service {
class LibraryService;
}

namespace vop::ui {

class JobRunner;
class TrainingCharts;
class TrainingDataPanel;
class TrainingResultModel;
class TrainingSettingsPanel;

class TrainingTab : public QWidget {
    Q_OBJECT
public:
    explicit TrainingTab(vop::service::LibraryService& service, QWidget* parent = nullptr);
    ~TrainingTab() override;

    TrainingDataPanel* dataPanel() const { return m_data; }
    TrainingSettingsPanel* settingsPanel() const { return m_settings; }
    TrainingCharts* charts() const { return m_charts; }
    TrainingResultModel* resultModel() const { return m_resultModel; }
    bool isRunning() const;
    // The outcome of the last finished run.
    const std::optional<vop::service::TrainingOutcome>& outcome() const { return m_outcome; }
    QString verdict() const;
    QString statusText() const;
    // What the run does and, for the settings left at "Automatic", what was chosen and why
    // (the service's plan, reasons included whether or not they are shown); "" before a run has
    // planned. The tab shows the first line and "show why" for the reasons.
    QString planText() const;
    // The prompt set's name (the file name of the result); "" = derived from the data and variant.
    void setSetName(const QString& name);
    QString setName() const;
    // Where a run named `name` writes its prompt set, and its training state.
    static QString outputPathFor(const QString& name);
    static QString statePathFor(const QString& name);
    // What the run was started with (for resuming after a restart).
    static QString runFilePathFor(const QString& name);

public Q_SLOTS:
    void startTraining();
    void resumeTraining();
    void cancelTraining();
    // Installs the last result into the prompt-set folder and makes it the active set.
    bool useResult();
    void openPromptSetManager();

Q_SIGNALS:
    void runEnded(const QString& state); // "finished" | "cancelled" | "failed"
    void promptSetActivated(const QString& path);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void fitLeftPane();
    void renderPlan();
    void start(bool resume);
    void onEvent(const vop::service::TrainingEvent& event);
    void onEnded(const QString& state);
    void setPhase(const QString& phase);
    void setRunning(bool running);
    void updateResume();
    void showOutcome();
    void setStatus(const QString& text, bool error = false);
    // Fills in the newest interrupted run (state + run file in the training folder), if any.
    void offerInterruptedRun();
    bool applyRunFile(const QString& name);

    vop::service::LibraryService& m_service;
    TrainingDataPanel* m_data = nullptr;
    TrainingSettingsPanel* m_settings = nullptr;
    TrainingCharts* m_charts = nullptr;
    TrainingResultModel* m_resultModel = nullptr;
    JobRunner* m_runner = nullptr;
    QLineEdit* m_name = nullptr;
    QPushButton* m_start = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_resume = nullptr;
    QPushButton* m_use = nullptr;
    QLabel* m_phases = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_plan = nullptr;
    QScrollArea* m_leftScroll = nullptr;
    QString m_planHead;
    QStringList m_planReasons;
    bool m_planExpanded = false;
    QTableView* m_resultView = nullptr;
    QLabel* m_verdict = nullptr;
    QLabel* m_useMessage = nullptr;

    QString m_phase;
    bool m_trainingStarted = false; // a Training phase was seen in this run (later evaluations are not zero-shot)
    bool m_searchSeen = false;      // the service searched the learning rate in this run
    QString m_runName;
    std::shared_ptr<std::optional<vop::service::TrainingOutcome>> m_pending; // written by the worker
    std::optional<vop::service::TrainingOutcome> m_outcome;
    vop::service::TrainingRequest m_lastRequest;
};

} // namespace vop::ui
