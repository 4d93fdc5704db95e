#include "MainWindow.h"

#include <QTabWidget>
#include <QtTest>

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void opensWithTabs()
    {
        vop::ui::MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.tabs()->count(), 3);
        QCOMPARE(w.tabs()->tabText(0), QStringLiteral("Search"));
        QCOMPARE(w.tabs()->tabText(2), QStringLiteral("Training"));
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_mainwindow.moc"
