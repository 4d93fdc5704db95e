// The Library tab over a real library service, a real catalog and the toy CLIP model: folders
// are added (button path and drop), indexed in the background, and the job panel pauses,
// resumes and cancels the real index job while the UI thread keeps processing events; failures
// reach the banner; a change in a watched folder starts an incremental index job.
#include "CliRunner.h"
#include "LibraryTabFixture.h"

#include "common/ErrorBanner.h"
#include "library/FileProblemsDialog.h"
#include "library/JobPanel.h"
#include "library/LibraryTab.h"
#include "library/LibraryWatcher.h"
#include "library/RootsModel.h"
#include "library/RootsView.h"

#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTimer>
#include <QUrl>
#include <QtTest>

#include <filesystem>

using namespace vop::test::ui;
using vop::ui::JobRunner;
using vop::ui::LibraryTab;

namespace {

template <class T>
T* findByAccessibleName(QWidget& root, const QString& name)
{
    for (T* w : root.findChildren<T*>())
        if (w->accessibleName() == name)
            return w;
    return nullptr;
}

// Re-reads the status and waits until the tab shows it.
bool refreshed(LibraryTab& tab)
{
    QSignalSpy spy(&tab, &LibraryTab::refreshed);
    tab.refresh(false);
    return spy.wait(60000);
}

int64_t indexedFiles(LibraryTab& tab)
{
    return tab.snapshot().status.counts.indexedFiles;
}

} // namespace

class TestLibraryTab : public QObject {
    Q_OBJECT
    std::string m_videos;
    std::unique_ptr<vop::service::LibraryService> m_service;
    std::unique_ptr<LibraryTab> m_tab;
    static constexpr int kVideos = 16;

private Q_SLOTS:
    void initTestCase()
    {
        m_videos = freshDir("videos");
        QVERIFY(makeShapesLibrary(m_videos, kVideos));
        vop::test::writeBytes(m_videos + "/broken.mp4", std::string(4096, '\x7f')); // not a video
        m_service = std::make_unique<vop::service::LibraryService>(
            toyLibraryOptions(freshDir("catalog") + "/library.sqlite3"));
        QVERIFY(!m_service->modelProblem());
        m_tab = std::make_unique<LibraryTab>(*m_service);
        m_tab->resize(1000, 640);
        m_tab->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_tab.get()));
    }

    void controlsHaveTheirAccessibleNames()
    {
        for (const char* name : {"Add folder", "Scan now", "Pause", "Resume", "Cancel"})
            QVERIFY2(findByAccessibleName<QPushButton>(*m_tab, QString::fromLatin1(name)), name);
        QVERIFY(findByAccessibleName<QProgressBar>(*m_tab, QStringLiteral("Indexing progress")));
        // Nothing runs: only adding is possible.
        QVERIFY(!findByAccessibleName<QPushButton>(*m_tab, QStringLiteral("Pause"))->isEnabled());
        QVERIFY(!findByAccessibleName<QPushButton>(*m_tab, QStringLiteral("Cancel"))->isEnabled());
        QVERIFY(findByAccessibleName<QPushButton>(*m_tab, QStringLiteral("Add folder"))->isEnabled());
    }

    // Pause and Cancel on a real index job: paused at once, it holds while the UI thread keeps
    // processing events, and a cancel ends it even while paused.
    void jobPanelPausesAndCancelsARealIndexJob()
    {
        JobRunner& runner = m_tab->jobRunner();
        QPushButton* pause = findByAccessibleName<QPushButton>(*m_tab, QStringLiteral("Pause"));
        QPushButton* resume = findByAccessibleName<QPushButton>(*m_tab, QStringLiteral("Resume"));
        QPushButton* cancel = findByAccessibleName<QPushButton>(*m_tab, QStringLiteral("Cancel"));
        QSignalSpy pausedChanged(&runner, &JobRunner::pausedChanged);
        QSignalSpy cancelled(&runner, &JobRunner::cancelled);
        QSignalSpy finished(&runner, &JobRunner::finished);

        // A timer on the UI thread: it must keep firing whatever the job does.
        int ticks = 0;
        QTimer timer;
        connect(&timer, &QTimer::timeout, this, [&] { ++ticks; });
        timer.start(10);

        QVERIFY(m_tab->addFolders({QString::fromStdString(m_videos)})); // adds and starts indexing
        QVERIFY(runner.isRunning());
        QVERIFY(pause->isEnabled());
        QVERIFY(!resume->isEnabled());
        pause->click();
        QVERIFY(!pause->isEnabled());
        QVERIFY(resume->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(pausedChanged.count() >= 1, 120000);
        QCOMPARE(pausedChanged.last().at(0).toBool(), true);
        QVERIFY(m_tab->jobPanel()->phaseText().startsWith(QStringLiteral("Paused")));

        // Paused: the UI thread keeps running; the job neither ends nor leaves its pause.
        const int ticksAtPause = ticks;
        QTRY_VERIFY_WITH_TIMEOUT(ticks >= ticksAtPause + 30, 60000);
        QVERIFY(runner.isRunning());
        QVERIFY(runner.lastProgress().paused);
        QCOMPARE(finished.count(), 0);

        cancel->click();
        QVERIFY(!cancel->isEnabled()); // once is enough
        QTRY_VERIFY_WITH_TIMEOUT(cancelled.count() == 1, 120000);
        QCOMPARE(finished.count(), 0);
        QVERIFY(!runner.isRunning());
        QVERIFY(!pause->isEnabled() && !resume->isEnabled() && !cancel->isEnabled());
        QCOMPARE(m_tab->jobPanel()->phaseText(), QStringLiteral("Idle"));

        QVERIFY(refreshed(*m_tab));
        QVERIFY(indexedFiles(*m_tab) < kVideos); // paused before it could index everything
        QCOMPARE(m_tab->rootsModel()->rowCount(), 1);
    }

    // Scan now, paused at once and resumed: the job can only finish when Resume reached it.
    void scanNowPausedAndResumedFinishesTheLibrary()
    {
        JobRunner& runner = m_tab->jobRunner();
        QSignalSpy pausedChanged(&runner, &JobRunner::pausedChanged);
        QSignalSpy finished(&runner, &JobRunner::finished);
        QPushButton* scan = findByAccessibleName<QPushButton>(*m_tab, QStringLiteral("Scan now"));
        QPushButton* pause = findByAccessibleName<QPushButton>(*m_tab, QStringLiteral("Pause"));
        QPushButton* resume = findByAccessibleName<QPushButton>(*m_tab, QStringLiteral("Resume"));
        int ticks = 0;
        QTimer timer;
        connect(&timer, &QTimer::timeout, this, [&] { ++ticks; });
        timer.start(10);

        QVERIFY(scan->isEnabled());
        scan->click();
        QVERIFY(runner.isRunning());
        pause->click();
        QTRY_VERIFY_WITH_TIMEOUT(pausedChanged.count() >= 1, 120000);
        const int ticksAtPause = ticks;
        QTRY_VERIFY_WITH_TIMEOUT(ticks >= ticksAtPause + 30, 60000);
        QCOMPARE(finished.count(), 0);
        QVERIFY(runner.isRunning());

        resume->click();
        QVERIFY(pause->isEnabled());
        QVERIFY(!resume->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 300000);
        QCOMPARE(pausedChanged.last().at(0).toBool(), false);
        QVERIFY(m_tab->jobPanel()->progressBar()->accessibleName() == QStringLiteral("Indexing progress"));

        QVERIFY(refreshed(*m_tab));
        QCOMPARE(indexedFiles(*m_tab), int64_t(kVideos));
        const auto& root = m_tab->rootsModel()->roots().at(0);
        QCOMPARE(root.indexed, int64_t(kVideos));
        QCOMPARE(root.failed + root.skipped, int64_t(1));
        const QString failedCell =
            m_tab->rootsModel()->index(0, vop::ui::RootsModel::Failed).data().toString();
        QCOMPARE(failedCell, QStringLiteral("1"));

        // The reason is there on demand.
        const auto problems = m_service->fileProblems();
        vop::ui::FileProblemsDialog dialog(problems, QString::fromStdString(m_videos));
        QCOMPARE(dialog.rowCount(), 1);
        vop::ui::FileProblemsDialog elsewhere(problems, QStringLiteral("/somewhere/else"));
        QCOMPARE(elsewhere.rowCount(), 0);

        saveScreenshot(*m_tab, QStringLiteral("library-tab.png"));
    }

    void aChangeInAWatchedFolderStartsAnIncrementalIndex()
    {
        JobRunner& runner = m_tab->jobRunner();
        QSignalSpy finished(&runner, &JobRunner::finished);
        m_tab->watcher()->setDebounceMs(200);
        QTRY_VERIFY_WITH_TIMEOUT(m_tab->watcher()->watchedFolderCount() >= 1, 30000);
        QSignalSpy changed(m_tab->watcher(), &vop::ui::LibraryWatcher::changed);
        // Not a video (like the catalog's own files or a text note): no index job.
        vop::test::writeBytes(m_videos + "/notes.txt", "not a video");
        QTest::qWait(1500);
        QCOMPARE(changed.count(), 0);
        QVERIFY(!runner.isRunning());

        const std::string extra = freshDir("extra");
        QVERIFY(makeShapesLibrary(extra, 1));
        std::filesystem::rename(extra + "/0-red.mp4", m_videos + "/new-red.mp4");
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() >= 1, 300000);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.at(0).at(0).toStringList(), QStringList{QString::fromStdString(m_videos)});
        QVERIFY(refreshed(*m_tab));
        QCOMPARE(indexedFiles(*m_tab), int64_t(kVideos + 1));

        // F5 scans from the keyboard (nothing new: the run finishes at once).
        m_tab->rootsView()->setFocus();
        QTest::keyClick(m_tab->rootsView(), Qt::Key_F5);
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() >= 2, 120000);
    }

    void errorsReachTheBannerAndTheAppGoesOn()
    {
        JobRunner& runner = m_tab->jobRunner();
        QSignalSpy failed(&runner, &JobRunner::failed);
        // Not a folder: refused at once, with the reason.
        QVERIFY(!m_tab->addFolders({QStringLiteral("/no/such/folder")}));
        QVERIFY(m_tab->banner()->isVisible());
        QVERIFY(m_tab->banner()->text().contains(QStringLiteral("/no/such/folder")));
        QVERIFY(!m_tab->banner()->hint().isEmpty());
        m_tab->banner()->dismiss();

        // A job that throws inside the core ends as a failure on the banner.
        m_tab->startIndex({QStringLiteral("/no/such/folder")});
        QTRY_VERIFY_WITH_TIMEOUT(failed.count() == 1, 60000);
        QVERIFY(m_tab->banner()->isVisible());
        QVERIFY(!m_tab->banner()->hint().isEmpty());
        QVERIFY(!runner.isRunning());
    }

    void aDroppedFolderBecomesARootAndRemovingForgetsIt()
    {
        const std::string dropped = freshDir("dropped");
        auto* mime = new QMimeData;
        mime->setUrls({QUrl::fromLocalFile(QString::fromStdString(dropped)),
                       QUrl::fromLocalFile(QString::fromStdString(m_videos + "/0-red.mp4"))}); // a file: ignored
        QCOMPARE(vop::ui::droppedFolders(mime), QStringList{QString::fromStdString(dropped)});
        QWidget* viewport = m_tab->rootsView()->viewport();
        const QPoint at = viewport->rect().center();
        QDragEnterEvent enter(at, Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(viewport, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(at, Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(viewport, &drop);
        delete mime;
        QTRY_VERIFY_WITH_TIMEOUT(!m_tab->jobRunner().isRunning(), 120000);
        QVERIFY(refreshed(*m_tab));
        QCOMPARE(m_tab->rootsModel()->rowCount(), 2);

        QVERIFY(m_tab->removeFolder(QString::fromStdString(dropped), false));
        QVERIFY(refreshed(*m_tab));
        QCOMPARE(m_tab->rootsModel()->rowCount(), 1);
        QCOMPARE(m_tab->rootsModel()->pathAt(0).toStdString(), std::filesystem::canonical(m_videos).string());
    }

    // Closing the window mid-job: the tab cancels its job and waits for it, nothing hangs and
    // the service is free for the next indexer.
    void destroyingTheTabMidJobEndsTheJob()
    {
        auto tab = std::make_unique<LibraryTab>(*m_service);
        QSignalSpy started(&tab->jobRunner(), &JobRunner::started);
        tab->startIndex();
        QCOMPARE(started.count(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(!tab->jobRunner().lastProgress().phase.isEmpty(), 120000);
        tab.reset();
        QVERIFY(!m_service->isIndexing());
        QSignalSpy finished(&m_tab->jobRunner(), &JobRunner::finished);
        m_tab->startIndex();
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 120000);
    }

    // Switching the active prompt set: a text-only set needs no job; a set with visual prompts
    // starts the re-encode as the tab's index job, searches answer from the previous set until
    // it is done.
    void switchingTheActiveSetReencodesOnlyWhenNeeded()
    {
        JobRunner& runner = m_tab->jobRunner();
        QTRY_VERIFY_WITH_TIMEOUT(!runner.isRunning(), 120000);
        if (m_service->status().counts.indexedFiles == 0) { // run alone: index the library first
            QSignalSpy indexed(&runner, &JobRunner::finished);
            QVERIFY(m_tab->addFolders({QString::fromStdString(m_videos)}));
            QTRY_VERIFY_WITH_TIMEOUT(indexed.count() >= 1, 300000);
        }
        const auto zero = m_service->modelSettings();
        const std::string sets = freshDir("sets");
        auto promptSet = [&sets](const std::string& name, int visualLength) {
            const std::string out = sets + "/" + name + ".safetensors";
            const auto r = vop::test::runCommand(VOPSEARCH_CLI, "prompts new --variant vop --frames 4 --text-length 2"
                                                                " --visual-length " + std::to_string(visualLength) +
                                                                " --checkpoint " + vop::test::shellQuote(toyCheckpoint()) +
                                                                " --out " + vop::test::shellQuote(out), true);
            return r.code == 0 ? out : std::string();
        };
        const std::string textOnly = promptSet("text-only", 0), visual = promptSet("visual", 2);
        QVERIFY(!textOnly.empty() && !visual.empty());
        vop::service::SearchRequest query;
        query.text = "a red square";
        QSignalSpy started(&runner, &JobRunner::started);
        QSignalSpy finished(&runner, &JobRunner::finished);

        auto s = zero;
        s.prompts = textOnly;
        m_service->setModelSettings(s);
        QTRY_VERIFY_WITH_TIMEOUT(m_tab->banner()->text().contains(QStringLiteral("text prompts only")), 60000);
        QCOMPARE(started.count(), 0);
        QVERIFY(!m_service->search(query).fromPreviousSet);

        s.prompts = visual;
        m_service->setModelSettings(s);
        QTRY_VERIFY_WITH_TIMEOUT(started.count() == 1, 60000);
        QVERIFY(m_tab->banner()->text().contains(QStringLiteral("Encoding the library")));
        QVERIFY(m_tab->banner()->hint().contains(QStringLiteral("text-only.safetensors")));
        runner.pause();
        const auto during = m_service->search(query);
        QVERIFY(during.fromPreviousSet);
        QVERIFY(!during.moments.empty());
        saveScreenshot(*m_tab, QStringLiteral("library-tab-switching.png"));
        runner.resume();
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 300000);
        const auto after = m_service->search(query);
        QVERIFY(!after.fromPreviousSet);
        QVERIFY(QString::fromStdString(after.answeredBy).contains(QStringLiteral("visual.safetensors")));

        m_service->setModelSettings(zero); // the library is encoded for it: no job
        QTRY_VERIFY_WITH_TIMEOUT(m_tab->banner()->text().contains(QStringLiteral("already encoded")), 60000);
        QCOMPARE(started.count(), 1);
    }

    void cleanupTestCase()
    {
        m_tab.reset();
        m_service.reset();
    }
};

QTEST_MAIN(TestLibraryTab)
#include "test_librarytab.moc"
