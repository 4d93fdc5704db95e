// The Search tab end to end on a real library: square videos of a few colours made with the
// ffmpeg CLI, indexed by a real LibraryService with the toy CLIP fixture (it knows coloured
// shapes), searched by typing into the "Search query" field. Also sorting and filters, find
// similar, export in every format, the keyboard and the preview, what an empty library and a
// missing model say, and screenshots under build/test-artifacts/.
#include "search/PreviewPane.h"
#include "search/ResultsModel.h"
#include "search/ResultsProxy.h"
#include "search/ResultsViews.h"
#include "search/SearchFilterBar.h"
#include "search/SearchTab.h"
#include "search/ThumbnailCache.h"
#include "service/LibraryService.h"

#include "TestFiles.h"
#include "TestMain.h" // sharedDir()

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QListView>
#include <QMediaPlayer>
#include <QMenu>
#include <QMimeData>
#include <QPushButton>
#include <QScreen>
#include <QTableView>
#include <QtTest>

#include <memory>
#include <utime.h>

using namespace vop;
using vop::ui::ResultsModel;
using vop::ui::SearchTab;

namespace {

constexpr int kSearchTimeoutMs = 120000; // the first search loads the model on a busy machine

struct Video {
    const char* rel;
    const char* colour; // ffmpeg colour
    int x, y;           // the square's corner in a 64 x 64 frame
    double seconds;
    bool old;           // modified in 2020
};
const Video kVideos[] = {
    {"warm/red_square.mp4", "0xFF0000", 20, 20, 3, false},
    {"warm/red_square_small.mp4", "0xFF0000", 8, 30, 1.5, true},
    {"warm/yellow_square.mp4", "0xFFFF00", 20, 20, 3, false},
    {"cool/green_square.mp4", "0x00FF00", 20, 20, 3, false},
    {"cool/blue_square.mp4", "0x0000FF", 30, 10, 1.5, true},
    {"cool/blue_square_2.mp4", "0x0000FF", 14, 24, 3, false},
};

QString root()
{
    return QString::fromStdString(vop::test::runTempDir()) + "/videos";
}

void makeVideo(const Video& v)
{
    const QString path = root() + "/" + v.rel;
    QDir().mkpath(QFileInfo(path).absolutePath());
    const std::string cmd =
        "ffmpeg -nostdin -hide_banner -v error -y -f lavfi -i color=c=black:s=64x64:r=8:d=" +
        std::to_string(v.seconds) + " -vf drawbox=x=" + std::to_string(v.x) + ":y=" + std::to_string(v.y) +
        ":w=24:h=24:color=" + v.colour + ":t=fill -c:v libx264 -preset ultrafast -pix_fmt yuv420p -threads 1 " +
        vop::test::shellQuote(path.toStdString());
    if (std::system(cmd.c_str()) != 0)
        QFAIL(qPrintable("ffmpeg failed (is the ffmpeg CLI installed?): " + QString::fromStdString(cmd)));
    // Old files in 2020; the others a minute ago (outside the scanner's settle window).
    const QDateTime when = v.old ? QDateTime(QDate(2020, 6, 1), QTime(12, 0)) : QDateTime::currentDateTime().addSecs(-60);
    struct utimbuf t {};
    t.actime = t.modtime = time_t(when.toSecsSinceEpoch());
    QCOMPARE(::utime(path.toLocal8Bit().constData(), &t), 0);
}

service::LibraryOptions options(const QString& db, const std::string& checkpoint)
{
    service::LibraryOptions o;
    o.dbPath = db.toStdString();
    o.model.checkpoint = checkpoint;
    o.model.vocab = vop::test::sharedDir() + "/clip/bpe_simple_vocab_16e6.txt.gz";
    o.model.device = "cpu";
    o.model.frames = 4;
    o.model.threads = 1;
    o.indexing.decodeWorkers = 1;
    return o;
}

std::string toyCheckpoint()
{
    return vop::test::sharedDir() + "/fixtures/clip-toy/model.safetensors";
}

template <class T>
T* byName(QWidget* root, const QString& name)
{
    for (T* w : root->findChildren<T*>())
        if (w->accessibleName() == name)
            return w;
    return nullptr;
}

QString readText(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

void saveArtifact(QWidget* w, const QString& name)
{
    const QString dir = QStringLiteral(VOP_TEST_ARTIFACTS);
    QDir().mkpath(dir);
    // On a real display (e.g. Xvfb) the screen holds what the video sink drew; offscreen, the
    // widgets' own painting is all there is.
    const bool onScreen = QGuiApplication::platformName() == QLatin1String("xcb");
    const QPixmap shot = onScreen ? w->screen()->grabWindow(w->winId()) : w->grab();
    QVERIFY(shot.save(dir + "/" + name));
    qInfo("screenshot: %s/%s", qPrintable(dir), qPrintable(name));
}

} // namespace

class TestSearchTab : public QObject {
    Q_OBJECT
    std::unique_ptr<service::LibraryService> m_service;
    std::unique_ptr<SearchTab> m_tab;
    QSignalSpy* m_finished = nullptr;

    ui::ResultsProxy* proxy() const { return m_tab->proxy(); }
    QString name(int row) const { return proxy()->index(row, 0).data(ResultsModel::FileNameRole).toString(); }
    QString path(int row) const { return proxy()->index(row, 0).data(ResultsModel::PathRole).toString(); }
    QStringList names() const
    {
        QStringList out;
        for (int r = 0; r < proxy()->rowCount(); ++r)
            out << name(r);
        return out;
    }
    // Waits for the next searchFinished.
    bool waitForSearch(int before)
    {
        return QTest::qWaitFor([&] { return m_finished->count() > before; }, kSearchTimeoutMs);
    }
    void typeQuery(const QString& text)
    {
        QLineEdit* field = byName<QLineEdit>(m_tab.get(), "Search query");
        QVERIFY(field);
        field->clear();
        QTest::keyClicks(field, text);
        const int before = m_finished->count();
        QTest::keyClick(field, Qt::Key_Return);
        QVERIFY(m_tab->isSearching());
        QVERIFY2(waitForSearch(before), "the search finished");
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("vopsearch-tests");
        QCoreApplication::setApplicationName("test_search_tab");
        QSettings().clear();
        for (const auto& v : kVideos)
            makeVideo(v);
        const QString db = QString::fromStdString(vop::test::runTempDir()) + "/library.db";
        m_service = std::make_unique<service::LibraryService>(options(db, toyCheckpoint()));
        QVERIFY(!m_service->modelProblem());
        m_service->addRoot(root().toStdString());
        service::JobControl job;
        auto out = service::runJob<library::IndexReport>(job, [&](service::JobControl& c) {
            return m_service->index({}, c);
        });
        QVERIFY2(out.ok(), out.error.c_str());
        QCOMPARE(int(out.result->indexed.size()), int(std::size(kVideos)));

        m_tab = std::make_unique<SearchTab>(*m_service);
        m_finished = new QSignalSpy(m_tab.get(), &SearchTab::searchFinished);
        m_tab->resize(1280, 800);
        m_tab->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_tab.get()));
        m_tab->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(m_tab.get()));
        // The library can be searched: the hint says how.
        QTRY_VERIFY(m_tab->views()->hintText().contains("press Enter"));
    }

    void cleanupTestCase()
    {
        delete m_finished;
        m_tab.reset();
        m_service.reset();
    }

    void typedQueryFindsTheRightColour()
    {
        typeQuery("a red square");
        QVERIFY(!m_tab->views()->isShowingHint());
        QCOMPARE(proxy()->rowCount(), int(std::size(kVideos))); // one moment per file (merged)
        QVERIFY2(name(0).startsWith("red_square"), qPrintable(names().join(", ")));
        QVERIFY(m_tab->statusText().contains(QStringLiteral("6 moments")));
        QVERIFY(m_tab->statusText().contains(QStringLiteral(" s")));
        // Thumbnails arrive from the catalog.
        const qint64 seg = proxy()->index(0, 0).data(ResultsModel::SegmentIdRole).toLongLong();
        QTRY_VERIFY(m_tab->thumbnails()->contains(seg));

        typeQuery("a blue square");
        QVERIFY2(name(0).startsWith("blue_square"), qPrintable(names().join(", ")));
        // Negative terms: the CLI's syntax reaches the core.
        typeQuery("a square -blue -red");
        QVERIFY2(!name(0).startsWith("blue") && !name(0).startsWith("red"), qPrintable(names().join(", ")));
    }

    void aNewerQuerySupersedesAnOlderOne()
    {
        QLineEdit* field = byName<QLineEdit>(m_tab.get(), "Search query");
        const int before = m_finished->count();
        field->setText("a red square");
        QTest::keyClick(field, Qt::Key_Return);
        field->setText("a blue square");
        QTest::keyClick(field, Qt::Key_Return);
        QVERIFY(waitForSearch(before));
        QTRY_VERIFY_WITH_TIMEOUT(!m_tab->isSearching(), kSearchTimeoutMs);
        QCOMPARE(m_finished->count(), before + 1); // the first one's results were dropped
        QVERIFY2(name(0).startsWith("blue_square"), qPrintable(names().join(", ")));
    }

    void sortAndFilterChangeTheResults()
    {
        typeQuery("a red square");
        auto* sort = byName<QComboBox>(m_tab.get(), "Sort by");
        QVERIFY(sort);
        sort->setCurrentIndex(sort->findText("Name"));
        QCOMPARE(names(), QStringList({"blue_square.mp4", "blue_square_2.mp4", "green_square.mp4", "red_square.mp4",
                                       "red_square_small.mp4", "yellow_square.mp4"}));
        sort->setCurrentIndex(sort->findText("Newest first"));
        QVERIFY(names().mid(4).contains("red_square_small.mp4") && names().mid(4).contains("blue_square.mp4"));
        sort->setCurrentIndex(sort->findText("Shortest video first"));
        QVERIFY(names().mid(0, 2).contains("red_square_small.mp4") && names().mid(0, 2).contains("blue_square.mp4"));
        sort->setCurrentIndex(sort->findText("Best match"));
        QVERIFY(name(0).startsWith("red_square"));
        for (int r = 1; r < proxy()->rowCount(); ++r)
            QVERIFY(proxy()->index(r - 1, 0).data(ResultsModel::ScoreRole).toDouble() >=
                    proxy()->index(r, 0).data(ResultsModel::ScoreRole).toDouble());

        // Minimum score (the proxy): in the widest gap between two neighbours.
        int gapAt = 0;
        double widest = -1;
        for (int r = 0; r + 1 < proxy()->rowCount(); ++r) {
            const double gap = proxy()->index(r, 0).data(ResultsModel::ScoreRole).toDouble() -
                               proxy()->index(r + 1, 0).data(ResultsModel::ScoreRole).toDouble();
            if (gap > widest)
                widest = gap, gapAt = r;
        }
        QVERIFY2(widest > 0.002, "the scores differ");
        const double lo = proxy()->index(gapAt + 1, 0).data(ResultsModel::ScoreRole).toDouble();
        m_tab->filterBar()->setMinimumScore(std::ceil((lo + widest / 2) * 1000) / 1000);
        QCOMPARE(proxy()->rowCount(), gapAt + 1);
        QVERIFY(m_tab->statusText().contains(QStringLiteral("of 6")));
        m_tab->filterBar()->setMinimumScore(-1);
        QCOMPARE(proxy()->rowCount(), 6);

        // Folder, length and dates go to the search: it runs again by itself.
        int before = m_finished->count();
        m_tab->filterBar()->setFolder(root() + "/cool");
        QVERIFY(waitForSearch(before));
        QCOMPARE(proxy()->rowCount(), 3);
        for (int r = 0; r < 3; ++r)
            QVERIFY(path(r).startsWith(root() + "/cool/"));
        before = m_finished->count();
        m_tab->filterBar()->setFolder(QString());
        m_tab->filterBar()->setDurationRange(0, 2); // at most 2 s: the 1.5 s videos
        QVERIFY(waitForSearch(before));
        const QStringList shortOnes = names();
        QCOMPARE(QSet<QString>(shortOnes.begin(), shortOnes.end()),
                 QSet<QString>({"red_square_small.mp4", "blue_square.mp4"}));
        before = m_finished->count();
        m_tab->filterBar()->setDurationRange(0, 0);
        m_tab->filterBar()->setModifiedRange(QDate(2024, 1, 1), QDate());
        QVERIFY(waitForSearch(before));
        QCOMPARE(proxy()->rowCount(), 4);
        QVERIFY(!names().contains("red_square_small.mp4") && !names().contains("blue_square.mp4"));
        before = m_finished->count();
        m_tab->filterBar()->reset();
        QVERIFY(waitForSearch(before));
        QCOMPARE(proxy()->rowCount(), 6);
    }

    void findSimilarReturnsOtherMoments()
    {
        typeQuery("a red square");
        auto* grid = byName<QListView>(m_tab.get(), "Results");
        QVERIFY(grid);
        int row = names().indexOf("red_square.mp4");
        QVERIFY(row >= 0);
        const qint64 seg = proxy()->index(row, 0).data(ResultsModel::SegmentIdRole).toLongLong();
        grid->setFocus();
        grid->setCurrentIndex(proxy()->index(row, 0));
        const int before = m_finished->count();
        QTest::keyClick(grid, Qt::Key_F, Qt::ControlModifier | Qt::ShiftModifier);
        QVERIFY2(waitForSearch(before), "Ctrl+Shift+F searched");
        QVERIFY(m_tab->statusText().contains("like red_square.mp4"));
        QCOMPARE(proxy()->rowCount(), 5); // every other file
        for (int r = 0; r < proxy()->rowCount(); ++r)
            QVERIFY(proxy()->index(r, 0).data(ResultsModel::SegmentIdRole).toLongLong() != seg);
        QVERIFY2(name(0) == "red_square_small.mp4", qPrintable(names().join(", "))); // same colour first
    }

    void exportEveryFormat()
    {
        typeQuery("a red square");
        const QString dir = QString::fromStdString(vop::test::runTempDir()) + "/playlists";
        QDir().mkpath(dir);
        QSignalSpy done(m_tab.get(), &SearchTab::exportFinished);
        auto exportAs = [&](const QString& file, search::PlaylistFormat f, bool relative, bool selected) {
            ui::ExportChoice c{dir + "/" + file, f, relative, selected};
            const int before = done.count();
            if (!m_tab->exportTo(c))
                return false;
            return QTest::qWaitFor([&] { return done.count() > before; }, 30000) && done.last().at(0).toBool();
        };
        QVERIFY(exportAs("r.m3u8", search::PlaylistFormat::M3u8, false, false));
        QVERIFY(m_tab->statusText().contains(dir + "/r.m3u8"));
        const QString m3u = readText(dir + "/r.m3u8");
        QVERIFY(m3u.startsWith("#EXTM3U"));
        QCOMPARE(m3u.count("#EXTINF:"), 6);
        QVERIFY(m3u.contains(path(0)));

        QVERIFY(exportAs("r.xspf", search::PlaylistFormat::Xspf, false, false));
        const QString xspf = readText(dir + "/r.xspf");
        QCOMPARE(xspf.count("<track>"), 6);
        QVERIFY(xspf.contains("<location>file://"));
        QVERIFY(xspf.contains("red square")); // the query is the title

        QVERIFY(exportAs("r.edl", search::PlaylistFormat::Edl, false, false));
        const QStringList edl = readText(dir + "/r.edl").split('\n', Qt::SkipEmptyParts);
        QCOMPARE(edl.value(0), QStringLiteral("# mpv EDL v0"));
        QCOMPARE(edl.size(), 7);

        QVERIFY(exportAs("r.csv", search::PlaylistFormat::Csv, false, false));
        const QStringList csv = readText(dir + "/r.csv").split('\n', Qt::SkipEmptyParts);
        QVERIFY(csv.value(0).startsWith("path,start,end"));
        QCOMPARE(csv.size(), 7);
        QVERIFY(csv.value(1).startsWith(path(0)) || csv.value(1).startsWith('"' + path(0)));

        QVERIFY(exportAs("r.json", search::PlaylistFormat::Json, false, false));
        const QJsonArray json = QJsonDocument::fromJson(readText(dir + "/r.json").toUtf8()).array();
        QCOMPARE(json.size(), 6);
        QCOMPARE(json.at(0).toObject().value("path").toString(), path(0));
        QCOMPARE(json.at(0).toObject().value("start").toDouble(), proxy()->index(0, 0).data(ResultsModel::StartRole).toDouble());

        // The order shown is the order written; relative paths; only the selected moments.
        auto* sort = byName<QComboBox>(m_tab.get(), "Sort by");
        sort->setCurrentIndex(sort->findText("Name"));
        auto* sel = m_tab->views()->selectionModel();
        sel->clearSelection();
        // As a click in the grid selects: the first column (the grid selects rows, the test need not).
        sel->select(proxy()->index(1, 0), QItemSelectionModel::Select);
        sel->select(proxy()->index(3, 0), QItemSelectionModel::Select);
        QVERIFY(exportAs("sel.m3u8", search::PlaylistFormat::M3u8, true, true));
        const QString rel = readText(dir + "/sel.m3u8");
        QCOMPARE(rel.count("#EXTINF:"), 2);
        QVERIFY(!rel.contains(root()));
        QVERIFY(rel.indexOf("blue_square_2.mp4") < rel.indexOf("red_square.mp4"));
        QVERIFY(rel.contains("../videos/cool/blue_square_2.mp4"));
        sort->setCurrentIndex(sort->findText("Best match"));

        // A readable failure.
        ui::ExportChoice bad{dir + "/no/such/folder/x.csv", search::PlaylistFormat::Csv, false, false};
        const int before = done.count();
        QVERIFY(m_tab->exportTo(bad));
        QTRY_VERIFY(done.count() > before);
        QCOMPARE(done.last().at(0).toBool(), false);
        QVERIFY(!done.last().at(1).toString().isEmpty());
        QVERIFY(m_tab->statusText().startsWith("Export failed"));
        // The Export button opens the save dialog; what it chooses is written.
        auto* button = byName<QPushButton>(m_tab.get(), "Export");
        QVERIFY(button && button->isEnabled());
        // The lambda never fails inside the modal loop (that would leave the dialog open): it
        // records what it saw and always closes the dialog.
        bool sawDialog = false, sawOptions = false, selectedByDefault = false;
        int filters = 0;
        QTimer::singleShot(0, this, [&] {
            auto* dialog = qobject_cast<QFileDialog*>(QApplication::activeModalWidget());
            if (!dialog)
                return;
            sawDialog = true;
            filters = int(dialog->nameFilters().size());
            QCheckBox *relative = nullptr, *selectedOnly = nullptr;
            for (auto* c : dialog->findChildren<QCheckBox*>()) {
                if (c->text() == "Relative paths")
                    relative = c;
                if (c->text() == "Only the 2 selected moments")
                    selectedOnly = c;
            }
            sawOptions = relative && selectedOnly;
            if (!sawOptions || filters != 5) {
                dialog->reject();
                return;
            }
            selectedByDefault = selectedOnly->isChecked(); // two results are still selected
            selectedOnly->setChecked(false);
            relative->setChecked(true);
            dialog->selectNameFilter(dialog->nameFilters().at(int(search::PlaylistFormat::Xspf)));
            dialog->selectFile(dir + "/from-dialog"); // no extension: the chosen filter's
            static_cast<QDialog*>(dialog)->accept(); // QFileDialog::accept, as the Save button does
        });
        const int beforeDialog = done.count();
        QTest::mouseClick(button, Qt::LeftButton);
        QVERIFY(sawDialog);
        QCOMPARE(filters, 5);
        QVERIFY(sawOptions);
        QVERIFY(selectedByDefault);
        QTRY_VERIFY(done.count() > beforeDialog);
        QVERIFY2(done.last().at(0).toBool(), qPrintable(done.last().at(1).toString()));
        QCOMPARE(done.last().at(1).toString(), dir + "/from-dialog.xspf");
        const QString fromDialog = readText(dir + "/from-dialog.xspf");
        QCOMPARE(fromDialog.count("<track>"), 6);
        QVERIFY(fromDialog.contains("<location>../videos/")); // relative
    }

    void keyboardPlaysAndPreviews()
    {
        m_tab->activateWindow(); // the export dialog had it
        QVERIFY(QTest::qWaitForWindowActive(m_tab.get()));
        typeQuery("a green square");
        QLineEdit* field = byName<QLineEdit>(m_tab.get(), "Search query");
        auto* grid = byName<QListView>(m_tab.get(), "Results");
        // Down from the query field lands on the first result.
        field->setFocus();
        QTest::keyClick(field, Qt::Key_Down);
        QVERIFY(grid->hasFocus());
        QCOMPARE(grid->currentIndex().row(), 0);
        QTest::keyClick(grid, Qt::Key_Right);
        QCOMPARE(grid->currentIndex().row(), 1);

        QTest::keyClick(grid, Qt::Key_Return);
        ui::PreviewPane* preview = m_tab->preview();
        QCOMPARE(preview->accessibleName(), QStringLiteral("Preview"));
        QCOMPARE(preview->source(), QUrl::fromLocalFile(path(1)));
        const double start1 = proxy()->index(1, 0).data(ResultsModel::StartRole).toDouble();
        QCOMPARE(preview->requestedPosition(), qint64(std::llround(start1 * 1000)));
        QCOMPARE(preview->momentEnd(), proxy()->index(1, 0).data(ResultsModel::EndRole).toDouble());
        QVERIFY(preview->isPlayRequested());

        QTest::keyClick(grid, Qt::Key_Right);
        QTest::keyClick(grid, Qt::Key_Space);
        QCOMPARE(preview->source(), QUrl::fromLocalFile(path(2)));
        QVERIFY(!preview->isPlayRequested()); // Space shows it, paused at the start
        QTest::keyClick(grid, Qt::Key_Space);
        QVERIFY(preview->isPlayRequested()); // and again plays it
        preview->pause();

        // The menu key opens the context menu at the current result, with every hand-off.
        QStringList menuItems;
        QTimer::singleShot(0, this, [&] {
            if (auto* menu = qobject_cast<QMenu*>(QApplication::activePopupWidget())) {
                for (QAction* a : menu->actions())
                    if (!a->isSeparator() && a->isEnabled())
                        menuItems << a->text();
                menu->close();
            }
        });
        QContextMenuEvent menuKey(QContextMenuEvent::Keyboard, QPoint(-5, -5), grid->mapToGlobal(QPoint(-5, -5)));
        QApplication::sendEvent(grid, &menuKey);
        QCOMPARE(menuItems, QStringList({"Play", "Preview", "Find similar", "Open in system player", "Show in folder",
                                         "Copy path", "Export selected…"}));
        m_tab->activateWindow(); // the menu had it
        QVERIFY(QTest::qWaitForWindowActive(m_tab.get()));

        // Results drag out as file URLs (the model's mime data; see test_search_model).
        QVERIFY(grid->dragEnabled());
        QCOMPARE(grid->dragDropMode(), QAbstractItemView::DragOnly);
        std::unique_ptr<QMimeData> mime(proxy()->mimeData({proxy()->index(0, 0)}));
        QVERIFY(mime);
        QCOMPARE(mime->urls(), QList<QUrl>{QUrl::fromLocalFile(path(0))});

        // Ctrl+F and Ctrl+L bring the query back; Esc clears it.
        QTest::keyClick(grid, Qt::Key_F, Qt::ControlModifier);
        QVERIFY(field->hasFocus());
        grid->setFocus();
        QTest::keyClick(grid, Qt::Key_L, Qt::ControlModifier);
        QVERIFY(field->hasFocus());
        QTest::keyClick(field, Qt::Key_Escape);
        QVERIFY(field->text().isEmpty());
        QVERIFY(!m_tab->views()->isShowingHint()); // results stay until a second Esc
        QTest::keyClick(field, Qt::Key_Escape);
        QVERIFY(m_tab->views()->isShowingHint());
        QCOMPARE(proxy()->rowCount(), 0);
    }

    void screenshots()
    {
        typeQuery("a red square");
        const int rows = proxy()->rowCount();
        for (int r = 0; r < rows; ++r)
            proxy()->index(r, 0).data(ResultsModel::ThumbnailRole);
        QTRY_VERIFY(m_tab->thumbnails()->pendingLoads() == 0);
        m_tab->views()->grid()->setFocus();
        QTest::keyClick(m_tab->views()->grid(), Qt::Key_Right);
        QTest::keyClick(m_tab->views()->grid(), Qt::Key_Return);
        // Let the player show a frame where it can (not offscreen: no decoder output there).
        QMediaPlayer* player = m_tab->preview()->player();
        const bool moved = QTest::qWaitFor([&] { return player->position() > 500; }, 3000);
        qInfo("player: %s, status %d, state %d, position %lld ms, error '%s'", moved ? "plays" : "no playback",
              int(player->mediaStatus()),
              int(player->playbackState()), player->position(), qPrintable(player->errorString()));
        saveArtifact(m_tab.get(), "search-tab.png");
        m_tab->preview()->pause();
        m_tab->setGridMode(false);
        QVERIFY(m_tab->views()->currentView() == m_tab->views()->table());
        QVERIFY(m_tab->views()->table()->isVisible());
        saveArtifact(m_tab.get(), "search-tab-list.png");
        m_tab->setGridMode(true);
    }

    // Where the platform decodes video (offscreen too, with GStreamer): the preview stops at the
    // moment's end, or loops back to its start.
    void previewStopsOrLoopsAtTheEnd()
    {
        ui::PreviewPane* preview = m_tab->preview();
        QMediaPlayer* player = preview->player();
        const QString file = root() + "/cool/blue_square_2.mp4"; // 3 s
        preview->setLooping(false);
        QSignalSpy started(player, &QMediaPlayer::positionChanged);
        preview->showMoment(file, 0.5, 1.25, true, 3.0); // a file the player has not loaded yet
        if (!QTest::qWaitFor([&] { return player->position() > 600; }, 5000))
            QSKIP("this platform does not play video (no decoder or sink): nothing to stop");
        // It started at the moment, not at the start of the file (a seek before the media is
        // loaded is lost on some backends).
        for (const auto& args : started)
            QVERIFY2(args.at(0).toLongLong() == 0 || args.at(0).toLongLong() >= 400,
                     qPrintable(QString("played from %1 ms").arg(args.at(0).toLongLong())));
        QVERIFY(QTest::qWaitFor([&] { return player->playbackState() != QMediaPlayer::PlayingState; }, 8000));
        QCOMPARE(player->playbackState(), QMediaPlayer::PausedState);
        QVERIFY2(player->position() >= 1250 && player->position() < 2500, qPrintable(QString::number(player->position())));

        preview->setLooping(true);
        QSignalSpy positions(player, &QMediaPlayer::positionChanged);
        preview->play(); // after the end: plays the moment again from its start
        QCOMPARE(preview->requestedPosition(), qint64(500));
        auto loopedBack = [&] {
            qint64 last = -1;
            bool passedEnd = false;
            for (const auto& args : positions) {
                const qint64 p = args.at(0).toLongLong();
                passedEnd = passedEnd || p >= 1250;
                if (passedEnd && p < last && p < 1250)
                    return true;
                last = p;
            }
            return false;
        };
        QVERIFY2(QTest::qWaitFor(loopedBack, 8000), "the moment loops");
        QCOMPARE(player->playbackState(), QMediaPlayer::PlayingState);
        preview->setLooping(false);
        preview->pause();
    }

    void emptyLibraryAndNoModelSayWhatToDo()
    {
        const QString tmp = QString::fromStdString(vop::test::runTempDir());
        service::LibraryService empty(options(tmp + "/empty.db", toyCheckpoint()));
        SearchTab a(empty);
        a.show();
        QTRY_VERIFY(a.views()->hintText().contains("add a folder in the Library tab"));
        QSignalSpy failed(&a, &SearchTab::searchFailed);
        a.searchFor("a red square");
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kSearchTimeoutMs);
        QVERIFY(a.views()->isShowingHint());
        QTRY_VERIFY(a.views()->hintText().contains("add a folder in the Library tab"));
        saveArtifact(&a, "search-tab-empty.png");

        service::LibraryService noModel(options(tmp + "/nomodel.db", (tmp + "/missing/model.safetensors").toStdString()));
        SearchTab b(noModel);
        b.show();
        QTRY_VERIFY(b.views()->hintText().startsWith("No model"));
        QVERIFY(b.views()->hintText().contains("missing/model.safetensors"));
    }
};

QTEST_MAIN(TestSearchTab)
#include "test_search_tab.moc"
