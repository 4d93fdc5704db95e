#include "JobPanel.h"

#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

#include <cmath>

namespace vop::ui {

JobPanel::JobPanel(JobRunner& runner, QWidget* parent)
    : QGroupBox(tr("Background job"), parent)
    , m_runner(runner)
{
    setObjectName(QStringLiteral("jobPanel"));
    auto* layout = new QVBoxLayout(this);
    m_phase = new QLabel(this);
    QFont bold = m_phase->font();
    bold.setBold(true);
    m_phase->setFont(bold);
    m_counts = new QLabel(this);
    m_counts->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_detail = new QLabel(this);
    m_detail->setTextFormat(Qt::PlainText);
    m_detail->setMinimumWidth(100);
    m_detail->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_bar = new QProgressBar(this);
    m_bar->setAccessibleName(tr("Indexing progress"));
    m_bar->setToolTip(tr("How much of the current job is done"));
    m_bar->setRange(0, 100);
    m_bar->setValue(0);

    m_pause = new QPushButton(style()->standardIcon(QStyle::SP_MediaPause), tr("&Pause"), this);
    m_pause->setAccessibleName(tr("Pause"));
    m_pause->setToolTip(tr("Pause the job after the file at hand; searching keeps working"));
    m_resume = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("Res&ume"), this);
    m_resume->setAccessibleName(tr("Resume"));
    m_resume->setToolTip(tr("Continue the paused job"));
    m_cancel = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), tr("&Cancel"), this);
    m_cancel->setAccessibleName(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop the job; what is indexed so far stays indexed"));

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_bar, 1);
    buttons->addWidget(m_pause);
    buttons->addWidget(m_resume);
    buttons->addWidget(m_cancel);
    layout->addWidget(m_phase);
    layout->addLayout(buttons);
    layout->addWidget(m_counts);
    layout->addWidget(m_detail);

    connect(m_pause, &QPushButton::clicked, this, [this] {
        m_runner.pause();
        updateButtons();
    });
    connect(m_resume, &QPushButton::clicked, this, [this] {
        m_runner.resume();
        updateButtons();
    });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        m_cancelRequested = true;
        m_runner.cancel();
        updateButtons();
    });
    connect(&m_runner, &JobRunner::started, this, &JobPanel::onStarted);
    connect(&m_runner, &JobRunner::progress, this, &JobPanel::showProgress);
    connect(&m_runner, &JobRunner::pausedChanged, this, &JobPanel::updateButtons);
    connect(&m_runner, &JobRunner::ended, this, &JobPanel::onEnded);
    m_idleText = tr("No job running.");
    if (m_runner.isRunning())
        onStarted();
    else
        onEnded();
}

QString JobPanel::phaseText() const
{
    return m_phase->text();
}

void JobPanel::setIdleText(const QString& text)
{
    m_idleText = text;
    if (!m_runner.isRunning())
        m_counts->setText(m_idleText);
}

QString JobPanel::formatDuration(double seconds)
{
    if (!(seconds >= 0) || !std::isfinite(seconds))
        return {};
    const qint64 s = qint64(std::llround(seconds));
    if (s < 60)
        return tr("%1 s").arg(s);
    if (s < 3600)
        return tr("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
}

QString JobPanel::phaseTitle(const QString& phase)
{
    if (phase.isEmpty())
        return tr("Starting");
    if (phase == QLatin1String("loading model"))
        return tr("Loading the model");
    if (phase == QLatin1String("scanning"))
        return tr("Looking for new and changed videos");
    if (phase == QLatin1String("loading index"))
        return tr("Loading the search index");
    if (phase == QLatin1String("building index"))
        return tr("Building the search index");
    if (phase == QLatin1String("indexing"))
        return tr("Indexing videos");
    if (phase == QLatin1String("saving index"))
        return tr("Saving the search index");
    QString t = phase;
    t[0] = t[0].toUpper();
    return t;
}

void JobPanel::onStarted()
{
    m_cancelRequested = false;
    m_phase->setText(phaseTitle({}));
    m_counts->clear();
    m_detail->clear();
    m_bar->setRange(0, 0); // busy until the first report says how much there is
    m_bar->setTextVisible(true);
    updateButtons();
}

void JobPanel::onEnded()
{
    m_phase->setText(tr("Idle"));
    m_counts->setText(m_idleText);
    m_detail->clear();
    m_detail->hide();
    m_bar->setRange(0, 100);
    m_bar->setValue(0);
    m_bar->setTextVisible(false);
    m_cancelRequested = false;
    updateButtons();
}

void JobPanel::showProgress(const JobProgressData& p)
{
    QString title = phaseTitle(p.phase);
    if (p.paused)
        title = tr("Paused: %1").arg(title);
    else if (m_cancelRequested)
        title = tr("Cancelling…");
    m_phase->setText(title);
    if (p.total > 0) {
        m_bar->setRange(0, 1000);
        m_bar->setValue(int(std::lround(1000 * std::clamp(p.fraction(), 0.0, 1.0))));
        m_bar->setFormat(QStringLiteral("%1 %").arg(100.0 * p.fraction(), 0, 'f', 0));
    } else {
        m_bar->setRange(0, 0);
    }
    const QLocale locale;
    QStringList parts;
    if (p.total > 0)
        parts << tr("%1 of %2 %3").arg(locale.toString(p.done), locale.toString(p.total), p.unit);
    else if (p.done > 0)
        parts << tr("%1 %2").arg(locale.toString(p.done), p.unit);
    if (p.rate > 0 && !p.paused)
        parts << tr("%1 %2").arg(locale.toString(p.rate, 'f', p.rate < 10 ? 1 : 0),
                                 p.rateUnit.isEmpty() ? p.unit + QStringLiteral("/s") : p.rateUnit);
    const QString eta = formatDuration(p.etaSeconds);
    if (!eta.isEmpty() && !p.paused)
        parts << tr("about %1 left").arg(eta);
    m_counts->setText(parts.join(QStringLiteral("  ·  ")));
    const QString detail = p.detail;
    // A path: its file name (the whole path in the tooltip).
    m_detail->setText(detail.startsWith(QLatin1Char('/')) ? QFileInfo(detail).fileName() : detail);
    m_detail->setToolTip(detail);
    m_detail->setVisible(!detail.isEmpty());
    updateButtons();
}

void JobPanel::updateButtons()
{
    const bool running = m_runner.isRunning();
    const bool paused = m_runner.isPaused();
    m_pause->setEnabled(running && !paused && !m_cancelRequested);
    m_resume->setEnabled(running && paused && !m_cancelRequested);
    m_cancel->setEnabled(running && !m_cancelRequested);
}

} // namespace vop::ui
