#pragma once
// The first-run dialog, shown when the library service has no model (service.modelProblem()):
// it says what the model is and offers three ways on:
//  - "Download": the core model download (service/ModelDownload) as a job on a worker thread,
//    with a progress bar, speed and time left, cancel, resume on retry, sha256 check;
//  - "Choose a checkpoint file…": a file the person already has;
//  - "Later": the window stays usable for browsing the library without a model.
// A downloaded or chosen checkpoint is set on the service (setModelSettings) and loaded once on
// the worker to prove it can be read; then the dialog is accepted. A file that cannot be used
// leaves the previous settings in place and says why.
#include <QDialog>
#include <QString>

#include <memory>
#include <optional>
#include <string>

class QLabel;
class QProgressBar;
class QPushButton;

namespace vop::service {
class LibraryService;
struct ModelSettings;
} // namespace vop::service

namespace vop::ui {

class JobRunner;
struct JobProgressData;

class ModelSetupDialog : public QDialog {
    Q_OBJECT
public:
    explicit ModelSetupDialog(vop::service::LibraryService& service, QWidget* parent = nullptr);
    ~ModelSetupDialog() override;

    // Where the list of downloadable models is read (default: service::defaultManifestPath())
    // and where the download goes (default: the user's model folder). For tests and packagers.
    void setManifestPath(const QString& path);
    void setDownloadDir(const QString& dir);
    QString downloadDir() const;

    bool isBusy() const;            // a download or a model check runs
    QString errorText() const;      // the last failure shown ("" when none)
    QString statusText() const;     // the line under the progress bar

public Q_SLOTS:
    void startDownload();
    void cancelDownload();
    // The chooser: asks for a file with QFileDialog and passes it to useCheckpointFile().
    void chooseCheckpoint();
    // Uses `path` as the checkpoint: sets it on the service, checks modelProblem(), then loads
    // it on a worker; accepted when it loads, otherwise the old settings return. False when the
    // file was refused at once (the error is shown).
    bool useCheckpointFile(const QString& path);

Q_SIGNALS:
    // The model is set on the service and loads; `checkpoint` is its file.
    void modelReady(const QString& checkpoint);

protected:
    void reject() override;

private:
    void buildUi();
    void refreshButtons();
    void showError(const QString& message);
    void onProgress(const vop::ui::JobProgressData& p);
    void onDownloadFinished();
    void onJobFailed(const QString& message);
    void onJobCancelled();
    void applyAndCheck(const QString& checkpoint);
    void onCheckFinished();

    vop::service::LibraryService& m_service;
    QString m_manifestPath;
    QString m_downloadDir;
    JobRunner* m_runner = nullptr;
    enum class Job { None, Download, Check } m_job = Job::None;
    std::shared_ptr<std::string> m_downloadedPath;   // written by the worker, read after finished()
    std::unique_ptr<vop::service::ModelSettings> m_previous; // restored when a check fails
    QString m_checking;                               // the checkpoint being checked

    QLabel* m_explanation = nullptr;
    QLabel* m_problem = nullptr;
    QLabel* m_where = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_error = nullptr;
    QPushButton* m_download = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_choose = nullptr;
    QPushButton* m_later = nullptr;
};

} // namespace vop::ui
