// Settings: typed preferences survive a round trip through QSettings, defaults are sane, and
// they become the library service's options.
#include "common/Settings.h"

#include "service/LibraryService.h"

#include <QTemporaryDir>
#include <QtTest>

class TestSettings : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void defaults()
    {
        QTemporaryDir dir;
        vop::ui::Settings s(dir.filePath(QStringLiteral("s.ini")));
        QCOMPARE(s.device(), QStringLiteral("auto"));
        QCOMPARE(s.threads(), 0);
        QCOMPARE(s.framesPerClip(), 12);
        QCOMPARE(s.segmentSeconds(), 15.0);
        QCOMPARE(s.rescanMinutes(), 10);
        QVERIFY(s.checkpoint().isEmpty());
        QVERIFY(s.databasePath().isEmpty());
        const auto o = s.libraryOptions();
        QVERIFY(o.dbPath.empty());
        QCOMPARE(o.model.device, std::string("auto"));
        QCOMPARE(o.indexing.clips.window, 15.0);
        QCOMPARE(o.indexing.clips.segmentMax, 30.0);
    }

    void roundTrip()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("s.ini"));
        {
            vop::ui::Settings s(file);
            s.setCheckpoint(QStringLiteral("/models/ViT-B-32.pt"));
            s.setPrompts(QStringLiteral("/models/sports.vop"));
            s.setDevice(QStringLiteral("cpu"));
            s.setThreads(3);
            s.setFramesPerClip(8);
            s.setSegmentSeconds(10);
            s.setRescanMinutes(0);
            s.setDatabasePath(QStringLiteral("/data/catalog.sqlite"));
            s.setThumbnailSize(200);
            s.setWindowGeometry(QByteArray("geometry-bytes"));
            s.sync();
        }
        vop::ui::Settings s(file);
        QCOMPARE(s.checkpoint(), QStringLiteral("/models/ViT-B-32.pt"));
        QCOMPARE(s.prompts(), QStringLiteral("/models/sports.vop"));
        QCOMPARE(s.device(), QStringLiteral("cpu"));
        QCOMPARE(s.threads(), 3);
        QCOMPARE(s.framesPerClip(), 8);
        QCOMPARE(s.segmentSeconds(), 10.0);
        QCOMPARE(s.rescanMinutes(), 0);
        QCOMPARE(s.databasePath(), QStringLiteral("/data/catalog.sqlite"));
        QCOMPARE(s.thumbnailSize(), 200);
        QCOMPARE(s.windowGeometry(), QByteArray("geometry-bytes"));
        const auto o = s.libraryOptions();
        QCOMPARE(o.dbPath, std::string("/data/catalog.sqlite"));
        QCOMPARE(o.model.checkpoint, std::string("/models/ViT-B-32.pt"));
        QCOMPARE(o.model.prompts, std::string("/models/sports.vop"));
        QCOMPARE(o.model.device, std::string("cpu"));
        QCOMPARE(o.model.threads, 3);
        QCOMPARE(o.model.frames, 8);
        QCOMPARE(o.indexing.clips.window, 10.0);
    }

    void invalidValuesFallBackToDefaults()
    {
        QTemporaryDir dir;
        vop::ui::Settings s(dir.filePath(QStringLiteral("s.ini")));
        s.store().setValue(QStringLiteral("model/framesPerClip"), -3);
        s.store().setValue(QStringLiteral("indexing/segmentSeconds"), QStringLiteral("soon"));
        s.store().setValue(QStringLiteral("model/device"), QString());
        QCOMPARE(s.framesPerClip(), 12);
        QCOMPARE(s.segmentSeconds(), 15.0);
        QCOMPARE(s.device(), QStringLiteral("auto"));
    }
};

QTEST_MAIN(TestSettings)
#include "test_settings.moc"
