// Settings: typed preferences survive a round trip through QSettings, defaults are sane, and
// they become the library service's options.
#include "common/Settings.h"
#include "common/SettingsDialog.h"

#include "service/LibraryService.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QSpinBox>
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
        QVERIFY(o.model.precision == vop::Precision::Auto);
        QCOMPARE(o.indexing.segments.window, 15.0);
        QCOMPARE(o.indexing.segments.segmentMax, 30.0);
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
            s.setPrecision(QStringLiteral("int8"));
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
        QVERIFY(o.model.precision == vop::Precision::Int8);
        QCOMPARE(o.model.frames, 8);
        QCOMPARE(o.indexing.segments.window, 10.0);
    }

    // The dialog shows what is stored, OK writes the fields back, Cancel writes nothing.
    void dialogRoundTrip()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("s.ini"));
        {
            vop::ui::Settings s(file);
            s.setDevice(QStringLiteral("cuda:1"));
            s.setFramesPerClip(6);
            vop::ui::SettingsDialog dialog(s);
            QCOMPARE(dialog.deviceBox()->currentData().toString(), QStringLiteral("cuda:1"));
            QCOMPARE(dialog.framesBox()->value(), 6);
            QCOMPARE(dialog.segmentBox()->value(), 15.0);
            QCOMPARE(dialog.rescanBox()->text(), QStringLiteral("10 min"));
            dialog.checkpointEdit()->setText(QStringLiteral("  /m/clip.safetensors "));
            dialog.deviceBox()->setCurrentIndex(dialog.deviceBox()->findData(QStringLiteral("cpu")));
            dialog.threadsBox()->setValue(2);
            QCOMPARE(dialog.precisionBox()->currentData().toString(), QStringLiteral("auto"));
            dialog.precisionBox()->setCurrentIndex(dialog.precisionBox()->findData(QStringLiteral("fp32")));
            dialog.segmentBox()->setValue(20);
            dialog.rescanBox()->setValue(0);
            QCOMPARE(dialog.rescanBox()->text(), QStringLiteral("Never"));
            dialog.thumbnailBox()->setValue(256);
            dialog.databaseEdit()->setText(QStringLiteral("/d/lib.sqlite3"));
            dialog.reject(); // Cancel: nothing stored
            QCOMPARE(s.device(), QStringLiteral("cuda:1"));
            QCOMPARE(s.threads(), 0);
            dialog.apply();  // what OK does
        }
        vop::ui::Settings s(file);
        QCOMPARE(s.checkpoint(), QStringLiteral("/m/clip.safetensors"));
        QCOMPARE(s.device(), QStringLiteral("cpu"));
        QCOMPARE(s.threads(), 2);
        QCOMPARE(s.precision(), QStringLiteral("fp32"));
        QCOMPARE(s.framesPerClip(), 6);
        QCOMPARE(s.segmentSeconds(), 20.0);
        QCOMPARE(s.rescanMinutes(), 0);
        QCOMPARE(s.thumbnailSize(), 256);
        QCOMPARE(s.databasePath(), QStringLiteral("/d/lib.sqlite3"));
        vop::ui::SettingsDialog again(s);
        QCOMPARE(again.segmentBox()->value(), 20.0);
        QCOMPARE(again.deviceBox()->currentData().toString(), QStringLiteral("cpu"));
    }

    void invalidValuesFallBackToDefaults()
    {
        QTemporaryDir dir;
        vop::ui::Settings s(dir.filePath(QStringLiteral("s.ini")));
        s.store().setValue(QStringLiteral("model/framesPerClip"), -3);
        s.store().setValue(QStringLiteral("indexing/segmentSeconds"), QStringLiteral("soon"));
        s.store().setValue(QStringLiteral("model/device"), QString());
        s.store().setValue(QStringLiteral("model/precision"), QStringLiteral("int4"));
        QCOMPARE(s.precision(), QStringLiteral("auto"));
        QCOMPARE(s.framesPerClip(), 12);
        QCOMPARE(s.segmentSeconds(), 15.0);
        QCOMPARE(s.device(), QStringLiteral("auto"));
    }
};

QTEST_MAIN(TestSettings)
#include "test_settings.moc"
