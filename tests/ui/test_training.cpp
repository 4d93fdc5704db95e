// The Training tab end to end, offscreen, on the toy CLIP and generated labelled folders
// ("a red square", "a green square", "a blue square", 4 clips each): inspect the data, train a
// few steps with the real TrainingService on a worker, watch the charts and the progress, read
// the result beside zero-shot CLIP, make the new set active; leave batch and learning rate to the
// service and read what it chose; cancel a run and resume it.
#include "test_training_support.h"

#include "promptsets/PromptSetManager.h"
#include "training/TrainingCharts.h"
#include "training/TrainingDataPanel.h"
#include "training/TrainingResultModel.h"
#include "training/TrainingRunFile.h"
#include "training/TrainingSettingsPanel.h"
#include "training/TrainingTab.h"

#include <QAbstractItemModelTester>
#include <QChartView>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>

using namespace vop::test::ui;
using vop::ui::TrainingResultModel;
using vop::ui::TrainingTab;

class TestTraining : public QObject {
    Q_OBJECT
    std::string m_userData, m_data;
    std::unique_ptr<vop::service::LibraryService> m_service;

    // A few quick steps: 4 frames, small prompts, batch 4 (9 training clips: 2 steps an epoch).
    vop::TrainOptions quickOptions(int epochs)
    {
        vop::TrainOptions o;
        o.prompts.variant = vop::Variant::VopF;
        o.prompts.frames = 4;
        o.prompts.splitDepth = 2; // round(2L/3) for the toy's 3 layers
        o.prompts.textLength = 4;
        o.prompts.visualLength = 4;
        o.prompts.videoLength = 2;
        o.epochs = epochs;
        o.batch = 4;
        o.lr = 0.02;
        o.seed = 1;
        return o;
    }

    void loadData(TrainingTab& tab)
    {
        QSignalSpy inspected(tab.dataPanel(), &vop::ui::TrainingDataPanel::inspected);
        auto* field = byName<QLineEdit>(&tab, QStringLiteral("Training data"));
        QVERIFY(field);
        field->setText(QString::fromStdString(m_data)); // typed or pasted
        byName<QLineEdit>(&tab, QStringLiteral("Caption template"))->setText(QStringLiteral("a {}"));
        tab.dataPanel()->setValidationPercent(25);
        QTRY_VERIFY_WITH_TIMEOUT(tab.dataPanel()->summary().has_value(), 20000);
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_userData = useTempDataHome();
        m_data = vop::test::runTempDir() + "/squares";
        writeSquares(m_data, 4);
        m_service = makeService();
    }

    void showsWhatTheDataHolds()
    {
        TrainingTab tab(*m_service);
        tab.resize(1280, 860);
        tab.show();
        QVERIFY(QTest::qWaitForWindowExposed(&tab));
        for (const char* name : {"Training data", "Data format", "Variant", "Start training", "Cancel training",
                                 "Use this prompt set", "Training progress", "Training result"})
            QVERIFY2(byName<QWidget>(&tab, QString::fromLatin1(name)), name);
        QVERIFY(byName<QChartView>(&tab, QStringLiteral("Training loss")));
        QVERIFY(byName<QChartView>(&tab, QStringLiteral("Validation recall")));
        QCOMPARE(byName<QComboBox>(&tab, QStringLiteral("Data format"))->currentData().toString(), QStringLiteral("folders"));

        loadData(tab);
        const auto& s = *tab.dataPanel()->summary();
        QCOMPARE(s.videos, size_t(12));
        QCOMPARE(s.trainVideos, size_t(9));
        QCOMPARE(s.validationVideos, size_t(3));
        auto* labels = tab.dataPanel()->labelsView()->model();
        QCOMPARE(labels->rowCount(), 3);
        QCOMPARE(labels->index(0, 0).data().toString(), QStringLiteral("a blue square"));
        QCOMPARE(labels->index(0, 1).data().toString(), QStringLiteral("4"));
        // 12 clips are too few: the tab says so and what it means.
        auto* warnings = byName<QLabel>(&tab, QStringLiteral("Data warnings"));
        QVERIFY(warnings->isVisible());
        QVERIFY(warnings->text().contains(QStringLiteral("Too small means")));

        // Every variant with its parameter count on the library's backbone.
        auto* variant = byName<QComboBox>(&tab, QStringLiteral("Variant"));
        QCOMPARE(variant->count(), 6);
        for (int i = 0; i < variant->count(); ++i) QVERIFY(variant->itemText(i).contains(QStringLiteral("parameters")));
        QVERIFY(!tab.settingsPanel()->advancedShown());
        tab.settingsPanel()->showAdvanced(true);
        QCOMPARE(byName<QWidget>(&tab, QStringLiteral("Epochs"))->isVisible(), true);
        QCOMPARE(tab.settingsPanel()->options().epochs, vop::TrainOptions{}.epochs); // the trainer's defaults
        QCOMPARE(tab.settingsPanel()->options().lr, vop::TrainOptions{}.lr);
        QVERIFY(tab.settingsPanel()->choices().lr); // left to the service, as `vopsearch-cli train` without --lr
        screenshot(&tab, QStringLiteral("training-tab-data"));
        // Narrow window, Advanced open: the left pane keeps all of its rows in view, no sideways
        // scrolling that would cut off the labels.
        auto* left = tab.findChild<QScrollArea*>(QStringLiteral("trainingLeftPane"));
        QVERIFY(left && left->widget());
        QCOMPARE(left->horizontalScrollBarPolicy(), Qt::ScrollBarAlwaysOff);
        tab.resize(900, 700);
        QTRY_VERIFY(left->widget()->width() <= left->viewport()->width());
        screenshot(&tab, QStringLiteral("training-tab-narrow"));
        tab.resize(1280, 860);

        // The prompt-set manager is one click away.
        byName<QPushButton>(&tab, QStringLiteral("Manage prompt sets"))->click();
        auto* manager = tab.findChild<vop::ui::PromptSetManager*>();
        QVERIFY(manager && manager->isVisible());
        manager->close();

        // Sidecar captions: clip.mp4 beside clip.txt; the template field goes away.
        const std::string sidecar = vop::test::runTempDir() + "/sidecar";
        fs::create_directories(sidecar);
        for (const char* c : {"red", "green", "blue"}) {
            fs::copy_file(m_data + "/" + c + "_square/clip0.mp4", sidecar + "/" + c + ".mp4", fs::copy_options::overwrite_existing);
            vop::test::writeBytes(sidecar + "/" + c + ".txt", std::string("a ") + c + " square\n" + c + " box\n");
        }
        auto* format = byName<QComboBox>(&tab, QStringLiteral("Data format"));
        format->setCurrentIndex(format->findData(QStringLiteral("sidecar")));
        QVERIFY(!byName<QLineEdit>(&tab, QStringLiteral("Caption template"))->isVisible());
        byName<QLineEdit>(&tab, QStringLiteral("Training data"))->setText(QString::fromStdString(sidecar));
        tab.dataPanel()->setValidationPercent(0);
        QTRY_VERIFY_WITH_TIMEOUT(tab.dataPanel()->summary().has_value(), 20000);
        QCOMPARE(tab.dataPanel()->summary()->videos, size_t(3));
        QCOMPARE(tab.dataPanel()->summary()->captions, size_t(6));
        QCOMPARE(labels->rowCount(), 6);
        format->setCurrentIndex(format->findData(QStringLiteral("folders")));

        // A folder that is not a dataset: the reason, no table.
        QSignalSpy inspected(tab.dataPanel(), &vop::ui::TrainingDataPanel::inspected);
        byName<QLineEdit>(&tab, QStringLiteral("Training data"))->setText(QStringLiteral("/nonexistent/folder"));
        QTRY_VERIFY_WITH_TIMEOUT(!tab.dataPanel()->problem().isEmpty(), 20000);
        QCOMPARE(labels->rowCount(), 0);
    }

    void trainsToTheEndAndMakesTheSetActive()
    {
        TrainingTab tab(*m_service);
        tab.resize(1280, 860);
        tab.show();
        QVERIFY(QTest::qWaitForWindowExposed(&tab));
        QAbstractItemModelTester tester(tab.resultModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        loadData(tab);
        tab.settingsPanel()->setOptions(quickOptions(4));
        tab.setSetName(QStringLiteral("squares"));
        screenshot(&tab, QStringLiteral("training-tab-before"));

        QSignalSpy ended(&tab, &TrainingTab::runEnded);
        byName<QPushButton>(&tab, QStringLiteral("Start training"))->click();
        QVERIFY(tab.isRunning());
        QVERIFY(!byName<QPushButton>(&tab, QStringLiteral("Start training"))->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(tab.charts()->lossPoints() > 0 || !ended.isEmpty(), 120000);
        screenshot(&tab, QStringLiteral("training-tab-during"));
        // zero-shot CLIP was scored before the first step: its line is there while training
        QVERIFY(tab.charts()->zeroShotPoints() == 2 || !ended.isEmpty());
        QVERIFY(ended.wait(180000) || !ended.isEmpty());
        QCOMPARE(ended.first().first().toString(), QStringLiteral("finished"));
        QVERIFY2(tab.outcome().has_value(), qPrintable(tab.statusText()));

        const auto& r = tab.outcome()->result;
        QCOMPARE(r.steps, int64_t(8));
        QCOMPARE(tab.charts()->lossPoints(), 8);
        QVERIFY(tab.charts()->recallPoints() >= 2); // zero-shot + after each epoch
        auto* progress = byName<QProgressBar>(&tab, QStringLiteral("Training progress"));
        QCOMPARE(progress->value(), progress->maximum());

        // The result beside zero-shot CLIP, on the same validation clips.
        QVERIFY(tab.resultModel()->hasResult());
        auto* m = tab.resultModel();
        QCOMPARE(m->rowCount(), 10);
        QCOMPARE(m->index(0, TrainingResultModel::ZeroShot).data().toString(), QString::number(r.zeroShot.t2v.r1, 'f', 1));
        QCOMPARE(m->index(0, TrainingResultModel::Trained).data().toString(), QString::number(r.best.t2v.r1, 'f', 1));
        QCOMPARE(m->index(8, TrainingResultModel::Trained).data().toString(), QString::number(r.best.v2t.medianRank, 'f', 1));
        QVERIFY(tab.verdict().contains(QStringLiteral("zero-shot")));
        // the service's verdict, whichever it is: "not better than zero-shot: keeping it is not recommended" or better
        QVERIFY(tab.verdict().contains(QString::fromStdString(tab.outcome()->verdict).toHtmlEscaped()));
        QCOMPARE(tab.verdict().contains(QStringLiteral("not better than zero-shot: keeping it is not recommended")),
                 !tab.outcome()->betterThanZeroShot);
        screenshot(&tab, QStringLiteral("training-tab-after"));

        QVERIFY(m_service->modelSettings().prompts.empty());
        byName<QPushButton>(&tab, QStringLiteral("Use this prompt set"))->click();
        const std::string active = m_service->modelSettings().prompts;
        QCOMPARE(QString::fromStdString(active), QString::fromStdString(m_userData + "/prompts/squares.safetensors"));
        QVERIFY(fs::exists(active));
        QVERIFY(byName<QLabel>(&tab, QStringLiteral("Prompt set activation"))->text().contains(QStringLiteral("previous set")));
        const auto entry = vop::ui::readPromptSetEntry(active);
        QCOMPARE(entry.options.variant, vop::Variant::VopF);
        QVERIFY(entry.provenance.count("metrics"));
        screenshot(&tab, QStringLiteral("training-tab-activated"));

        auto s = m_service->modelSettings();
        s.prompts.clear();
        m_service->setModelSettings(s);
    }

    // The settings a person leaves at "Automatic" are chosen by the service for the data, as the
    // CLI chooses them without flags, and the tab says what was chosen and why.
    void choosesTheSettingsLeftAutomatic()
    {
        TrainingTab tab(*m_service);
        tab.resize(1280, 860);
        tab.show();
        QVERIFY(QTest::qWaitForWindowExposed(&tab));
        auto* panel = tab.settingsPanel();
        // A new tab leaves length, batch and rate to the service.
        QVERIFY(panel->choices().steps && panel->choices().batch && panel->choices().lr);
        panel->showAdvanced(true);
        QCOMPARE(byName<QSpinBox>(&tab, QStringLiteral("Epochs"))->text(), QStringLiteral("Automatic (fit the data)"));
        QCOMPARE(byName<QSpinBox>(&tab, QStringLiteral("Batch"))->text(), QStringLiteral("Automatic"));
        QCOMPARE(byName<QDoubleSpinBox>(&tab, QStringLiteral("Learning rate"))->text(), QStringLiteral("Automatic (searched)"));
        QCOMPARE(panel->options().batch, vop::TrainOptions{}.batch); // the values behind "Automatic" are the defaults
        // One step up leaves "Automatic" for a value of one's own.
        byName<QSpinBox>(&tab, QStringLiteral("Batch"))->stepUp();
        QVERIFY(!panel->choices().batch);
        QCOMPARE(panel->options().batch, 2);

        // Batch and rate automatic, a short length given (2 epochs) to keep the test quick.
        vop::PlanChoices automatic = vop::PlanChoices::automatic();
        automatic.steps = automatic.warmup = automatic.evalEvery = false;
        loadData(tab); // 9 training clips, 3 held out
        panel->setOptions(quickOptions(2), automatic);
        QVERIFY(!panel->choices().steps && panel->choices().batch && panel->choices().lr);
        QCOMPARE(panel->options().epochs, 2);
        tab.setSetName(QStringLiteral("automatic"));
        QSignalSpy ended(&tab, &TrainingTab::runEnded);
        byName<QPushButton>(&tab, QStringLiteral("Start training"))->click();
        // The run file keeps what was left automatic, for a resume after a restart.
        const auto saved = vop::ui::loadRunFile(TrainingTab::runFilePathFor(QStringLiteral("automatic")));
        QVERIFY(saved.has_value());
        QVERIFY(saved->choose.batch && saved->choose.lr && !saved->choose.steps);
        // The search is a phase of its own, with its trials' steps on the progress bar.
        auto* phases = byName<QLabel>(&tab, QStringLiteral("Training phase"));
        auto* progress = byName<QProgressBar>(&tab, QStringLiteral("Training progress"));
        QTRY_VERIFY_WITH_TIMEOUT(phases->text().contains(QStringLiteral("\u25b6 Search&nbsp;rate")) || !ended.isEmpty(), 120000);
        QTRY_VERIFY_WITH_TIMEOUT(progress->format().startsWith(QStringLiteral("Searching the learning rate: ")) || !ended.isEmpty(),
                                 120000);
        QVERIFY(ended.wait(240000) || !ended.isEmpty());
        QCOMPARE(ended.first().first().toString(), QStringLiteral("finished"));
        QVERIFY2(tab.outcome().has_value(), qPrintable(tab.statusText()));
        const auto& plan = tab.outcome()->plan;
        QCOMPARE(plan.options.batch, 9); // all 9 training clips in one batch
        QCOMPARE(tab.outcome()->result.steps, int64_t(2));
        QVERIFY(plan.searchSeconds > 0);
        const QString shown = tab.planText();
        QVERIFY2(shown.contains(QStringLiteral("Chosen for this data")), qPrintable(shown));
        QVERIFY2(shown.contains(QStringLiteral("batch 9: the 9 training clips")), qPrintable(shown));
        QVERIFY2(shown.contains(QStringLiteral("validated best")), qPrintable(shown));
        QVERIFY2(shown.contains(QStringLiteral("lr %1").arg(plan.options.lr)), qPrintable(shown));
        QVERIFY2(phases->text().contains(QStringLiteral("\u2713 Search&nbsp;rate")), qPrintable(phases->text()));
        // on screen: the plan in a line, the reasons one click away
        auto* planLabel = byName<QLabel>(&tab, QStringLiteral("Chosen settings"));
        QVERIFY(planLabel->text().contains(QStringLiteral("setting(s) chosen for this data")));
        QVERIFY(!planLabel->text().contains(QStringLiteral("batch 9: the 9 training clips")));
        Q_EMIT planLabel->linkActivated(QStringLiteral("why"));
        QVERIFY(planLabel->text().contains(QStringLiteral("batch 9: the 9 training clips")));
        QVERIFY(planLabel->text().contains(QStringLiteral("hide why")));
        screenshot(&tab, QStringLiteral("training-tab-automatic"));

        // Nothing held out: the rate cannot be searched; the default is used, and the tab says so.
        tab.dataPanel()->setValidationPercent(0);
        QTRY_VERIFY_WITH_TIMEOUT(tab.dataPanel()->summary().has_value() && tab.dataPanel()->summary()->validationVideos == 0,
                                 20000);
        panel->setOptions(quickOptions(1), automatic);
        ended.clear();
        byName<QPushButton>(&tab, QStringLiteral("Start training"))->click();
        QVERIFY(ended.wait(240000) || !ended.isEmpty());
        QCOMPARE(ended.first().first().toString(), QStringLiteral("finished"));
        QVERIFY2(tab.outcome().has_value(), qPrintable(tab.statusText()));
        QCOMPARE(tab.outcome()->plan.options.lr, vop::TrainOptions{}.lr);
        QCOMPARE(tab.outcome()->plan.options.batch, 12);
        QVERIFY2(tab.planText().contains(QStringLiteral("not searched, since no clips are held out")), qPrintable(tab.planText()));
    }

    void cancelsAndResumesAfterARestart()
    {
        auto tab = std::make_unique<TrainingTab>(*m_service);
        tab->resize(1280, 860);
        tab->show();
        QVERIFY(QTest::qWaitForWindowExposed(tab.get()));
        loadData(*tab);
        tab->settingsPanel()->setOptions(quickOptions(30)); // 60 steps: the cancel lands long before the end
        tab->setSetName(QStringLiteral("interrupted"));
        QVERIFY(!byName<QPushButton>(tab.get(), QStringLiteral("Resume training"))->isEnabled());

        QSignalSpy ended(tab.get(), &TrainingTab::runEnded);
        byName<QPushButton>(tab.get(), QStringLiteral("Start training"))->click();
        QTRY_VERIFY_WITH_TIMEOUT(tab->charts()->lossPoints() >= 2 || !ended.isEmpty(), 120000);
        QVERIFY(ended.isEmpty());
        byName<QPushButton>(tab.get(), QStringLiteral("Cancel training"))->click();
        QVERIFY(ended.wait(60000) || !ended.isEmpty());
        QCOMPARE(ended.takeFirst().first().toString(), QStringLiteral("cancelled"));
        QVERIFY(!tab->outcome().has_value());
        QVERIFY(QFileInfo::exists(TrainingTab::statePathFor(QStringLiteral("interrupted"))));
        QVERIFY(byName<QPushButton>(tab.get(), QStringLiteral("Resume training"))->isEnabled());
        QVERIFY(tab->statusText().contains(QStringLiteral("Resume training")));
        screenshot(tab.get(), QStringLiteral("training-tab-cancelled"));

        // The app restarts: a new tab finds the interrupted run with its data and settings.
        tab.reset();
        TrainingTab again(*m_service);
        again.resize(1280, 860);
        again.show();
        QVERIFY(QTest::qWaitForWindowExposed(&again));
        QCOMPARE(again.setName(), QStringLiteral("interrupted"));
        QCOMPARE(QString::fromStdString(again.dataPanel()->dataSource().path), QString::fromStdString(m_data));
        QCOMPARE(again.settingsPanel()->options().epochs, 30);
        QVERIFY(again.statusText().contains(QStringLiteral("interrupted")));
        auto* resume = byName<QPushButton>(&again, QStringLiteral("Resume training"));
        QVERIFY(resume->isEnabled());
        QSignalSpy endedAgain(&again, &TrainingTab::runEnded);
        resume->click();
        QVERIFY(endedAgain.wait(240000) || !endedAgain.isEmpty());
        QCOMPARE(endedAgain.first().first().toString(), QStringLiteral("finished"));
        QVERIFY2(again.outcome().has_value(), qPrintable(again.statusText()));
        QVERIFY(again.outcome()->result.resumedFrom >= 2);
        QCOMPARE(again.outcome()->result.steps, int64_t(60));
        QCOMPARE(again.charts()->lossPoints(), 60); // the steps before the restart included
        QVERIFY(!QFileInfo::exists(TrainingTab::statePathFor(QStringLiteral("interrupted"))));
        QVERIFY(!QFileInfo::exists(TrainingTab::runFilePathFor(QStringLiteral("interrupted"))));
        QVERIFY(!resume->isEnabled());
        QVERIFY(again.resultModel()->hasResult());
        screenshot(&again, QStringLiteral("training-tab-resumed"));
    }
};

QTEST_MAIN(TestTraining)
#include "test_training.moc"
