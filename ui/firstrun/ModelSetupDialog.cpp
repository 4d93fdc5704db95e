#include "firstrun/ModelSetupDialog.h"

#include "common/JobRunner.h"
#include "service/LibraryService.h"
#include "service/ModelDownload.h"

#include <QDir>
#include <QFileDialog>
#include <QFont>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>

namespace vop::ui {

namespace {

QString bytes(qint64 n)
{
    return QString::fromStdString(service::formatBytes(n));
}

QString timeLeft(double seconds)
{
    if (seconds < 0)
        return {};
    if (seconds < 60)
        return ModelSetupDialog::tr("about %1 s left").arg(std::max(1, int(std::lround(seconds))));
    if (seconds < 3600)
        return ModelSetupDialog::tr("about %1 min left").arg(int(std::lround(seconds / 60)));
    return ModelSetupDialog::tr("about %1 h %2 min left").arg(int(seconds / 3600)).arg(int(std::fmod(seconds, 3600) / 60));
}

} // namespace

ModelSetupDialog::ModelSetupDialog(service::LibraryService& service, QWidget* parent)
    : QDialog(parent), m_service(service), m_downloadedPath(std::make_shared<std::string>())
{
    m_downloadDir = QString::fromStdString(service::defaultDownloadDir());
    m_runner = new JobRunner(this);
    connect(m_runner, &JobRunner::progress, this, &ModelSetupDialog::onProgress);
    connect(m_runner, &JobRunner::failed, this, &ModelSetupDialog::onJobFailed);
    connect(m_runner, &JobRunner::cancelled, this, &ModelSetupDialog::onJobCancelled);
    connect(m_runner, &JobRunner::finished, this, [this] {
        if (m_job == Job::Download)
            onDownloadFinished();
        else if (m_job == Job::Check)
            onCheckFinished();
    });
    buildUi();
    refreshButtons();
}

ModelSetupDialog::~ModelSetupDialog() = default;

void ModelSetupDialog::buildUi()
{
    setWindowTitle(tr("Set up the search model"));
    setObjectName(QStringLiteral("ModelSetupDialog"));
    setMinimumWidth(560);

    auto* title = new QLabel(tr("vopsearch needs its search model"), this);
    QFont big = title->font();
    big.setPointSizeF(big.pointSizeF() * 1.3);
    big.setBold(true);
    title->setFont(big);

    m_explanation = new QLabel(
        tr("To find moments in your videos from words, vopsearch uses <b>CLIP ViT-B/32</b>, an image "
           "and text model of about 350 MB that runs entirely on this computer: your videos and "
           "searches never leave it. Download it once, or choose a checkpoint file you already have "
           "(<tt>ViT-B-32.pt</tt> or a CLIP <tt>.safetensors</tt>)."),
        this);
    m_explanation->setWordWrap(true);
    m_explanation->setTextFormat(Qt::RichText);

    m_where = new QLabel(this);
    m_where->setWordWrap(true);
    m_where->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_problem = new QLabel(this);
    m_problem->setWordWrap(true);
    m_problem->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_problem->setForegroundRole(QPalette::PlaceholderText);
    if (const auto problem = m_service.modelProblem()) {
        m_problem->setText(tr("Until then you can browse your library; indexing and search wait for the model."));
        m_problem->setToolTip(QString::fromStdString(*problem)); // where it looked, for the curious
    } else {
        m_problem->setText(tr("A model is set up already; you can replace it here."));
    }

    m_progress = new QProgressBar(this);
    m_progress->setAccessibleName(tr("Download progress"));
    m_progress->setTextVisible(true);
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->hide();

    m_status = new QLabel(this);
    m_status->setAccessibleName(tr("Download status"));
    m_status->hide();

    m_error = new QLabel(this);
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(QStringLiteral("color: #b00020;"));
    m_error->setAccessibleName(tr("Model setup error"));
    m_error->hide();

    m_download = new QPushButton(tr("&Download"), this);
    m_download->setAccessibleName(tr("Download"));
    m_download->setDefault(true);
    connect(m_download, &QPushButton::clicked, this, &ModelSetupDialog::startDownload);

    m_cancel = new QPushButton(tr("&Cancel download"), this);
    m_cancel->setAccessibleName(tr("Cancel download"));
    m_cancel->setToolTip(tr("Stop the download; what arrived is kept and the next download resumes from there"));
    connect(m_cancel, &QPushButton::clicked, this, &ModelSetupDialog::cancelDownload);

    m_choose = new QPushButton(tr("C&hoose a checkpoint file…"), this);
    m_choose->setAccessibleName(tr("Choose a checkpoint file"));
    m_choose->setToolTip(tr("Use a CLIP checkpoint you already have (ViT-B-32.pt or .safetensors)"));
    connect(m_choose, &QPushButton::clicked, this, &ModelSetupDialog::chooseCheckpoint);

    m_later = new QPushButton(tr("&Later"), this);
    m_later->setAccessibleName(tr("Later"));
    m_later->setToolTip(tr("Close this; the library can be browsed without a model, and File → Settings sets one later"));
    connect(m_later, &QPushButton::clicked, this, &ModelSetupDialog::reject);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_choose);
    buttons->addStretch(1);
    buttons->addWidget(m_later);
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_download);

    auto* layout = new QVBoxLayout(this);
    layout->setSpacing(10);
    layout->addWidget(title);
    layout->addWidget(m_explanation);
    layout->addWidget(m_where);
    layout->addWidget(m_problem);
    layout->addSpacing(4);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addWidget(m_error);
    layout->addStretch(1);
    layout->addLayout(buttons);
}

void ModelSetupDialog::setManifestPath(const QString& path)
{
    m_manifestPath = path;
    refreshButtons();
}

void ModelSetupDialog::setDownloadDir(const QString& dir)
{
    m_downloadDir = dir;
    refreshButtons();
}

QString ModelSetupDialog::downloadDir() const { return m_downloadDir; }

bool ModelSetupDialog::isBusy() const { return m_job != Job::None; }

QString ModelSetupDialog::errorText() const { return m_error->text(); }

QString ModelSetupDialog::statusText() const { return m_status->text(); }

void ModelSetupDialog::refreshButtons()
{
    const bool busy = isBusy();
    m_download->setVisible(m_job != Job::Download);
    m_download->setEnabled(!busy);
    m_cancel->setVisible(m_job == Job::Download);
    m_choose->setEnabled(!busy);
    m_later->setEnabled(true);

    // What a download would do: where it goes, and whether it resumes an earlier one.
    QString where = tr("The download goes to %1.").arg(QDir::toNativeSeparators(m_downloadDir));
    m_download->setText(tr("&Download"));
    try {
        const std::string manifest = m_manifestPath.isEmpty() ? service::defaultManifestPath() : m_manifestPath.toStdString();
        const auto entries = service::readModelManifest(manifest);
        const auto& entry = service::findModel(entries, service::kDefaultModelName);
        const auto local = service::localModelState(entry, m_downloadDir.toStdString());
        if (local.partBytes > 0) {
            m_download->setText(tr("&Resume download"));
            where += QLatin1Char(' ') + tr("%1 arrived earlier and is kept.").arg(bytes(local.partBytes));
        }
        m_download->setToolTip(tr("Download %1 (%2), check its sha256 and use it")
                                   .arg(QString::fromStdString(entry.file),
                                        entry.size > 0 ? bytes(entry.size) : tr("about 350 MB")));
    } catch (const std::exception& e) {
        m_download->setToolTip(QString::fromUtf8(e.what()));
    }
    m_where->setText(where);
}

void ModelSetupDialog::showError(const QString& message)
{
    m_error->setText(message);
    m_error->setVisible(!message.isEmpty());
}

void ModelSetupDialog::startDownload()
{
    if (isBusy())
        return;
    showError({});
    const std::string manifest = m_manifestPath.toStdString();
    const std::string dir = m_downloadDir.toStdString();
    auto out = m_downloadedPath;
    out->clear();
    m_job = Job::Download;
    m_progress->setRange(0, 0);
    m_progress->show();
    m_status->setText(tr("Connecting…"));
    m_status->show();
    refreshButtons();
    m_runner->start([manifest, dir, out](service::JobControl& job) {
        const auto entries = service::readModelManifest(manifest.empty() ? service::defaultManifestPath() : manifest);
        const auto& entry = service::findModel(entries, service::kDefaultModelName);
        service::DownloadOptions options;
        options.destDir = dir;
        *out = service::downloadModel(entry, job, options).path;
    });
}

void ModelSetupDialog::cancelDownload()
{
    if (m_job == Job::Download)
        m_runner->cancel();
}

void ModelSetupDialog::onProgress(const JobProgressData& p)
{
    const std::string phase = p.phase.toStdString();
    if (p.total > 0) {
        m_progress->setRange(0, 1000);
        m_progress->setValue(int(std::lround(p.fraction() * 1000)));
    } else {
        m_progress->setRange(0, 0); // busy: the size is not known (yet)
    }
    QString line;
    if (phase == service::phase::DownloadingModel) {
        line = p.total > 0 ? tr("%1 of %2").arg(bytes(p.done), bytes(p.total)) : tr("%1 received").arg(bytes(p.done));
        if (p.rate > 0)
            line += QStringLiteral(" · ") + tr("%1/s").arg(bytes(qint64(p.rate)));
        if (p.etaSeconds >= 0)
            line += QStringLiteral(" · ") + timeLeft(p.etaSeconds);
    } else if (phase == service::phase::VerifyingModel) {
        line = tr("Checking the file (sha256)…");
    } else if (phase == service::phase::LoadingModel) {
        m_progress->setRange(0, 0);
        line = tr("Loading the model to check that it works…");
    } else {
        line = p.phase;
    }
    m_status->setText(line);
}

void ModelSetupDialog::onDownloadFinished()
{
    m_job = Job::None;
    const QString path = QString::fromStdString(*m_downloadedPath);
    m_status->setText(tr("Downloaded and verified: %1").arg(QDir::toNativeSeparators(path)));
    applyAndCheck(path);
}

void ModelSetupDialog::onJobFailed(const QString& message)
{
    const Job job = m_job;
    m_job = Job::None;
    m_progress->hide();
    m_status->hide();
    if (job == Job::Check) {
        if (m_previous) {
            try {
                m_service.setModelSettings(*m_previous);
            } catch (const std::exception&) {
                // an index job started meanwhile: the new settings stay, the error below says why
            }
            m_previous.reset();
        }
        showError(tr("%1 cannot be used as the model: %2").arg(QDir::toNativeSeparators(m_checking), message));
    } else {
        showError(tr("The download did not finish: %1").arg(message));
    }
    refreshButtons();
}

void ModelSetupDialog::onJobCancelled()
{
    const Job job = m_job;
    m_job = Job::None;
    m_progress->hide();
    if (job == Job::Check && m_previous) {
        try {
            m_service.setModelSettings(*m_previous);
        } catch (const std::exception&) {
        }
        m_previous.reset();
    }
    m_status->setText(job == Job::Download ? tr("Download stopped; the next one resumes where it stopped.")
                                           : tr("Stopped."));
    refreshButtons();
}

void ModelSetupDialog::chooseCheckpoint()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Choose a CLIP checkpoint"), QDir::homePath(),
        tr("CLIP checkpoints (*.pt *.safetensors);;All files (*)"));
    if (!path.isEmpty())
        useCheckpointFile(path);
}

bool ModelSetupDialog::useCheckpointFile(const QString& path)
{
    if (isBusy())
        return false;
    showError({});
    const auto before = m_service.modelSettings();
    applyAndCheck(path);
    return isBusy() || m_service.modelSettings() != before;
}

void ModelSetupDialog::applyAndCheck(const QString& checkpoint)
{
    const auto old = m_service.modelSettings();
    auto next = old;
    next.checkpoint = checkpoint.toStdString();
    try {
        m_service.setModelSettings(next);
    } catch (const std::exception& e) {
        m_progress->hide();
        showError(QString::fromUtf8(e.what()));
        refreshButtons();
        return;
    }
    if (const auto problem = m_service.modelProblem()) {
        try {
            m_service.setModelSettings(old);
        } catch (const std::exception&) {
        }
        m_progress->hide();
        showError(tr("%1 cannot be used as the model: %2")
                      .arg(QDir::toNativeSeparators(checkpoint), QString::fromStdString(*problem)));
        refreshButtons();
        return;
    }
    // The files are there: load the model once on the worker to prove it can be read (and so
    // the first search does not wait for it).
    m_previous = std::make_unique<service::ModelSettings>(old);
    m_checking = checkpoint;
    m_job = Job::Check;
    m_progress->setRange(0, 0);
    m_progress->show();
    m_status->setText(tr("Loading the model to check that it works…"));
    m_status->show();
    refreshButtons();
    auto* svc = &m_service;
    m_runner->start([svc](service::JobControl& job) { svc->loadModel(&job); });
}

void ModelSetupDialog::onCheckFinished()
{
    m_job = Job::None;
    m_previous.reset();
    Q_EMIT modelReady(m_checking);
    accept();
}

void ModelSetupDialog::reject()
{
    if (isBusy()) {
        m_runner->cancel();
        m_runner->waitForEnd(); // the cancelled() handler restores settings of an unfinished check
        if (result() == QDialog::Accepted)
            return; // the check finished before the cancel reached it: the model is set
    }
    QDialog::reject();
}

} // namespace vop::ui
