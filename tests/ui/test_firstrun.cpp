// The first-run dialog (ui/firstrun/ModelSetupDialog) on a real LibraryService with no model:
// what it shows; a local checkpoint chosen (the chooser's result passed in); a file that cannot
// be used; a download from a local HTTP server (range_server.py) with progress, a cancel, a
// resume and the sha256 check; screenshots as test artifacts (build/test-artifacts/).
#include "LocalHttpServer.h"
#include "TestFiles.h"

#include "common/JobRunner.h"
#include "firstrun/ModelSetupDialog.h"
#include "service/LibraryService.h"
#include "service/ModelDownload.h"
#include "util/Sha256.h"

#include <QDir>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QtTest>

#include <filesystem>
#include <memory>

namespace fs = std::filesystem;
using vop::service::LibraryOptions;
using vop::service::LibraryService;
using vop::ui::ModelSetupDialog;

namespace {

std::string shared(const std::string& rel)
{
    const char* env = std::getenv("VOPSEARCH_SHARED");
    return std::string(env && *env ? env : VOPSEARCH_SHARED_DIR) + "/" + rel;
}

std::string toyModel() { return shared("fixtures/clip-toy/model.safetensors"); }

QPushButton* button(QWidget& w, const QString& accessibleName)
{
    for (auto* b : w.findChildren<QPushButton*>())
        if (b->accessibleName() == accessibleName)
            return b;
    return nullptr;
}

void saveScreenshot(QWidget& w, const QString& name)
{
    const QString dir = QStringLiteral(VOPSEARCH_ARTIFACTS_DIR);
    QDir().mkpath(dir);
    QVERIFY(w.grab().save(dir + QLatin1Char('/') + name));
}

} // namespace

class TestFirstRun : public QObject {
    Q_OBJECT
private:
    std::string m_base;
    std::unique_ptr<LibraryService> m_service;
    int m_serial = 0;

    // A fresh service over an empty catalog whose model folders hold nothing.
    LibraryService& freshService()
    {
        const auto dir = m_base + "/case" + std::to_string(++m_serial);
        fs::create_directories(dir + "/models");
        ::setenv("VOPSEARCH_MODELS", (dir + "/models").c_str(), 1);
        ::setenv("XDG_DATA_HOME", (dir + "/xdg").c_str(), 1);
        LibraryOptions o;
        o.dbPath = dir + "/library.sqlite3";
        o.model.device = "cpu";
        o.model.threads = 1;
        m_service = std::make_unique<LibraryService>(o);
        return *m_service;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_base = vop::test::runTempDir() + "/firstrun";
        fs::create_directories(m_base);
        if (freshService().modelProblem() == std::nullopt)
            QSKIP("a default ViT-B-32.pt is installed in the source tree's models/: no first run to test");
    }

    void withoutModelExplainsAndOffersTheWays()
    {
        auto& svc = freshService();
        QVERIFY(svc.modelProblem().has_value());
        ModelSetupDialog dialog(svc);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QString text;
        for (auto* l : dialog.findChildren<QLabel*>())
            text += l->text() + QLatin1Char('\n');
        QVERIFY(text.contains(QStringLiteral("CLIP ViT-B/32")));
        QVERIFY(text.contains(QStringLiteral("350 MB")));
        QVERIFY(text.contains(QStringLiteral("browse your library")));
        QVERIFY(text.contains(QDir::toNativeSeparators(dialog.downloadDir())));
        auto* download = button(dialog, QStringLiteral("Download"));
        auto* choose = button(dialog, QStringLiteral("Choose a checkpoint file"));
        auto* later = button(dialog, QStringLiteral("Later"));
        auto* cancel = button(dialog, QStringLiteral("Cancel download"));
        QVERIFY(download && choose && later && cancel);
        QVERIFY(download->isVisible() && download->isEnabled() && choose->isEnabled() && later->isEnabled());
        QVERIFY(!cancel->isVisible());
        QVERIFY(!dialog.findChild<QProgressBar*>()->isVisible());
        saveScreenshot(dialog, QStringLiteral("firstrun-no-model.png"));

        // "Later": the dialog closes, nothing changes, the service still says what is missing.
        const auto before = svc.modelSettings();
        QTest::mouseClick(later, Qt::LeftButton);
        QCOMPARE(dialog.result(), int(QDialog::Rejected));
        QVERIFY(svc.modelSettings() == before);
        QVERIFY(svc.modelProblem().has_value());
    }

    void chosenLocalCheckpointBecomesTheModel()
    {
        auto& svc = freshService();
        ModelSetupDialog dialog(svc);
        dialog.show();
        QSignalSpy ready(&dialog, &ModelSetupDialog::modelReady);
        QSignalSpy accepted(&dialog, &QDialog::accepted);
        const QString path = QString::fromStdString(toyModel());
        QVERIFY(dialog.useCheckpointFile(path)); // what chooseCheckpoint() does with the file dialog's answer
        QVERIFY(accepted.wait(120000) || accepted.count() == 1);
        QCOMPARE(ready.count(), 1);
        QCOMPARE(ready.at(0).at(0).toString(), path);
        QCOMPARE(QString::fromStdString(svc.modelSettings().checkpoint), path);
        QVERIFY(!svc.modelProblem().has_value());
        QVERIFY(svc.isModelLoaded()); // it was loaded once to prove it works
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
    }

    void unusableFilesAreRefusedAndTheSettingsStay()
    {
        auto& svc = freshService();
        ModelSetupDialog dialog(svc);
        dialog.show();
        const auto before = svc.modelSettings();
        QVERIFY(!dialog.useCheckpointFile(QStringLiteral("/nonexistent/ViT-B-32.pt")));
        QVERIFY(dialog.errorText().contains(QStringLiteral("does not exist")));
        QVERIFY(svc.modelSettings() == before);

        // A file that exists but is no checkpoint: refused after the load, settings restored.
        const auto junk = m_base + "/junk.pt";
        vop::test::writeBytes(junk, "this is not a checkpoint");
        QVERIFY(dialog.useCheckpointFile(QString::fromStdString(junk)));
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isBusy(), 60000);
        QVERIFY(dialog.errorText().contains(QStringLiteral("cannot be used as the model")));
        QVERIFY(svc.modelSettings() == before);
        QVERIFY(svc.modelProblem().has_value());
        QVERIFY(dialog.isVisible()); // still open: the person can try another way
        saveScreenshot(dialog, QStringLiteral("firstrun-refused-file.png"));
    }

    void downloadShowsProgressCancelsResumesAndFinishes()
    {
        auto& svc = freshService();
        const auto served = m_base + "/served";
        fs::create_directories(served);
        fs::copy_file(toyModel(), served + "/toy.safetensors", fs::copy_options::overwrite_existing);
        const auto size = fs::file_size(served + "/toy.safetensors");
        // Slow enough to see progress and to cancel mid-way.
        vop::test::LocalHttpServer server(served, {"--rate", "1500000"});
        const auto manifest = m_base + "/manifest.tsv";
        vop::test::writeBytes(manifest, vop::test::manifestRow(vop::service::kDefaultModelName, "toy.safetensors",
                                                               server.url("toy.safetensors"),
                                                               vop::sha256File(toyModel()), (long long)size));
        const QString dest = QString::fromStdString(m_base + "/downloads");

        ModelSetupDialog dialog(svc);
        dialog.setManifestPath(QString::fromStdString(manifest));
        dialog.setDownloadDir(dest);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        auto* download = button(dialog, QStringLiteral("Download"));
        auto* cancel = button(dialog, QStringLiteral("Cancel download"));
        auto* bar = dialog.findChild<QProgressBar*>();
        QCOMPARE(bar->accessibleName(), QStringLiteral("Download progress"));

        // Start, see progress with the size and a rate, then cancel.
        QTest::mouseClick(download, Qt::LeftButton);
        QVERIFY(dialog.isBusy());
        QTRY_VERIFY_WITH_TIMEOUT(bar->maximum() == 1000 && bar->value() > 50, 60000);
        QVERIFY(cancel->isVisible() && !download->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(dialog.statusText().contains(QStringLiteral("/s")), 30000);
        QVERIFY(dialog.statusText().contains(QStringLiteral(" of ")));
        saveScreenshot(dialog, QStringLiteral("firstrun-downloading.png"));
        QTest::mouseClick(cancel, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isBusy(), 30000);
        QVERIFY(dialog.isVisible());
        QVERIFY(dialog.statusText().contains(QStringLiteral("resumes")));
        const auto part = fs::path(dest.toStdString()) / "toy.safetensors.part";
        QVERIFY(fs::exists(part) && fs::file_size(part) > 0 && fs::file_size(part) < size);
        QCOMPARE(download->text().remove(QLatin1Char('&')), QStringLiteral("Resume download"));
        QVERIFY(svc.modelProblem().has_value());

        // Retry: it resumes with a Range, verifies, sets the model and closes.
        QSignalSpy accepted(&dialog, &QDialog::accepted);
        QTest::mouseClick(download, Qt::LeftButton);
        QVERIFY(accepted.wait(180000) || accepted.count() == 1);
        const auto file = fs::path(dest.toStdString()) / "toy.safetensors";
        QVERIFY(fs::exists(file) && !fs::exists(part));
        QCOMPARE(vop::sha256File(file.string()), vop::sha256File(toyModel()));
        QCOMPARE(svc.modelSettings().checkpoint, file.string());
        QVERIFY(!svc.modelProblem().has_value());
        const auto requests = server.requests();
        QVERIFY(requests.size() >= 2);
        QVERIFY(QString::fromStdString(requests.back()).contains(QStringLiteral("range=bytes=")));
    }

    void laterDuringADownloadStopsItAndKeepsThePart()
    {
        auto& svc = freshService();
        const auto served = m_base + "/served-later";
        fs::create_directories(served);
        fs::copy_file(toyModel(), served + "/toy.safetensors", fs::copy_options::overwrite_existing);
        vop::test::LocalHttpServer server(served, {"--rate", "1000000"});
        const auto manifest = m_base + "/later.tsv";
        vop::test::writeBytes(manifest, vop::test::manifestRow(vop::service::kDefaultModelName, "toy.safetensors",
                                                               server.url("toy.safetensors"),
                                                               vop::sha256File(toyModel()), 0));
        const auto dest = m_base + "/later-downloads";
        ModelSetupDialog dialog(svc);
        dialog.setManifestPath(QString::fromStdString(manifest));
        dialog.setDownloadDir(QString::fromStdString(dest));
        dialog.show();
        QTest::mouseClick(button(dialog, QStringLiteral("Download")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(fs::exists(dest + "/toy.safetensors.part") &&
                                     fs::file_size(dest + "/toy.safetensors.part") > 0, 60000);
        QTest::keyClick(&dialog, Qt::Key_Escape); // the same as "Later"
        QCOMPARE(dialog.result(), int(QDialog::Rejected));
        QVERIFY(!dialog.isBusy());
        QVERIFY(!dialog.isVisible());
        QVERIFY(fs::exists(dest + "/toy.safetensors.part"));
        QVERIFY(!fs::exists(dest + "/toy.safetensors"));
        QVERIFY(svc.modelProblem().has_value());
    }

    void failedDownloadSaysWhatToDo()
    {
        auto& svc = freshService();
        const auto manifest = m_base + "/offline.tsv";
        // Port 9 (discard) on the loopback: nobody listens there.
        vop::test::writeBytes(manifest, vop::test::manifestRow(vop::service::kDefaultModelName, "x.pt",
                                                               "http://127.0.0.1:9/x.pt", std::string(64, 'a'), 0));
        ModelSetupDialog dialog(svc);
        dialog.setManifestPath(QString::fromStdString(manifest));
        dialog.setDownloadDir(QString::fromStdString(m_base + "/offline-downloads"));
        dialog.show();
        QTest::mouseClick(button(dialog, QStringLiteral("Download")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isBusy(), 60000);
        QVERIFY(dialog.errorText().contains(QStringLiteral("could not reach 127.0.0.1:9")));
        QVERIFY(dialog.errorText().contains(QStringLiteral("choose a checkpoint file you already have")));
        QVERIFY(button(dialog, QStringLiteral("Download"))->isEnabled());
        QVERIFY(button(dialog, QStringLiteral("Choose a checkpoint file"))->isEnabled());
        saveScreenshot(dialog, QStringLiteral("firstrun-offline.png"));
    }

    void cleanupTestCase() { m_service.reset(); }
};

QTEST_MAIN(TestFirstRun)
#include "test_firstrun.moc"
