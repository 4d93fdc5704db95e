#pragma once
// The panel of a background job (indexing, index rebuild): what it does, how far it is (a
// progress bar), how fast (files, frames/s), how long it still needs, and Pause, Resume and
// Cancel. It shows one JobRunner and never runs anything itself.
#include "common/JobRunner.h"

#include <QGroupBox>

class QLabel;
class QProgressBar;
class QPushButton;

namespace vop::ui {

class JobPanel : public QGroupBox {
    Q_OBJECT
public:
    JobPanel(JobRunner& runner, QWidget* parent = nullptr);

    // The line shown while no job runs ("Last run: 12 files indexed in 40 s").
    void setIdleText(const QString& text);

    QProgressBar* progressBar() const { return m_bar; }
    QPushButton* pauseButton() const { return m_pause; }
    QPushButton* resumeButton() const { return m_resume; }
    QPushButton* cancelButton() const { return m_cancel; }
    QString phaseText() const;

    // "2 min 05 s", "about 3 h"; "" for an unknown (negative) duration.
    static QString formatDuration(double seconds);
    // "Indexing", "Loading the model", ... for a vop::service::phase name.
    static QString phaseTitle(const QString& phase);

private:
    void showProgress(const JobProgressData& p);
    void updateButtons();
    void onStarted();
    void onEnded();

    JobRunner& m_runner;
    QLabel* m_phase = nullptr;
    QLabel* m_counts = nullptr;
    QLabel* m_detail = nullptr;
    QProgressBar* m_bar = nullptr;
    QPushButton* m_pause = nullptr;
    QPushButton* m_resume = nullptr;
    QPushButton* m_cancel = nullptr;
    QString m_idleText;
    bool m_cancelRequested = false;
};

} // namespace vop::ui
