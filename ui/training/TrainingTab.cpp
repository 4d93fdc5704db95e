#include "training/TrainingTab.h"

#include "common/JobRunner.h"
#include "promptsets/PromptSetLibrary.h"
#include "promptsets/PromptSetManager.h"
#include "training/TrainingCharts.h"
#include "training/TrainingDataPanel.h"
#include "training/TrainingResultModel.h"
#include "training/TrainingRunFile.h"
#include "training/TrainingSettingsPanel.h"

#include "prompts/PromptSetInfo.h"
#include "service/LibraryService.h"
#include "util/Paths.h"

#include <QDir>
#include <QEvent>
#include <QFile>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace vop::ui {

namespace svc = vop::service;

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

QString duration(double seconds)
{
    if (seconds < 0) return QStringLiteral("?");
    const qint64 s = qint64(seconds + 0.5);
    return s >= 3600 ? QStringLiteral("%1:%2:%3").arg(s / 3600).arg(s / 60 % 60, 2, 10, QLatin1Char('0')).arg(s % 60, 2, 10, QLatin1Char('0'))
                     : QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

// The phases of a run as people see them, in order.
struct PhaseName {
    const char* key;
    const char* label;
};
const PhaseName kPhases[] = {
    {svc::phase::ReadingData, "Read data"},    {svc::phase::PreparingFrames, "Prepare frames"},
    {svc::phase::LoadingModel, "Load CLIP"},   {svc::phase::SearchingRate, "Search rate"}, // only when searched
    {"zero-shot", "Zero-shot check"},
    {svc::phase::Training, "Train"},           {"done", "Result"},
};

// Which backbone the parameter counts are for: the library's checkpoint when its header says
// (safetensors), else OpenAI's ViT-B/32 (the default model).
std::pair<ClipConfig, QString> backboneForCounts(const svc::ModelSettings& s)
{
    try {
        const std::string ckpt = paths::resolveCheckpoint(s.checkpoint);
        if (auto c = readCheckpointConfig(ckpt)) return {*c, QFileInfo(qs(ckpt)).fileName()};
        return {ClipConfig::vitB32(), QFileInfo(qs(ckpt)).fileName() + QStringLiteral(" (ViT-B/32)")};
    } catch (const std::exception&) {
        return {ClipConfig::vitB32(), QStringLiteral("ViT-B/32")};
    }
}

QGroupBox* group(const QString& title, QWidget* parent)
{
    auto* g = new QGroupBox(title, parent);
    g->setFlat(false);
    return g;
}

} // namespace

TrainingTab::TrainingTab(svc::LibraryService& service, QWidget* parent) : QWidget(parent), m_service(service)
{
    auto* outer = new QHBoxLayout(this);
    auto* split = new QSplitter(Qt::Horizontal, this);
    outer->addWidget(split);

    // Left: data and settings, scrollable.
    auto* leftInner = new QWidget;
    auto* left = new QVBoxLayout(leftInner);
    left->setSizeConstraint(QLayout::SetMinimumSize); // scroll rather than squeeze wrapped text
    auto* dataBox = group(QStringLiteral("1. Training data"), leftInner);
    auto* dataLayout = new QVBoxLayout(dataBox);
    m_data = new TrainingDataPanel(dataBox);
    dataLayout->addWidget(m_data);
    left->addWidget(dataBox);
    auto* settingsBox = group(QStringLiteral("2. Settings"), leftInner);
    auto* settingsLayout = new QVBoxLayout(settingsBox);
    const auto [config, backboneName] = backboneForCounts(m_service.modelSettings());
    m_settings = new TrainingSettingsPanel(config, backboneName, settingsBox);
    settingsLayout->addWidget(m_settings);
    left->addWidget(settingsBox);
    left->addStretch(1);
    auto* scroll = new QScrollArea(split);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(leftInner);
    // Never a horizontal scroll bar on the left (it cut off the labels when a field took focus):
    // the pane is at least as wide as its content needs, Advanced open or not (eventFilter).
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setObjectName(QStringLiteral("trainingLeftPane"));
    m_leftScroll = scroll;
    leftInner->installEventFilter(this);
    fitLeftPane();
    split->addWidget(scroll);

    // Right: run and result.
    auto* rightInner = new QWidget;
    auto* right = new QVBoxLayout(rightInner);
    right->setSizeConstraint(QLayout::SetMinimumSize);
    auto* runBox = group(QStringLiteral("3. Run"), rightInner);
    auto* run = new QVBoxLayout(runBox);
    auto* nameRow = new QHBoxLayout;
    auto* nameLabel = new QLabel(QStringLiteral("&Name of the new set:"), runBox);
    m_name = new QLineEdit(runBox);
    m_name->setAccessibleName(QStringLiteral("Prompt set name"));
    m_name->setPlaceholderText(QStringLiteral("from the data folder and the variant"));
    m_name->setToolTip(QStringLiteral("The file name of the prompt set this run writes"));
    nameLabel->setBuddy(m_name);
    nameRow->addWidget(nameLabel);
    nameRow->addWidget(m_name, 1);
    run->addLayout(nameRow);

    auto* buttons = new QHBoxLayout;
    m_start = new QPushButton(QStringLiteral("St&art training"), runBox);
    m_start->setAccessibleName(QStringLiteral("Start training"));
    m_start->setToolTip(QStringLiteral("Fit the prompt set on the data with these settings"));
    m_cancel = new QPushButton(QStringLiteral("Can&cel training"), runBox);
    m_cancel->setAccessibleName(QStringLiteral("Cancel training"));
    m_cancel->setToolTip(QStringLiteral("Stop after the current step; the state is saved so the run can be resumed"));
    m_resume = new QPushButton(QStringLiteral("&Resume training"), runBox);
    m_resume->setAccessibleName(QStringLiteral("Resume training"));
    m_resume->setToolTip(QStringLiteral("Continue the interrupted run of this name (same data and settings)"));
    auto* manage = new QPushButton(QStringLiteral("&Prompt sets..."), runBox);
    manage->setAccessibleName(QStringLiteral("Manage prompt sets"));
    manage->setToolTip(QStringLiteral("The installed prompt sets: make active, import, export, rename, delete"));
    buttons->addWidget(m_start);
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_resume);
    buttons->addStretch(1);
    buttons->addWidget(manage);
    run->addLayout(buttons);

    m_phases = new QLabel(runBox);
    m_phases->setAccessibleName(QStringLiteral("Training phase"));
    m_phases->setTextFormat(Qt::RichText);
    m_phases->setWordWrap(true);
    run->addWidget(m_phases);
    m_progress = new QProgressBar(runBox);
    m_progress->setAccessibleName(QStringLiteral("Training progress"));
    m_progress->setTextVisible(true);
    m_progress->setFormat(QStringLiteral("idle"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    run->addWidget(m_progress);
    m_status = new QLabel(runBox);
    m_status->setWordWrap(true);
    m_status->setAccessibleName(QStringLiteral("Training status"));
    m_status->setMinimumHeight(m_status->fontMetrics().lineSpacing() * 2);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    run->addWidget(m_status);
    m_plan = new QLabel(runBox);
    m_plan->setWordWrap(true);
    m_plan->setTextFormat(Qt::RichText);
    m_plan->setAccessibleName(QStringLiteral("Chosen settings"));
    m_plan->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
    m_plan->setOpenExternalLinks(false);
    connect(m_plan, &QLabel::linkActivated, this, [this] {
        m_planExpanded = !m_planExpanded;
        renderPlan();
    });
    m_plan->hide();
    run->addWidget(m_plan);
    m_charts = new TrainingCharts(runBox);
    run->addWidget(m_charts, 1);
    right->addWidget(runBox, 3);

    auto* resultBox = group(QStringLiteral("4. Result"), rightInner);
    auto* result = new QVBoxLayout(resultBox);
    m_resultModel = new TrainingResultModel(this);
    m_resultView = new QTableView(resultBox);
    m_resultView->setModel(m_resultModel);
    m_resultView->setAccessibleName(QStringLiteral("Training result"));
    m_resultView->verticalHeader()->hide();
    m_resultView->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_resultView->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_resultView->verticalHeader()->setDefaultSectionSize(m_resultView->fontMetrics().height() + 6);
    m_resultView->setMinimumHeight(m_resultView->verticalHeader()->defaultSectionSize() * 11 + 8);
    m_resultView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    result->addWidget(m_resultView);
    m_verdict = new QLabel(QStringLiteral("No result yet: the validation clips are scored with zero-shot CLIP and "
                                          "with the new set, and the two are compared here."),
                           resultBox);
    m_verdict->setWordWrap(true);
    m_verdict->setMinimumHeight(m_verdict->fontMetrics().lineSpacing() * 3);
    m_verdict->setAccessibleName(QStringLiteral("Training verdict"));
    result->addWidget(m_verdict);
    auto* useRow = new QHBoxLayout;
    m_use = new QPushButton(QStringLiteral("&Use this prompt set"), resultBox);
    m_use->setAccessibleName(QStringLiteral("Use this prompt set"));
    m_use->setToolTip(QStringLiteral("Install the new set and make it the library's active set"));
    useRow->addWidget(m_use);
    useRow->addStretch(1);
    result->addLayout(useRow);
    m_useMessage = new QLabel(resultBox);
    m_useMessage->setWordWrap(true);
    m_useMessage->setAccessibleName(QStringLiteral("Prompt set activation"));
    m_useMessage->setMinimumHeight(m_useMessage->fontMetrics().lineSpacing() * 3);
    result->addWidget(m_useMessage);
    right->addWidget(resultBox, 2);
    auto* rightScroll = new QScrollArea(split);
    rightScroll->setWidgetResizable(true);
    rightScroll->setFrameShape(QFrame::NoFrame);
    rightScroll->setWidget(rightInner);
    split->addWidget(rightScroll);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);

    m_runner = new JobRunner(this);
    connect(m_start, &QPushButton::clicked, this, &TrainingTab::startTraining);
    connect(m_cancel, &QPushButton::clicked, this, &TrainingTab::cancelTraining);
    connect(m_resume, &QPushButton::clicked, this, &TrainingTab::resumeTraining);
    connect(m_use, &QPushButton::clicked, this, &TrainingTab::useResult);
    connect(manage, &QPushButton::clicked, this, &TrainingTab::openPromptSetManager);
    connect(m_name, &QLineEdit::textChanged, this, &TrainingTab::updateResume);
    connect(m_data, &TrainingDataPanel::inspected, this, &TrainingTab::updateResume);
    connect(m_runner, &JobRunner::progress, this, [this](const JobProgressData& p) {
        // Training steps come as typed events (onEvent); the other phases (the learning-rate
        // search's trials among them) report here.
        if (p.phase == QLatin1String(svc::phase::Training) || p.total <= 0) return;
        m_progress->setRange(0, 1000);
        m_progress->setValue(int(p.fraction() * 1000));
        QString text = p.phase.at(0).toUpper() + p.phase.mid(1);
        if (!p.detail.isEmpty()) text += QStringLiteral(" (%1)").arg(p.detail);
        text += QStringLiteral(": %1 of %2").arg(p.done).arg(p.total);
        if (!p.unit.isEmpty()) text += QLatin1Char(' ') + p.unit;
        if (p.etaSeconds >= 0) text += QStringLiteral(" \u00b7 about %1 left").arg(duration(p.etaSeconds));
        m_progress->setFormat(text.replace(QLatin1Char('%'), QStringLiteral("%%")));
    });
    connect(m_runner, &JobRunner::finished, this, [this] { onEnded(QStringLiteral("finished")); });
    connect(m_runner, &JobRunner::cancelled, this, [this] { onEnded(QStringLiteral("cancelled")); });
    connect(m_runner, &JobRunner::failed, this, [this](const QString& message) {
        setStatus(QStringLiteral("Training failed: ") + message, true);
        onEnded(QStringLiteral("failed"));
    });

    setPhase(QString());
    setRunning(false);
    m_use->setEnabled(false);
    offerInterruptedRun();
}

void TrainingTab::offerInterruptedRun()
{
    const QDir dir(QFileInfo(outputPathFor(QStringLiteral("x"))).absolutePath());
    const auto states = dir.entryInfoList({QStringLiteral("*.safetensors.state")}, QDir::Files, QDir::Time);
    for (const QFileInfo& state : states) {
        const QString name = state.fileName().chopped(int(QStringLiteral(".safetensors.state").size()));
        if (!applyRunFile(name)) continue;
        setStatus(QStringLiteral("An interrupted run, '%1', was found: \"Resume training\" continues it with the data and "
                                 "settings filled in above.").arg(name));
        return;
    }
}

bool TrainingTab::applyRunFile(const QString& name)
{
    const auto run = loadRunFile(runFilePathFor(name));
    if (!run) return false;
    m_name->setText(name);
    m_data->setDataSource(run->data);
    m_settings->setOptions(run->options, run->choose);
    updateResume();
    return true;
}

void TrainingTab::fitLeftPane()
{
    QWidget* inner = m_leftScroll->widget();
    m_leftScroll->setMinimumWidth(std::max(380, inner->minimumSizeHint().width() +
                                                    m_leftScroll->verticalScrollBar()->sizeHint().width()));
}

bool TrainingTab::eventFilter(QObject* watched, QEvent* event)
{
    if (m_leftScroll && watched == m_leftScroll->widget() && event->type() == QEvent::LayoutRequest)
        QMetaObject::invokeMethod(this, &TrainingTab::fitLeftPane, Qt::QueuedConnection);
    return QWidget::eventFilter(watched, event);
}

TrainingTab::~TrainingTab()
{
    // The worker posts events to this tab: end it before the members go.
    delete m_runner;
    m_runner = nullptr;
}

bool TrainingTab::isRunning() const
{
    return m_runner && m_runner->isRunning();
}

QString TrainingTab::verdict() const
{
    return m_verdict->text();
}

QString TrainingTab::statusText() const
{
    return m_status->text();
}

QString TrainingTab::planText() const
{
    if (!m_plan->isVisibleTo(this)) return QString();
    QString text = m_planHead;
    if (!m_planReasons.isEmpty()) text += QStringLiteral("\nChosen for this data:\n- ") + m_planReasons.join(QStringLiteral("\n- "));
    return text;
}

void TrainingTab::renderPlan()
{
    // One line, so that the charts and the result stay in view; the reasons one click away.
    QString text = QStringLiteral("<b>%1</b>").arg(m_planHead.toHtmlEscaped());
    if (!m_planReasons.isEmpty()) {
        text += QStringLiteral("<br>%1 setting(s) chosen for this data: <a href=\"why\">%2</a>")
                    .arg(m_planReasons.size())
                    .arg(m_planExpanded ? QStringLiteral("hide why") : QStringLiteral("show why"));
        if (m_planExpanded) {
            text += QStringLiteral("<ul style='margin-left:-24px; margin-top:0px'>");
            for (const QString& why : m_planReasons) text += QStringLiteral("<li>%1</li>").arg(why.toHtmlEscaped());
            text += QStringLiteral("</ul>");
        }
    }
    m_plan->setText(text);
    m_plan->setToolTip(m_planReasons.isEmpty() ? QString() : QStringLiteral("\u2022 ") + m_planReasons.join(QStringLiteral("\n\u2022 ")));
}

void TrainingTab::setSetName(const QString& name)
{
    m_name->setText(name);
}

QString TrainingTab::setName() const
{
    const QString typed = m_name->text().trimmed();
    if (!typed.isEmpty()) return typed;
    QString base = QFileInfo(qs(m_data->dataSource().path)).completeBaseName();
    if (base.isEmpty()) base = QStringLiteral("prompts");
    return base + QLatin1Char('-') + qs(variantName(m_settings->options().prompts.variant));
}

QString TrainingTab::outputPathFor(const QString& name)
{
    return QDir(qs(paths::userDataDir())).filePath(QStringLiteral("training/") + name + QStringLiteral(".safetensors"));
}

QString TrainingTab::statePathFor(const QString& name)
{
    return outputPathFor(name) + QStringLiteral(".state");
}

QString TrainingTab::runFilePathFor(const QString& name)
{
    return outputPathFor(name) + QStringLiteral(".run.json");
}

void TrainingTab::startTraining()
{
    start(false);
}

void TrainingTab::resumeTraining()
{
    // The trainer resumes only with the data and settings it started with: use those.
    applyRunFile(setName());
    start(true);
}

void TrainingTab::cancelTraining()
{
    if (!isRunning()) return;
    m_runner->cancel();
    m_cancel->setEnabled(false);
    setStatus(QStringLiteral("Cancelling: the run stops after the current step and saves its state..."));
}

void TrainingTab::start(bool resume)
{
    if (isRunning()) return;
    svc::TrainingRequest r;
    r.data = m_data->dataSource();
    if (r.data.path.empty()) {
        setStatus(QStringLiteral("Choose the training data first (step 1)."), true);
        return;
    }
    const auto model = m_service.modelSettings();
    r.backbone.checkpoint = model.checkpoint;
    r.backbone.vocab = model.vocab;
    r.backbone.device = model.device;
    r.backbone.threads = model.threads;
    r.options = m_settings->options();
    r.choose = m_settings->choices();
    m_runName = setName();
    r.options.outPath = outputPathFor(m_runName).toStdString();
    r.options.statePath = statePathFor(m_runName).toStdString();
    r.options.resume = resume;
    r.options.checkpointEvery = 100;
    r.data.seed = r.options.seed; // the split the trainer makes
    QDir().mkpath(QFileInfo(outputPathFor(m_runName)).absolutePath());
    if (!resume) {
        SavedRun saved{m_runName, r.data, r.options, r.choose};
        saveRunFile(runFilePathFor(m_runName), saved);
    }
    m_lastRequest = r;

    m_outcome.reset();
    m_resultModel->clear();
    m_use->setEnabled(false);
    m_useMessage->clear();
    m_verdict->setText(QStringLiteral("Training..."));
    m_charts->clear();
    m_plan->clear();
    m_plan->hide();
    m_planHead.clear();
    m_planReasons.clear();
    m_trainingStarted = false;
    m_searchSeen = false;
    setStatus(resume ? QStringLiteral("Resuming '%1'...").arg(m_runName) : QStringLiteral("Starting '%1'...").arg(m_runName));
    auto pending = std::make_shared<std::optional<svc::TrainingOutcome>>();
    m_pending = pending;
    svc::TrainingListener listener = [this](const svc::TrainingEvent& e) {
        QMetaObject::invokeMethod(this, [this, e] { onEvent(e); }, Qt::QueuedConnection);
    };
    setRunning(true);
    m_runner->start([r, listener, pending](svc::JobControl& job) { *pending = svc::TrainingService::train(r, job, listener); });
}

void TrainingTab::onEvent(const svc::TrainingEvent& e)
{
    using K = svc::TrainingEvent::Kind;
    switch (e.kind) {
    case K::Phase:
        // The trainer scores zero-shot CLIP on the validation clips before its first step.
        if (e.phase == svc::phase::Training && m_lastRequest.data.validationFraction > 0)
            setPhase(QStringLiteral("zero-shot"));
        else if (e.phase != svc::phase::Evaluating)
            setPhase(qs(e.phase));
        break;
    case K::Step: {
        const auto& s = e.step;
        if (!m_trainingStarted) setPhase(QLatin1String(svc::phase::Training));
        m_charts->addStep(s);
        m_progress->setRange(0, int(std::max<int64_t>(s.totalSteps, 1)));
        m_progress->setValue(int(s.step));
        m_progress->setFormat(QStringLiteral("Step %1 of %2 \u00b7 epoch %3 of %4 \u00b7 %5 clips/s \u00b7 about %6 left")
                                  .arg(s.step)
                                  .arg(s.totalSteps)
                                  .arg(s.epoch)
                                  .arg(s.epochs)
                                  .arg(s.samplesPerSecond, 0, 'f', 1)
                                  .arg(duration(s.etaSeconds)));
        break;
    }
    case K::Evaluation:
        m_charts->addEvaluation(e.evaluation);
        setStatus(e.evaluation.step == 0
                      ? QStringLiteral("Zero-shot CLIP on the validation clips: ") + qs(describeMetrics(e.evaluation.metrics))
                      : QStringLiteral("Validation after step %1: ").arg(e.evaluation.step) +
                            qs(describeMetrics(e.evaluation.metrics)) +
                            (e.evaluation.best ? QStringLiteral(" (best so far: kept)") : QString()));
        break;
    case K::Checkpoint:
        setStatus(QStringLiteral("Training state saved (%1)").arg(QFileInfo(qs(e.text)).fileName()));
        break;
    case K::Message:
        setStatus(qs(e.text));
        break;
    case K::Plan:
        // "Training VoP^F (...) on 30 videos, ..." and, for each automatic setting, what and why.
        m_planHead = qs(e.text);
        if (!m_planHead.isEmpty()) m_planHead[0] = m_planHead[0].toUpper();
        m_planReasons.clear();
        for (const auto& why : e.reasons) m_planReasons << qs(why);
        renderPlan();
        m_plan->show();
        break;
    }
}

void TrainingTab::setPhase(const QString& phase)
{
    m_phase = phase;
    if (phase == QLatin1String(svc::phase::Training)) m_trainingStarted = true;
    int current = -1;
    for (int i = 0; i < int(sizeof kPhases / sizeof kPhases[0]); ++i)
        if (phase == QLatin1String(kPhases[i].key)) current = i;
    // The search is shown once the service reports it: it runs only for an automatic rate with
    // held-out clips, within the time limit, and not on a resume.
    if (phase == QLatin1String(svc::phase::SearchingRate)) m_searchSeen = true;
    QStringList parts;
    for (int i = 0; i < int(sizeof kPhases / sizeof kPhases[0]); ++i) {
        if (!m_searchSeen && qstrcmp(kPhases[i].key, svc::phase::SearchingRate) == 0) continue;
        // no break inside a phase's name; the strip wraps between phases in a narrow pane
        const QString label = QString::fromLatin1(kPhases[i].label).replace(QLatin1Char(' '), QStringLiteral("&nbsp;"));
        if (i == current) parts << QStringLiteral("<b>\u25b6 %1</b>").arg(label);
        else if (current >= 0 && i < current) parts << QStringLiteral("<span style='color:#1b7a2e'>\u2713 %1</span>").arg(label);
        else parts << QStringLiteral("<span style='color:#777'>%1</span>").arg(label);
    }
    m_phases->setText(parts.join(QStringLiteral(" &nbsp;\u2192&nbsp; ")));
    if (!phase.isEmpty() && phase != QLatin1String("done") && phase != QLatin1String(svc::phase::Training)) {
        m_progress->setRange(0, 0); // busy until the phase reports numbers
        m_progress->setFormat(phase);
    }
}

void TrainingTab::setRunning(bool running)
{
    m_start->setEnabled(!running);
    m_cancel->setEnabled(running);
    m_data->setEditable(!running);
    m_settings->setEditable(!running);
    m_name->setEnabled(!running);
    updateResume();
}

void TrainingTab::updateResume()
{
    const bool can = !isRunning() && QFileInfo::exists(statePathFor(setName()));
    m_resume->setEnabled(can);
    m_resume->setToolTip(can ? QStringLiteral("Continue the interrupted run '%1' from its saved state (same data and settings)").arg(setName())
                             : QStringLiteral("No interrupted run named '%1'").arg(setName()));
}

void TrainingTab::onEnded(const QString& state)
{
    setRunning(false);
    if (state == QLatin1String("finished") && m_pending && m_pending->has_value()) {
        m_outcome = std::move(**m_pending);
        QFile::remove(runFilePathFor(m_runName)); // nothing left to resume
        setPhase(QStringLiteral("done"));
        m_progress->setRange(0, 1);
        m_progress->setValue(1);
        m_progress->setFormat(QStringLiteral("Done: %1 steps in %2").arg(m_outcome->result.steps).arg(duration(m_outcome->result.seconds)));
        showOutcome();
    } else if (state == QLatin1String("cancelled")) {
        m_progress->setRange(0, 1);
        m_progress->setValue(0);
        m_progress->setFormat(QStringLiteral("cancelled"));
        const bool saved = QFileInfo::exists(statePathFor(m_runName));
        setStatus(saved ? QStringLiteral("Cancelled. The state is saved: \"Resume training\" continues where it stopped.")
                        : QStringLiteral("Cancelled before training began; nothing to resume."));
        m_verdict->setText(QStringLiteral("No result: the run was cancelled."));
    } else {
        m_progress->setRange(0, 1);
        m_progress->setValue(0);
        m_progress->setFormat(QStringLiteral("failed"));
        m_verdict->setText(QStringLiteral("No result: the run failed (see above)."));
    }
    m_pending.reset();
    updateResume();
    Q_EMIT runEnded(state);
}

void TrainingTab::showOutcome()
{
    const auto& o = *m_outcome;
    const auto& r = o.result;
    m_charts->showResult(r);
    if (r.hasValidation) {
        m_resultModel->setResult(r.zeroShot, r.best, m_runName);
        m_verdict->setText(QStringLiteral("<b>%1</b><br>Measured on %2 held-out clips; the set keeps the prompts of "
                                          "step %3 of %4 (the best validation R@1).")
                               .arg(qs(o.verdict).toHtmlEscaped())
                               .arg(r.validationVideos)
                               .arg(r.bestStep)
                               .arg(r.steps));
        // green only for a gain measured on enough clips; amber for "not better" and for a gain
        // on so few clips that it may be chance (the verdict says which)
        m_verdict->setStyleSheet(o.betterThanZeroShot && !o.smallValidation ? QStringLiteral("color: #1b7a2e;")
                                                                            : QStringLiteral("color: #9a5b00;"));
    } else {
        m_resultModel->clear();
        m_verdict->setText(QStringLiteral("No clips were held out, so there is no comparison with zero-shot CLIP: %1")
                               .arg(qs(o.verdict).toHtmlEscaped()));
        m_verdict->setStyleSheet(QString());
    }
    m_use->setEnabled(!r.outPath.empty());
    setStatus(QStringLiteral("Wrote %1. Loss %2 \u2192 %3 (first \u2192 last epoch).")
                  .arg(qs(r.outPath))
                  .arg(r.firstEpochLoss, 0, 'f', 3)
                  .arg(r.lastEpochLoss, 0, 'f', 3));
}

bool TrainingTab::useResult()
{
    if (!m_outcome || m_outcome->result.outPath.empty()) return false;
    try {
        PromptSetLibrary library;
        const std::string installed = library.install(m_outcome->result.outPath, m_runName.toStdString());
        auto s = m_service.modelSettings();
        s.prompts = installed;
        m_service.setModelSettings(s);
        const QString name = QFileInfo(qs(installed)).completeBaseName();
        // A set without visual prompts shares the zero-shot index (docs/LIBRARY.md).
        m_useMessage->setText(
            vop::promptSetIsTextOnly(installed)
                ? QStringLiteral("'%1' is installed and active. It has text prompts only, so the library's zero-shot "
                                 "index answers at once: nothing is re-encoded.").arg(name)
                : QStringLiteral("'%1' is installed and active. The Library tab now encodes the library for it as a "
                                 "background job (pausable in its job panel); until it is done, searches are "
                                 "answered by the previous set.").arg(name));
        m_useMessage->setStyleSheet(QString());
        m_use->setEnabled(false);
        Q_EMIT promptSetActivated(qs(installed));
        return true;
    } catch (const std::exception& e) {
        m_useMessage->setText(QStringLiteral("Not switched: ") + QString::fromUtf8(e.what()));
        m_useMessage->setStyleSheet(QStringLiteral("color: #b00020;"));
        return false;
    }
}

void TrainingTab::openPromptSetManager()
{
    auto* dialog = new PromptSetManager(m_service, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &PromptSetManager::activeChanged, this, &TrainingTab::promptSetActivated);
    dialog->open();
}

void TrainingTab::setStatus(const QString& text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
}

} // namespace vop::ui
