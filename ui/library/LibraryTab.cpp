#include "LibraryTab.h"

#include "FileProblemsDialog.h"
#include "JobPanel.h"
#include "LibraryWatcher.h"
#include "RootsModel.h"
#include "RootsView.h"
#include "common/ErrorBanner.h"

#include "util/Error.h"

#include <QAction>
#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <mutex>

namespace vop::ui {

struct LibraryTab::EventRelay {
    std::mutex mu;
    LibraryTab* tab = nullptr;
};

namespace {

LibrarySnapshot takeSnapshot(vop::service::LibraryService* service, bool inspect)
{
    LibrarySnapshot s;
    try {
        s.model = service->modelSettings();
        s.modelProblem = service->modelProblem();
        s.indexing = service->isIndexing();
        vop::service::StatusOptions o;
        o.inspectIndexes = inspect;
        o.integrity = inspect;
        s.status = service->status(o);
        s.inspected = inspect;
    } catch (const std::exception& e) {
        s.error = e.what();
    } catch (...) {
        s.error = "an unknown error while reading the library's status";
    }
    return s;
}

QString fileName(const std::string& path)
{
    return QFileInfo(QString::fromStdString(path)).fileName();
}

QString count(int64_t n)
{
    return QLocale().toString(qlonglong(n));
}

// "1 file", "3 files" (English plurals without a translation file).
QString counted(int64_t n, const char* one, const char* many)
{
    return QCoreApplication::translate("LibraryTab", n == 1 ? one : many).arg(count(n));
}

// `text` may carry a mnemonic (&); the accessible name is the text without it.
QPushButton* button(const QString& text, const QString& tip, QWidget* parent)
{
    auto* b = new QPushButton(text, parent);
    b->setAccessibleName(QString(text).remove(QLatin1Char('&')));
    b->setToolTip(tip);
    return b;
}

} // namespace

LibraryTab::LibraryTab(vop::service::LibraryService& service, QWidget* parent)
    : QWidget(parent)
    , m_service(service)
{
    setObjectName(QStringLiteral("libraryTab"));
    buildUi();

    m_refreshSoon.setSingleShot(true);
    m_refreshSoon.setInterval(400);
    connect(&m_refreshSoon, &QTimer::timeout, this, [this] { refresh(false); });
    connect(&m_refresh, &QFutureWatcher<LibrarySnapshot>::finished, this, [this] {
        const LibrarySnapshot s = m_refresh.result();
        if (m_refreshAgain) {
            const bool inspect = m_inspectAgain;
            m_refreshAgain = m_inspectAgain = false;
            refresh(inspect);
        }
        applySnapshot(s);
    });

    connect(&m_runner, &JobRunner::started, this, &LibraryTab::onJobStarted);
    connect(&m_runner, &JobRunner::ended, this, &LibraryTab::onJobEnded);

    m_watcher = new LibraryWatcher(this);
    connect(m_watcher, &LibraryWatcher::changed, this, [this](const QStringList& roots) {
        if (!m_snapshot.modelProblem)
            startIndex(roots);
    });
    connect(m_watcher, &LibraryWatcher::rescanDue, this, [this] {
        if (!m_snapshot.modelProblem && !m_snapshot.status.roots.empty())
            startIndex();
    });
    connect(m_watcher, &LibraryWatcher::watching, this, [this](int folders) {
        const int minutes = m_watcher->rescanMinutes();
        const QString watched = counted(folders, "%1 folder", "%1 folders");
        m_watchLabel->setText(minutes > 0 ? tr("Watching %1 for changes; everything is rescanned every %2 min.")
                                                .arg(watched)
                                                .arg(minutes)
                                          : tr("Watching %1 for changes.").arg(watched));
    });

    // Service events arrive on the thread that caused them: hop to the UI thread.
    m_relay = std::make_shared<EventRelay>();
    m_relay->tab = this;
    m_subscription = m_service.subscribe([relay = m_relay](const vop::service::LibraryEvent& e) {
        std::lock_guard<std::mutex> lock(relay->mu);
        if (LibraryTab* tab = relay->tab)
            QMetaObject::invokeMethod(tab, [tab, e] { tab->onServiceEvent(e); }, Qt::QueuedConnection);
    });
    refresh(false);
}

LibraryTab::~LibraryTab()
{
    {
        std::lock_guard<std::mutex> lock(m_relay->mu);
        m_relay->tab = nullptr;
    }
    m_service.unsubscribe(m_subscription);
    m_refresh.waitForFinished();
    // m_runner's destructor cancels a running job and joins its thread (no event loop here).
}

void LibraryTab::buildUi()
{
    auto* layout = new QVBoxLayout(this);
    m_banner = new ErrorBanner(this);
    layout->addWidget(m_banner);

    // Folders ----------------------------------------------------------------------------
    auto* folders = new QGroupBox(tr("Folders"), this);
    auto* fl = new QVBoxLayout(folders);
    m_rootsModel = new RootsModel(this);
    m_rootsView = new RootsView(folders);
    m_rootsView->setModel(m_rootsModel);
    m_rootsView->setAccessibleName(tr("Library folders"));
    m_rootsView->setToolTip(tr("The folders searched for videos. Drop a folder here to add it."));
    m_rootsView->horizontalHeader()->setSectionResizeMode(RootsModel::Folder, QHeaderView::Stretch);
    for (int c = RootsModel::Files; c < RootsModel::ColumnCount; ++c)
        m_rootsView->horizontalHeader()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    fl->addWidget(m_rootsView, 1);
    m_watchLabel = new QLabel(folders);
    m_watchLabel->setWordWrap(true);
    m_watchLabel->setForegroundRole(QPalette::PlaceholderText);
    fl->addWidget(m_watchLabel);
    auto* row = new QHBoxLayout;
    m_add = button(tr("&Add folder"), tr("Add a folder of videos to the library (or drop one on the list)"), folders);
    m_add->setIcon(style()->standardIcon(QStyle::SP_FileDialogNewFolder));
    m_remove = button(tr("&Remove"), tr("Forget the selected folder: its videos leave the index (the files stay on disk)"),
                      folders);
    m_problems = button(tr("Show &problems"), tr("List the files that could not be indexed, with the reason"), folders);
    m_scan = button(tr("Scan &now"), tr("Look for new, changed and removed videos in every folder and index them"),
                    folders);
    m_scan->setIcon(style()->standardIcon(QStyle::SP_BrowserReload));
    row->addWidget(m_add);
    row->addWidget(m_remove);
    row->addWidget(m_problems);
    row->addStretch(1);
    row->addWidget(m_scan);
    fl->addLayout(row);

    // Model and index health ------------------------------------------------------------------
    auto* model = new QGroupBox(tr("Model"), this);
    auto* ml = new QVBoxLayout(model);
    m_model = new QLabel(model);
    m_model->setWordWrap(true);
    m_model->setTextInteractionFlags(Qt::TextSelectableByMouse);
    ml->addWidget(m_model);

    auto* health = new QGroupBox(tr("Index health"), this);
    auto* hl = new QVBoxLayout(health);
    m_health = new QLabel(health);
    m_health->setWordWrap(true);
    m_health->setTextInteractionFlags(Qt::TextSelectableByMouse);
    hl->addWidget(m_health);
    auto* hb = new QHBoxLayout;
    m_check = button(tr("Chec&k index"),
                     tr("Load the index files and compare them with the catalog (takes a while on big libraries)"),
                     health);
    m_rebuild = button(tr("Re&build index"), tr("Rebuild the search indexes from the catalog's embeddings"), health);
    hb->addWidget(m_check);
    hb->addWidget(m_rebuild);
    hb->addStretch(1);
    hl->addLayout(hb);

    auto* side = new QVBoxLayout;
    side->addWidget(model);
    side->addWidget(health);
    side->addStretch(1);
    auto* top = new QHBoxLayout;
    top->addWidget(folders, 3);
    top->addLayout(side, 2);
    layout->addLayout(top, 1);

    m_panel = new JobPanel(m_runner, this);
    layout->addWidget(m_panel);

    // F5 scans, as "refresh" does elsewhere.
    auto* scanKey = new QAction(this);
    scanKey->setShortcut(QKeySequence::Refresh);
    scanKey->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(scanKey, &QAction::triggered, this, [this] {
        if (m_scan->isEnabled())
            scanNow();
    });
    addAction(scanKey);
    connect(m_add, &QPushButton::clicked, this, &LibraryTab::chooseFolder);
    connect(m_remove, &QPushButton::clicked, this, &LibraryTab::removeSelected);
    connect(m_scan, &QPushButton::clicked, this, &LibraryTab::scanNow);
    connect(m_problems, &QPushButton::clicked, this, &LibraryTab::showProblems);
    connect(m_check, &QPushButton::clicked, this, [this] { refresh(true); });
    connect(m_rebuild, &QPushButton::clicked, this, &LibraryTab::rebuildIndex);
    connect(m_rootsView, &RootsView::foldersDropped, this, [this](const QStringList& f) { addFolders(f); });
    connect(m_rootsView, &RootsView::removeRequested, this, &LibraryTab::removeSelected);
    connect(m_rootsView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &LibraryTab::updateButtons);
    connect(m_banner, &ErrorBanner::actionTriggered, this, &LibraryTab::showProblems);
    updateButtons();
}

void LibraryTab::chooseFolder()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Add a folder of videos"), QDir::homePath());
    if (!dir.isEmpty())
        addFolders({dir});
}

bool LibraryTab::addFolders(const QStringList& folders)
{
    QStringList added;
    bool ok = true;
    for (const QString& folder : folders) {
        try {
            added << QString::fromStdString(m_service.addRoot(folder.toStdString()));
        } catch (const std::exception& e) {
            ok = false;
            m_banner->showMessage(tr("Could not add %1").arg(QDir::toNativeSeparators(folder)),
                                  QString::fromUtf8(e.what()));
        }
    }
    if (added.isEmpty())
        return ok;
    Q_EMIT statusMessage(tr("Added %1").arg(added.join(QStringLiteral(", "))));
    refresh(false);
    if (m_snapshot.modelProblem)
        m_banner->showMessage(tr("The folder is in the library, but nothing can be indexed without a model."),
                              QString::fromStdString(*m_snapshot.modelProblem), ErrorBanner::Level::Warning);
    else
        startIndex(added);
    return ok;
}

bool LibraryTab::removeFolder(const QString& path, bool ask)
{
    if (m_runner.isRunning()) {
        m_banner->showMessage(tr("A folder cannot be removed while indexing runs."),
                              tr("Cancel the job or wait for it to end, then remove the folder."),
                              ErrorBanner::Level::Warning);
        return false;
    }
    if (ask && QMessageBox::question(this, tr("Remove folder"),
                                     tr("Remove %1 from the library?\n\nIts videos leave the index; the files "
                                        "themselves stay where they are.")
                                         .arg(QDir::toNativeSeparators(path)))
                   != QMessageBox::Yes)
        return false;
    try {
        m_service.removeRoot(path.toStdString());
    } catch (const std::exception& e) {
        m_banner->showMessage(tr("Could not remove %1").arg(QDir::toNativeSeparators(path)), QString::fromUtf8(e.what()));
        return false;
    }
    Q_EMIT statusMessage(tr("Removed %1").arg(QDir::toNativeSeparators(path)));
    refresh(false);
    return true;
}

void LibraryTab::removeSelected()
{
    const QString root = selectedRoot();
    if (!root.isEmpty())
        removeFolder(root, true);
}

QString LibraryTab::selectedRoot() const
{
    const QModelIndexList rows = m_rootsView->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : m_rootsModel->pathAt(rows.first().row());
}

void LibraryTab::scanNow()
{
    if (m_snapshot.modelProblem) {
        m_banner->showMessage(tr("Indexing needs the CLIP model, and none was found."),
                              QString::fromStdString(*m_snapshot.modelProblem));
        return;
    }
    startIndex();
}

void LibraryTab::startIndex(const QStringList& roots)
{
    if (m_runner.isRunning()) {
        // Remember it; the job ending starts the next one.
        if (roots.isEmpty())
            m_queuedAll = true;
        for (const QString& r : roots)
            if (!m_queuedRoots.contains(r))
                m_queuedRoots << r;
        return;
    }
    std::vector<std::string> list;
    for (const QString& r : roots)
        list.push_back(r.toStdString());
    auto report = std::make_shared<vop::library::IndexReport>();
    m_indexReport = report;
    m_jobKind = JobKind::Index;
    m_banner->dismiss();
    vop::service::LibraryService* service = &m_service;
    m_runner.start([service, list, report](vop::service::JobControl& job) { *report = service->index(list, job); });
}

void LibraryTab::rebuildIndex()
{
    if (m_runner.isRunning())
        return;
    auto report = std::make_shared<vop::service::RebuildReport>();
    m_rebuildReport = report;
    m_jobKind = JobKind::Rebuild;
    m_banner->dismiss();
    vop::service::LibraryService* service = &m_service;
    m_runner.start([service, report](vop::service::JobControl& job) { *report = service->rebuildIndexes(job); });
}

void LibraryTab::onJobStarted()
{
    m_liveVectors = -1;
    updateButtons();
}

void LibraryTab::onJobEnded()
{
    const JobKind kind = m_jobKind;
    m_jobKind = JobKind::None;
    m_liveVectors = -1;
    const auto state = m_runner.state();
    QString summary;
    if (kind == JobKind::Index && m_indexReport) {
        const auto& r = *m_indexReport;
        summary = tr("Last run: %1 indexed, %2 skipped, %3 failed; %4, %5")
                      .arg(counted(int64_t(r.indexed.size()), "%1 file", "%1 files"))
                      .arg(r.skipped.size())
                      .arg(r.failed.size())
                      .arg(counted(r.segments, "%1 segment", "%1 segments"))
                      .arg(counted(r.frames, "%1 frame", "%1 frames"));
        summary += r.timings.wall > 0.5 ? tr(" in %1.").arg(JobPanel::formatDuration(r.timings.wall))
                                        : QStringLiteral(".");
        if (state == vop::service::JobState::Finished && !r.failed.empty())
            m_banner->showMessage(tr("%1 could not be indexed.")
                                      .arg(counted(int64_t(r.failed.size()), "%1 file", "%1 files")),
                                  tr("The other videos are searchable. See the reasons to fix or remove them."),
                                  ErrorBanner::Level::Warning, tr("Show problems"));
    } else if (kind == JobKind::Rebuild && m_rebuildReport) {
        size_t vectors = 0;
        for (const auto& s : m_rebuildReport->spaces)
            vectors += s.vectors;
        summary = tr("Last run: rebuilt %1, %2.")
                      .arg(counted(int64_t(m_rebuildReport->spaces.size()), "%1 index", "%1 indexes"))
                      .arg(counted(int64_t(vectors), "%1 vector", "%1 vectors"));
    }
    const QString what = kind == JobKind::Rebuild ? tr("Rebuilding the index") : tr("Indexing");
    if (state == vop::service::JobState::Cancelled) {
        summary = tr("Cancelled. ") + summary;
        Q_EMIT statusMessage(tr("%1 cancelled").arg(what));
    } else if (state == vop::service::JobState::Failed) {
        summary = tr("The last run failed.");
        m_banner->showMessage(tr("%1 stopped with an error.").arg(what), m_runner.errorMessage());
        Q_EMIT statusMessage(tr("%1 failed").arg(what));
    } else {
        Q_EMIT statusMessage(summary);
    }
    m_panel->setIdleText(summary);
    m_indexReport.reset();
    m_rebuildReport.reset();
    updateButtons();
    refresh(false);
    if (state != vop::service::JobState::Cancelled && state != vop::service::JobState::Failed)
        startNextQueued();
    else { // the user stopped it, or it cannot work now
        m_queuedAll = false;
        m_queuedRoots.clear();
    }
}

void LibraryTab::handleSwitch(const LibrarySnapshot& s)
{
    if (s.model != m_service.modelSettings())
        return; // a snapshot taken before the change: the next one decides
    m_switchPending = false;
    const auto& a = s.status.active;
    if (s.modelProblem || !a.known)
        return;
    const QString set = s.model.prompts.empty() ? tr("zero-shot CLIP") : fileName(s.model.prompts);
    if (a.complete()) {
        const QString text = a.textOnly
                                 ? tr("%1 has text prompts only: the library's zero-shot index answers at once, "
                                      "nothing is re-encoded.")
                                       .arg(set)
                                 : tr("The library is already encoded for %1.").arg(set);
        m_banner->showMessage(text, {}, ErrorBanner::Level::Info);
        Q_EMIT statusMessage(text);
        return;
    }
    const QString text = tr("Encoding the library for %1 (%2 of %3 segments so far).")
                             .arg(set)
                             .arg(a.embeddings)
                             .arg(a.segments);
    const QString meanwhile =
        a.fromPreviousSet ? tr("Until it is done, searches are answered by %1. Pause or cancel it below; "
                               "the next scan picks it up again.")
                                .arg(QString::fromStdString(a.answeredBy))
                          : tr("Searches use what is encoded so far. Pause or cancel it below; the next scan "
                               "picks it up again.");
    startIndex();
    m_banner->showMessage(text, meanwhile, ErrorBanner::Level::Info);
    Q_EMIT statusMessage(text);
}

void LibraryTab::startNextQueued()
{
    if (!m_queuedAll && m_queuedRoots.isEmpty())
        return;
    const QStringList roots = m_queuedAll ? QStringList() : m_queuedRoots;
    m_queuedAll = false;
    m_queuedRoots.clear();
    startIndex(roots);
}

void LibraryTab::refresh(bool inspect)
{
    if (m_refresh.isRunning()) {
        m_refreshAgain = true;
        m_inspectAgain = m_inspectAgain || inspect;
        return;
    }
    if (inspect)
        m_health->setText(tr("Checking the index…"));
    vop::service::LibraryService* service = &m_service;
    m_refresh.setFuture(QtConcurrent::run([service, inspect] { return takeSnapshot(service, inspect); }));
}

void LibraryTab::onServiceEvent(const vop::service::LibraryEvent& e)
{
    using K = vop::service::LibraryEvent::Kind;
    if (e.kind == K::IndexGrew) {
        m_liveVectors = e.count;
        // Cheap: only the vector count changes between snapshots while indexing.
        applySnapshot(m_snapshot);
        return;
    }
    if (e.kind == K::ModelChanged && e.text == "settings")
        m_switchPending = true;
    m_refreshSoon.start();
}

void LibraryTab::applySnapshot(const LibrarySnapshot& s)
{
    m_snapshot = s;
    if (!s.error.empty()) {
        m_banner->showMessage(tr("Could not read the library's status."), QString::fromStdString(s.error));
        Q_EMIT refreshed();
        return;
    }
    m_rootsModel->setRoots(s.status.roots);
    QStringList roots;
    for (const auto& r : s.status.roots)
        if (r.mounted)
            roots << QString::fromStdString(r.path);
    m_watcher->setRoots(roots);

    // Model ----------------------------------------------------------------------------------
    const vop::service::SpaceStatus* active = nullptr;
    for (const auto& sp : s.status.spaces)
        if (sp.active)
            active = &sp;
    QString model;
    if (s.modelProblem) {
        model = tr("<b>No model.</b> %1<br>Browsing the library works; indexing and search need the model "
                   "(File → Settings… chooses one).")
                    .arg(QString::fromStdString(*s.modelProblem).toHtmlEscaped());
    } else {
        const QString ckpt = s.model.checkpoint.empty() ? tr("ViT-B-32.pt (default)") : fileName(s.model.checkpoint);
        const QString prompts = s.model.prompts.empty() ? tr("none (zero-shot CLIP)") : fileName(s.model.prompts);
        model = tr("<b>%1</b><br>Prompt set: %2<br>Device: %3 · threads: %4")
                    .arg(ckpt.toHtmlEscaped(), prompts.toHtmlEscaped(),
                         QString::fromStdString(s.model.device).toHtmlEscaped(),
                         s.model.threads > 0 ? QString::number(s.model.threads) : tr("all cores"));
        if (active)
            model += tr("<br>Embeddings: %1, %2 dimensions")
                         .arg(active->variant == "zero" ? tr("zero-shot")
                                                        : QString::fromStdString(active->variant).toHtmlEscaped())
                         .arg(active->dim);
        const auto& a = s.status.active;
        if (a.known && a.textOnly)
            model += tr("<br>Text prompts only: videos are searched in the zero-shot index");
        if (a.known && a.fromPreviousSet)
            model += tr("<br>Encoded for this set: %1 of %2 segments; until then searches use %3")
                         .arg(a.embeddings)
                         .arg(a.segments)
                         .arg(QString::fromStdString(a.answeredBy).toHtmlEscaped());
    }
    m_model->setText(model);
    if (m_switchPending)
        handleSwitch(s);

    // Index health -------------------------------------------------------------------------------
    const auto& c = s.status.counts;
    QStringList lines;
    lines << tr("Catalog: %1").arg(QDir::toNativeSeparators(QString::fromStdString(s.status.dbPath)).toHtmlEscaped());
    if (!s.status.exists) {
        lines << tr("No catalog yet: add a folder to start one.");
    } else {
        lines << tr("%1 videos · %2 indexed · %3 pending · %4 with problems · %5 offline")
                     .arg(count(c.files), count(c.indexedFiles), count(c.pendingFiles),
                          count(c.failedFiles + c.skippedFiles), count(c.offlineFiles));
        lines << tr("%1 segments · %2 embeddings").arg(count(c.segments), count(c.embeddings));
        if (active) {
            QString vectors = active->indexVectors >= 0 ? count(active->indexVectors) : QString();
            if (m_liveVectors >= 0)
                vectors = tr("%1 (growing while indexing)").arg(count(m_liveVectors));
            lines << tr("Active space: %1 embeddings%2")
                         .arg(count(active->embeddings))
                         .arg(vectors.isEmpty() ? QString() : tr(" · %1 vectors in the index").arg(vectors));
            if (active->indexState == "loaded") {
                lines << tr("Index: loaded in memory");
            } else if (!active->indexState.empty()) {
                const bool ok = active->indexState == "ok";
                lines << (ok ? tr("Index: ok") : tr("<span style='color:#b03a2e'>Index: %1</span> (rebuilt "
                                                    "automatically at the next search or index run, or press "
                                                    "\"Rebuild index\")")
                                                     .arg(QString::fromStdString(active->indexState).toHtmlEscaped()));
            }
        } else if (!s.modelProblem) {
            lines << tr("Nothing indexed with this model yet.");
        }
        if (!s.status.integrity.empty())
            lines << (s.status.integrity == "ok"
                          ? tr("Catalog integrity: ok")
                          : tr("<span style='color:#b03a2e'>Catalog integrity: %1</span>")
                                .arg(QString::fromStdString(s.status.integrity).toHtmlEscaped()));
        if (!s.inspected && (!active || active->indexState.empty() || active->indexState == "loaded"))
            lines << tr("<i>\"Check index\" compares the index files with the catalog.</i>");
    }
    m_health->setText(lines.join(QStringLiteral("<br>")));

    updateButtons();
    Q_EMIT refreshed();
}

void LibraryTab::showProblems()
{
    std::vector<vop::service::FileProblem> problems;
    try {
        problems = m_service.fileProblems();
    } catch (const std::exception& e) {
        m_banner->showMessage(tr("Could not list the files with problems."), QString::fromUtf8(e.what()));
        return;
    }
    FileProblemsDialog dialog(problems, selectedRoot(), this);
    dialog.exec();
}

void LibraryTab::updateButtons()
{
    const bool running = m_runner.isRunning();
    const bool haveRoots = m_rootsModel->rowCount() > 0;
    m_remove->setEnabled(!running && !selectedRoot().isEmpty());
    m_scan->setEnabled(haveRoots);
    m_problems->setEnabled(haveRoots);
    m_rebuild->setEnabled(!running && m_snapshot.status.exists);
    m_check->setEnabled(m_snapshot.status.exists);
    m_scan->setToolTip(m_snapshot.modelProblem
                           ? tr("Indexing needs the CLIP model; see the Model box")
                           : tr("Look for new, changed and removed videos in every folder and index them (F5)"));
}

} // namespace vop::ui
