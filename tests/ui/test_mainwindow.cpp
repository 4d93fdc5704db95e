// The main window over a real library service: the three tabs with their names, the menus and
// their standard shortcuts, a window without a model that stays usable, window geometry kept in
// the settings, and a screenshot as a test artifact.
#include "LibraryTabFixture.h"

#include "MainWindow.h"
#include "common/ErrorBanner.h"
#include "common/Settings.h"
#include "library/LibraryTab.h"
#include "library/RootsModel.h"

#include <QAction>
#include <QDir>
#include <QLabel>
#include <QMenuBar>
#include <QSignalSpy>
#include <QTabBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

using namespace vop::test::ui;

namespace {
QAction* findAction(QWidget& w, const QString& textStart)
{
    for (QAction* a : w.findChildren<QAction*>())
        if (a->text().remove(QLatin1Char('&')).startsWith(textStart))
            return a;
    return nullptr;
}
} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void opensWithNamedTabsAndMenus()
    {
        vop::ui::Settings settings(m_dir.filePath(QStringLiteral("a.ini")));
        vop::service::LibraryService service(toyLibraryOptions(m_dir.filePath(QStringLiteral("a.sqlite3")).toStdString()));
        vop::ui::MainWindow w(settings, service);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.tabs()->count(), 3);
        const QStringList names = {QStringLiteral("Search"), QStringLiteral("Library"), QStringLiteral("Training")};
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(w.tabs()->tabText(i), names[i]);
            QCOMPARE(w.tabs()->tabBar()->accessibleTabName(i), names[i]);
            QCOMPARE(w.tabs()->widget(i)->accessibleName(), names[i]);
        }
        QCOMPARE(w.tabs()->widget(vop::ui::MainWindow::LibraryTabIndex), w.libraryTab());

        QAction* quit = findAction(w, QStringLiteral("Quit"));
        QVERIFY(quit);
        QCOMPARE(quit->shortcuts(), QKeySequence::keyBindings(QKeySequence::Quit));
        QAction* prefs = findAction(w, QStringLiteral("Settings"));
        QVERIFY(prefs);
        const auto standard = QKeySequence::keyBindings(QKeySequence::Preferences);
        QCOMPARE(prefs->shortcuts(), standard.isEmpty() ? QList<QKeySequence>{QKeySequence(Qt::CTRL | Qt::Key_Comma)}
                                                        : standard);
        QVERIFY(findAction(w, QStringLiteral("Export")));
        QVERIFY(findAction(w, QStringLiteral("About")));
        QVERIFY(!w.exportAction()->isEnabled()); // until a Search tab is set

        // The real tabs replace the placeholders, keeping names and order.
        auto* search = new QLabel(QStringLiteral("search"));
        w.setSearchTab(search);
        QCOMPARE(w.tabs()->widget(0), search);
        QCOMPARE(search->accessibleName(), QStringLiteral("Search"));
        QVERIFY(w.exportAction()->isEnabled());

        w.tabs()->setCurrentIndex(vop::ui::MainWindow::LibraryTabIndex);
        QSignalSpy refreshed(w.libraryTab(), &vop::ui::LibraryTab::refreshed);
        w.libraryTab()->refresh(false);
        QVERIFY(refreshed.wait(60000));
        saveScreenshot(w, QStringLiteral("main-window.png"));
    }

    void withoutAModelTheWindowStillOpens()
    {
        vop::ui::Settings settings(m_dir.filePath(QStringLiteral("b.ini")));
        auto options = toyLibraryOptions(m_dir.filePath(QStringLiteral("b.sqlite3")).toStdString());
        options.model.checkpoint = m_dir.filePath(QStringLiteral("missing.safetensors")).toStdString();
        vop::service::LibraryService service(options);
        QVERIFY(service.modelProblem());
        vop::ui::MainWindow w(settings, service);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSignalSpy refreshed(w.libraryTab(), &vop::ui::LibraryTab::refreshed);
        w.libraryTab()->refresh(false);
        QVERIFY(refreshed.wait(60000));
        QVERIFY(w.libraryTab()->snapshot().modelProblem);
        QVERIFY(w.libraryTab()->isEnabled());

        // Folders can be added without a model; the tab says indexing waits for one.
        w.tabs()->setCurrentIndex(vop::ui::MainWindow::LibraryTabIndex);
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("videos"))));
        QVERIFY(w.libraryTab()->addFolders({m_dir.filePath(QStringLiteral("videos"))}));
        QVERIFY(!w.libraryTab()->jobRunner().isRunning());
        QVERIFY(w.libraryTab()->banner()->isVisible());
        QVERIFY(w.libraryTab()->banner()->text().contains(QStringLiteral("without a model")));
        QVERIFY(refreshed.wait(60000));
        QCOMPARE(w.libraryTab()->rootsModel()->rowCount(), 1);

        // The banner says so and leads to the settings; a checkpoint chosen there is applied to
        // the service and the message goes.
        w.showModelProblem();
        QVERIFY(w.banner()->isVisible());
        QVERIFY(w.banner()->text().contains(QStringLiteral("No CLIP model")));
        QVERIFY(w.banner()->hint().startsWith(QString::fromStdString(*service.modelProblem())));
        settings.setCheckpoint(QString::fromStdString(toyCheckpoint()));
        w.applySettings(true, false);
        QVERIFY(!service.modelProblem());
        QCOMPARE(service.modelSettings().checkpoint, toyCheckpoint());
        QVERIFY(!w.banner()->isVisible());
    }

    void geometryIsKeptInTheSettings()
    {
        const QString ini = m_dir.filePath(QStringLiteral("c.ini"));
        vop::service::LibraryService service(toyLibraryOptions(m_dir.filePath(QStringLiteral("c.sqlite3")).toStdString()));
        {
            vop::ui::Settings settings(ini);
            vop::ui::MainWindow w(settings, service);
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            w.resize(900, 610);
            QTRY_COMPARE(w.size(), QSize(900, 610));
            w.close();
        }
        vop::ui::Settings settings(ini);
        QVERIFY(!settings.windowGeometry().isEmpty());
        vop::ui::MainWindow w(settings, service);
        QCOMPARE(w.size(), QSize(900, 610));
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_mainwindow.moc"
