#pragma once
// The Library tab: the folders of the library with their status, adding (dialog or drop) and
// removing them, "Scan now", the background index job (JobPanel over a JobRunner), the active
// model and prompt set, and the index's health. Roots are watched (LibraryWatcher) and a change
// starts an incremental index job in the background. Everything slow runs on workers: the
// status snapshot on QtConcurrent, jobs on the JobRunner.
#include "common/JobRunner.h"
#include "service/LibraryService.h"

#include <QFutureWatcher>
#include <QStringList>
#include <QTimer>
#include <QWidget>

#include <memory>

class QLabel;
class QPushButton;

namespace vop::ui {

class ErrorBanner;
class JobPanel;
class LibraryWatcher;
class RootsModel;
class RootsView;

// What the tab shows, gathered on a worker.
struct LibrarySnapshot {
    vop::service::LibraryStatus status;
    vop::service::ModelSettings model;
    std::optional<std::string> modelProblem;
    bool indexing = false;
    bool inspected = false;   // index files were loaded and compared with the catalog
    std::string error;        // the snapshot itself failed (catalog unreadable, ...)
};

class LibraryTab : public QWidget {
    Q_OBJECT
public:
    explicit LibraryTab(vop::service::LibraryService& service, QWidget* parent = nullptr);
    ~LibraryTab() override;

    // Adds folders as roots and indexes them in the background. False when one could not be
    // added (the banner says why).
    bool addFolders(const QStringList& folders);
    // Forgets a root (its files leave the catalog). `ask`: confirm with the user first.
    bool removeFolder(const QString& path, bool ask = true);
    // Starts an incremental index job over `roots` (empty: all); queued while a job runs.
    void startIndex(const QStringList& roots = {});
    // Re-reads the status (asynchronously); `inspect` also loads and checks the index files.
    void refresh(bool inspect = false);

    JobRunner& jobRunner() { return m_runner; }
    JobPanel* jobPanel() const { return m_panel; }
    RootsModel* rootsModel() const { return m_rootsModel; }
    RootsView* rootsView() const { return m_rootsView; }
    LibraryWatcher* watcher() const { return m_watcher; }
    ErrorBanner* banner() const { return m_banner; }
    // The last snapshot shown.
    const LibrarySnapshot& snapshot() const { return m_snapshot; }

public Q_SLOTS:
    void chooseFolder();
    void scanNow();
    void removeSelected();
    void showProblems();
    void rebuildIndex();

Q_SIGNALS:
    // A status line for the window ("Indexed 12 files in 40 s").
    void statusMessage(const QString& text);
    // A snapshot was shown (tests wait on it).
    void refreshed();

private:
    void buildUi();
    void applySnapshot(const LibrarySnapshot& s);
    void onServiceEvent(const vop::service::LibraryEvent& e);
    void onJobStarted();
    void onJobEnded();
    void startNextQueued();
    void updateButtons();
    // After the active prompt set changed: re-encode the library for it (a normal index job)
    // when its space is incomplete, and say what happens.
    void handleSwitch(const LibrarySnapshot& s);
    QString selectedRoot() const;

    vop::service::LibraryService& m_service;
    JobRunner m_runner;
    int m_subscription = -1;
    // Service events come from worker threads; the relay is how they reach this tab, and the
    // tab cuts it before it dies (unsubscribe does not wait for a listener in flight).
    struct EventRelay;
    std::shared_ptr<EventRelay> m_relay;

    ErrorBanner* m_banner = nullptr;
    RootsModel* m_rootsModel = nullptr;
    RootsView* m_rootsView = nullptr;
    QPushButton* m_add = nullptr;
    QPushButton* m_remove = nullptr;
    QPushButton* m_scan = nullptr;
    QPushButton* m_problems = nullptr;
    QPushButton* m_check = nullptr;
    QPushButton* m_rebuild = nullptr;
    QLabel* m_watchLabel = nullptr;
    QLabel* m_model = nullptr;
    QLabel* m_health = nullptr;
    JobPanel* m_panel = nullptr;
    LibraryWatcher* m_watcher = nullptr;

    QFutureWatcher<LibrarySnapshot> m_refresh;
    bool m_refreshAgain = false;
    bool m_inspectAgain = false;
    QTimer m_refreshSoon;
    LibrarySnapshot m_snapshot;
    int64_t m_liveVectors = -1;

    // The job at hand and what waits for it.
    enum class JobKind { None, Index, Rebuild };
    JobKind m_jobKind = JobKind::None;
    std::shared_ptr<vop::library::IndexReport> m_indexReport;
    std::shared_ptr<vop::service::RebuildReport> m_rebuildReport;
    bool m_queuedAll = false;
    bool m_switchPending = false; // the model settings changed; the next fresh snapshot decides
    QStringList m_queuedRoots;
};

} // namespace vop::ui
