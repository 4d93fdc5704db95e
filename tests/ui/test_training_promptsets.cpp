// The prompt-set manager, offscreen, over a real LibraryService on the toy CLIP: the installed
// sets with zero-shot CLIP built in; import checked against the library's model (a damaged file,
// a file that is no prompt set and a set for another backbone are refused with the reason);
// make active, rename (the active set follows), export, delete.
#include "test_training_support.h"

#include "promptsets/PromptSetListModel.h"
#include "promptsets/PromptSetManager.h"

#include <QAbstractItemModelTester>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>

using namespace vop::test::ui;
using vop::ui::PromptSetListModel;
using vop::ui::PromptSetManager;

class TestTrainingPromptSets : public QObject {
    Q_OBJECT
    std::string m_userData, m_files;
    std::unique_ptr<vop::service::LibraryService> m_service;

    static vop::PromptOptions textAndVisual()
    {
        vop::PromptOptions o;
        o.variant = vop::Variant::Vop;
        o.textLength = 4;
        o.visualLength = 4;
        o.frames = 4;
        return o;
    }

    // Imports `path` and returns (ok, message).
    static std::pair<bool, QString> importAndWait(PromptSetManager& m, const std::string& path)
    {
        QSignalSpy done(&m, &PromptSetManager::importFinished);
        m.importFile(QString::fromStdString(path));
        if (!done.wait(30000) && done.isEmpty()) return {false, QStringLiteral("timeout")};
        return {done.first().at(0).toBool(), done.first().at(1).toString()};
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_userData = useTempDataHome();
        m_files = vop::test::runTempDir() + "/files";
        fs::create_directories(m_files);
        m_service = makeService();
    }

    void listsImportsAndRefuses()
    {
        PromptSetManager m(*m_service);
        m.resize(1000, 480);
        m.show();
        QVERIFY(QTest::qWaitForWindowExposed(&m));
        QAbstractItemModelTester tester(m.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto* list = byName<QTableView>(&m, QStringLiteral("Prompt sets"));
        QVERIFY(list);
        for (const char* name : {"Make active", "Import", "Export", "Rename", "Delete"})
            QVERIFY2(byName<QPushButton>(&m, QString::fromLatin1(name)), name);
        QCOMPARE(m.model()->rowCount(), 1); // zero-shot CLIP, built in and active
        QVERIFY(m.model()->index(0, 0).data(PromptSetListModel::ActiveRole).toBool());
        QVERIFY(!byName<QPushButton>(&m, QStringLiteral("Delete"))->isEnabled());

        // A good set for the library's model.
        const std::string good = m_files + "/colours.safetensors";
        writePromptSet(good, toyCheckpoint(), textAndVisual(), "labelled squares");
        auto [ok, text] = importAndWait(m, good);
        QVERIFY2(ok, qPrintable(text));
        QCOMPARE(text, QString::fromStdString(m_userData + "/prompts/colours.safetensors"));
        QCOMPARE(m.model()->rowCount(), 2);
        const int row = m.model()->rowOfPath(text);
        QCOMPARE(m.model()->index(row, PromptSetListModel::VariantCol).data().toString(), QStringLiteral("VoP"));
        QCOMPARE(m.model()->index(row, PromptSetListModel::TrainingData).data().toString(), QStringLiteral("labelled squares"));
        QVERIFY(m.model()->index(row, PromptSetListModel::Backbone).data().toString().startsWith(QStringLiteral("ViT ")));
        QCOMPARE(m.model()->index(row, PromptSetListModel::Parameters).data().toString(),
                 QString::fromStdString(vop::ui::formatCount(vop::ui::readPromptSetEntry(good).parameters)));

        // A set for another backbone (the tiny CLIP): refused, saying so.
        const std::string foreign = m_files + "/foreign.safetensors";
        writePromptSet(foreign, tinyCheckpoint(), textAndVisual());
        std::tie(ok, text) = importAndWait(m, foreign);
        QVERIFY(!ok);
        QVERIFY2(text.contains(QStringLiteral("another backbone")) || text.contains(QStringLiteral("checkpoint sha256")),
                 qPrintable(text));
        QVERIFY(m.message().contains(text));
        QVERIFY(!fs::exists(m_userData + "/prompts/foreign.safetensors"));

        // A damaged (truncated) file and a file that is no prompt set: refused with the reason.
        const std::string bytes = vop::test::readBytes(good);
        const std::string damaged = m_files + "/damaged.safetensors";
        vop::test::writeBytes(damaged, bytes.substr(0, bytes.size() - 100));
        std::tie(ok, text) = importAndWait(m, damaged);
        QVERIFY(!ok);
        QVERIFY2(text.contains(QStringLiteral("damaged.safetensors")), qPrintable(text));
        const std::string junk = m_files + "/notes.safetensors";
        vop::test::writeBytes(junk, "these are not tensors");
        std::tie(ok, text) = importAndWait(m, junk);
        QVERIFY(!ok);
        QVERIFY(!text.isEmpty());
        // Metadata that promises tensors the file does not hold (wrong shapes): damaged.
        auto wrong = textAndVisual();
        wrong.textLength = 6;
        const std::string lying = m_files + "/lying.safetensors";
        writePromptSet(lying, toyCheckpoint(), textAndVisual());
        {
            auto meta = wrong.toMetadata();
            auto f = vop::safetensors::File::open(lying);
            std::map<std::string, std::string> all = f.metadata();
            for (const auto& [k, v] : meta) all[k] = v;
            std::vector<vop::safetensors::OutTensor> ts;
            for (const auto& t : f.tensors())
                ts.push_back({t.name, t.dtype, t.shape, std::string(reinterpret_cast<const char*>(f.data(t)), t.end - t.begin)});
            vop::safetensors::write(lying + ".tmp", ts, all);
        }
        std::tie(ok, text) = importAndWait(m, lying + ".tmp");
        QVERIFY(!ok);
        QVERIFY2(text.contains(QStringLiteral("damaged")), qPrintable(text));
        QCOMPARE(m.model()->rowCount(), 2);
        screenshot(&m, QStringLiteral("prompt-set-manager"));
    }

    void activatesRenamesExportsDeletes()
    {
        PromptSetManager m(*m_service);
        m.show();
        QVERIFY(QTest::qWaitForWindowExposed(&m));
        const QString installed = QString::fromStdString(m_userData + "/prompts/colours.safetensors");
        QVERIFY(m.model()->rowOfPath(installed) > 0);
        m.selectPath(installed);
        QSignalSpy activated(&m, &PromptSetManager::activeChanged);
        byName<QPushButton>(&m, QStringLiteral("Make active"))->click();
        QCOMPARE(activated.count(), 1);
        QCOMPARE(QString::fromStdString(m_service->modelSettings().prompts), installed);
        QVERIFY(m.model()->index(m.model()->rowOfPath(installed), 0).data(PromptSetListModel::ActiveRole).toBool());
        // The active set cannot be deleted.
        QVERIFY(!byName<QPushButton>(&m, QStringLiteral("Delete"))->isEnabled());
        QVERIFY(!m.deleteSelected());

        // Renaming the active set keeps it active under its new name.
        QVERIFY(m.renameSelected(QStringLiteral("squares v2")));
        const QString renamed = QString::fromStdString(m_userData + "/prompts/squares v2.safetensors");
        QCOMPARE(QString::fromStdString(m_service->modelSettings().prompts), renamed);
        QVERIFY(!m.renameSelected(QStringLiteral("a/b")));

        const QString exported = QString::fromStdString(m_files + "/exported.safetensors");
        QVERIFY(m.exportSelected(exported));
        QCOMPARE(vop::test::readBytes(exported.toStdString()), vop::test::readBytes(renamed.toStdString()));

        // Back to zero-shot, then the set can go.
        m.selectPath(QString());
        QVERIFY(m.makeSelectedActive());
        QVERIFY(m_service->modelSettings().prompts.empty());
        m.selectPath(renamed);
        QVERIFY(m.deleteSelected());
        QVERIFY(!QFileInfo::exists(renamed));
        QCOMPARE(m.model()->rowCount(), 1);
    }
};

QTEST_MAIN(TestTrainingPromptSets)
#include "test_training_promptsets.moc"
