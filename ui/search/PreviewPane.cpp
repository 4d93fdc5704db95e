#include "search/PreviewPane.h"

#include "search/MomentSlider.h"
#include "search/ResultsModel.h"
#include "search/SystemPlayer.h"

#include <QAudioOutput>
#include <QBoxLayout>
#include <QFileInfo>
#include <QLabel>
#include <QMediaPlayer>
#include <QStackedWidget>
#include <QStyle>
#include <QTimer>
#include <QToolButton>
#include <QVideoWidget>

#include <cmath>

namespace vop::ui {

namespace {
QToolButton* toolButton(QWidget* parent, const QString& text, const QString& tip, QStyle::StandardPixmap icon)
{
    auto* b = new QToolButton(parent);
    b->setText(text);
    b->setToolTip(tip);
    b->setAccessibleName(text);
    b->setIcon(parent->style()->standardIcon(icon));
    b->setAutoRaise(true);
    return b;
}
} // namespace

PreviewPane::PreviewPane(QWidget* parent) : QWidget(parent)
{
    setAccessibleName(QStringLiteral("Preview"));
    m_player = new QMediaPlayer(this);
    m_audio = new QAudioOutput(this);
    m_player->setAudioOutput(m_audio);

    m_title = new QLabel(this);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // A long file name must not widen the pane: the label takes the width it gets and elides.
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    QFont tf = m_title->font();
    tf.setBold(true);
    m_title->setFont(tf);

    m_screen = new QStackedWidget(this);
    m_placeholder = new QLabel(tr("Select a moment and press Space to preview it here, Enter to play it."), m_screen);
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setMargin(16);
    m_placeholder->setStyleSheet(QStringLiteral("QLabel { background: #181818; color: #bbbbbb; }"));
    m_video = new QVideoWidget(m_screen);
    m_video->setMinimumSize(240, 135);
    m_video->setAccessibleName(QStringLiteral("Video"));
    m_player->setVideoOutput(m_video);
    m_screen->setAutoFillBackground(true);
    QPalette dark = m_screen->palette();
    dark.setColor(QPalette::Window, QColor(24, 24, 24));
    m_screen->setPalette(dark);
    m_screen->addWidget(m_placeholder);
    m_screen->addWidget(m_video);

    m_slider = new MomentSlider(this);
    m_slider->setAccessibleName(QStringLiteral("Position"));
    m_slider->setToolTip(tr("Position in the video; the marked band is the moment found"));
    m_slider->setEnabled(false);
    m_time = new QLabel(this);
    m_time->setMinimumWidth(m_time->fontMetrics().horizontalAdvance(QStringLiteral("00:00.0 / 00:00.0")));
    m_time->setAlignment(Qt::AlignRight | Qt::AlignVCenter);

    m_playButton = toolButton(this, tr("Play"), tr("Play or pause the moment (Space in the results)"),
                              QStyle::SP_MediaPlay);
    m_muteButton = toolButton(this, tr("Mute"), tr("Mute or unmute the sound"), QStyle::SP_MediaVolume);
    m_muteButton->setCheckable(true);
    m_loopButton = toolButton(this, tr("Loop"), tr("Loop the moment instead of stopping at its end"),
                              QStyle::SP_BrowserReload);
    m_loopButton->setCheckable(true);
    m_openButton = toolButton(this, tr("Open in player"), tr("Open the video in the system's player at this moment"),
                              QStyle::SP_MediaSeekForward);
    m_folderButton = toolButton(this, tr("Show in folder"), tr("Show the file in the file manager"),
                                QStyle::SP_DirOpenIcon);
    m_copyButton = toolButton(this, tr("Copy path"), tr("Copy the file's path to the clipboard"),
                              QStyle::SP_FileLinkIcon);
    for (auto* b : {m_loopButton, m_openButton, m_folderButton, m_copyButton})
        b->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);

    auto* transport = new QHBoxLayout;
    transport->setSpacing(2);
    transport->addWidget(m_playButton);
    transport->addWidget(m_muteButton);
    transport->addWidget(m_loopButton);
    transport->addWidget(m_slider, 1);
    transport->addWidget(m_time);
    auto* handoff = new QHBoxLayout;
    handoff->setSpacing(2);
    handoff->addWidget(m_openButton);
    handoff->addWidget(m_folderButton);
    handoff->addWidget(m_copyButton);
    handoff->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addWidget(m_screen, 1);
    layout->addLayout(transport);
    layout->addLayout(handoff);

    connect(m_playButton, &QToolButton::clicked, this, &PreviewPane::togglePlay);
    connect(m_muteButton, &QToolButton::toggled, this, &PreviewPane::setMuted);
    connect(m_loopButton, &QToolButton::toggled, this, &PreviewPane::setLooping);
    connect(m_openButton, &QToolButton::clicked, this, &PreviewPane::openInSystemPlayer);
    connect(m_folderButton, &QToolButton::clicked, this, &PreviewPane::showInFolder);
    connect(m_copyButton, &QToolButton::clicked, this, &PreviewPane::copyPath);
    connect(m_slider, &QSlider::sliderMoved, this, [this](int v) { seekTo(v); });
    connect(m_player, &QMediaPlayer::positionChanged, this, &PreviewPane::onPosition);
    connect(m_player, &QMediaPlayer::durationChanged, this, &PreviewPane::onDuration);
    connect(m_player, &QMediaPlayer::mediaStatusChanged, this, &PreviewPane::onMediaStatus);
    connect(m_player, &QMediaPlayer::playbackStateChanged, this, &PreviewPane::updateButtons);
    connect(m_player, &QMediaPlayer::errorOccurred, this, &PreviewPane::onError);
    connect(m_player, &QMediaPlayer::seekableChanged, this, [this] { applyPendingStart(false); });
    // A backend that never says "loaded" still starts, from wherever it can.
    m_pendingTimer = new QTimer(this);
    m_pendingTimer->setSingleShot(true);
    m_pendingTimer->setInterval(2000);
    connect(m_pendingTimer, &QTimer::timeout, this, [this] { applyPendingStart(true); });
    clear();
}

PreviewPane::~PreviewPane()
{
    m_player->stop();
}

QUrl PreviewPane::source() const
{
    return m_player->source();
}

void PreviewPane::showMoment(const QString& path, double start, double end, bool play, double fileDuration)
{
    const bool same = path == m_path && m_player->source().isValid();
    m_path = path;
    m_start = std::max(0.0, start);
    m_end = std::max(m_start, end);
    m_playRequested = play;
    m_knownDuration = qint64(std::max(0.0, fileDuration) * 1000);
    m_titleText = QFileInfo(path).fileName() + QStringLiteral("   ") + ResultsModel::formatTime(m_start) +
                  QChar(0x2013) + ResultsModel::formatTime(m_end);
    updateTitle();
    m_title->setToolTip(path);
    m_screen->setCurrentWidget(m_video);
    m_slider->setEnabled(true);
    m_slider->setMoment(qint64(m_start * 1000), qint64(m_end * 1000));
    onDuration(m_player->duration());
    seekTo(qint64(std::llround(m_start * 1000))); // remembered as the requested position
    if (!same) {
        // A seek before the media is loaded is lost on some backends (GStreamer): load paused,
        // seek once it can, then play (applyPendingStart).
        m_pendingSeek = true;
        m_loadStarted = false;
        m_pendingTimer->start();
        m_player->setSource(QUrl::fromLocalFile(path));
        m_player->pause();
        applyPendingStart(false);
    } else if (play) {
        m_player->play();
    } else {
        m_player->pause(); // shows the frame at the start
    }
    updateButtons();
}

void PreviewPane::applyPendingStart(bool force)
{
    if (!m_pendingSeek)
        return;
    // GStreamer drops a seek made before it can seek, says "loaded" before it can, and reports
    // the previous file's state until the new one starts loading: wait for this file's seekable.
    if (!(m_loadStarted && m_player->isSeekable()) && !force)
        return; // not yet (the timer forces it)
    m_pendingSeek = false;
    m_pendingTimer->stop();
    seekTo(qint64(std::llround(m_start * 1000)));
    if (m_playRequested)
        m_player->play();
}

void PreviewPane::clear()
{
    m_pendingSeek = false;
    m_pendingTimer->stop();
    m_player->stop();
    m_player->setSource(QUrl());
    m_path.clear();
    m_start = m_end = 0;
    m_knownDuration = 0;
    m_requested = 0;
    m_playRequested = false;
    m_titleText = tr("Preview");
    updateTitle();
    m_title->setToolTip(QString());
    m_screen->setCurrentWidget(m_placeholder);
    m_slider->setEnabled(false);
    m_slider->setRange(0, 0);
    m_slider->setMoment(0, 0);
    m_time->clear();
    updateButtons();
}

void PreviewPane::updateTitle()
{
    m_title->setText(m_title->fontMetrics().elidedText(m_titleText, Qt::ElideMiddle, std::max(40, m_title->width())));
}

void PreviewPane::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    updateTitle();
}

void PreviewPane::seekTo(qint64 ms)
{
    m_requested = ms;
    m_player->setPosition(ms);
}

void PreviewPane::play()
{
    if (m_path.isEmpty())
        return;
    m_playRequested = true;
    if (m_pendingSeek)
        return; // plays from the start once the media has loaded
    const qint64 pos = m_player->position();
    // Starting again after the moment ended plays the moment, not what follows it.
    if (pos >= qint64(m_end * 1000) - 50 || pos < qint64(m_start * 1000) - 50)
        seekTo(qint64(std::llround(m_start * 1000)));
    m_player->play();
}

void PreviewPane::pause()
{
    m_playRequested = false;
    m_player->pause();
}

void PreviewPane::togglePlay()
{
    if (m_player->playbackState() == QMediaPlayer::PlayingState)
        pause();
    else
        play();
}

void PreviewPane::setMuted(bool muted)
{
    m_audio->setMuted(muted);
    if (m_muteButton->isChecked() != muted)
        m_muteButton->setChecked(muted);
    updateButtons();
}

void PreviewPane::setLooping(bool loop)
{
    m_loop = loop;
    if (m_loopButton->isChecked() != loop)
        m_loopButton->setChecked(loop);
}

void PreviewPane::onPosition(qint64 ms)
{
    if (!m_slider->isSliderDown())
        m_slider->setValue(int(ms));
    m_time->setText(ResultsModel::formatTime(ms / 1000.0) + QStringLiteral(" / ") +
                    ResultsModel::formatTime(std::max(m_player->duration(), m_knownDuration) / 1000.0));
    const qint64 endMs = qint64(m_end * 1000);
    if (m_player->playbackState() == QMediaPlayer::PlayingState && endMs > 0 && ms >= endMs &&
        m_requested < endMs && !m_slider->isSliderDown()) {
        if (m_loop)
            seekTo(qint64(std::llround(m_start * 1000)));
        else
            pause();
    }
}

void PreviewPane::onDuration(qint64 ms)
{
    // Some backends report no duration for a while (or never): the catalog's stands in.
    m_slider->setRange(0, int(std::max<qint64>(std::max(ms, m_knownDuration), 0)));
    m_slider->setMoment(qint64(m_start * 1000), qint64(m_end * 1000));
}

void PreviewPane::onMediaStatus()
{
    if (m_player->mediaStatus() == QMediaPlayer::LoadingMedia)
        m_loadStarted = true;
    applyPendingStart(false);
}

void PreviewPane::onError()
{
    if (m_player->error() == QMediaPlayer::NoError)
        return;
    Q_EMIT message(tr("Cannot play %1: %2").arg(QFileInfo(m_path).fileName(), m_player->errorString()));
}

void PreviewPane::updateButtons()
{
    const bool playing = m_player->playbackState() == QMediaPlayer::PlayingState;
    m_playButton->setIcon(style()->standardIcon(playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    m_playButton->setText(playing ? tr("Pause") : tr("Play"));
    m_muteButton->setIcon(style()->standardIcon(m_audio->isMuted() ? QStyle::SP_MediaVolumeMuted
                                                                    : QStyle::SP_MediaVolume));
    const bool have = !m_path.isEmpty();
    for (auto* b : {m_playButton, m_openButton, m_folderButton, m_copyButton})
        b->setEnabled(have);
}

void PreviewPane::openInSystemPlayer()
{
    if (m_path.isEmpty())
        return;
    pause();
    const double at = m_player->position() > 0 ? m_player->position() / 1000.0 : m_start;
    if (!vop::ui::openInSystemPlayer(m_path, at))
        Q_EMIT message(tr("No program could open %1").arg(m_path));
}

void PreviewPane::showInFolder()
{
    if (!m_path.isEmpty() && !vop::ui::showInFolder(m_path))
        Q_EMIT message(tr("No file manager could show %1").arg(m_path));
}

void PreviewPane::copyPath()
{
    if (m_path.isEmpty())
        return;
    copyPathToClipboard(m_path);
    Q_EMIT message(tr("Copied %1").arg(m_path));
}

} // namespace vop::ui
