#pragma once
// Plays a found moment: a QMediaPlayer on a QVideoWidget that starts at the moment's start and
// stops there at its end (or loops it), a scrub bar over the whole video with the moment marked,
// play/pause, mute, loop, and the hand-offs: open in the system player (at the moment), show in
// folder, copy path.
#include <QUrl>
#include <QWidget>

class QAudioOutput;
class QLabel;
class QMediaPlayer;
class QStackedWidget;
class QTimer;
class QToolButton;
class QVideoWidget;

namespace vop::ui {

class MomentSlider;

class PreviewPane : public QWidget {
    Q_OBJECT
public:
    explicit PreviewPane(QWidget* parent = nullptr);
    ~PreviewPane() override;

    // Loads `path` at `start` (seconds); plays the moment when `play`, else waits paused there.
    // `fileDuration` (seconds, 0 = unknown) scales the scrub bar until the player knows better.
    void showMoment(const QString& path, double start, double end, bool play, double fileDuration = 0);
    void clear();

    QUrl source() const;
    bool hasMoment() const { return !m_path.isEmpty(); }
    QString path() const { return m_path; }
    double momentStart() const { return m_start; }
    double momentEnd() const { return m_end; }
    // Where the pane asked the player to be (ms): the moment's start after showMoment, a scrub
    // target after a seek. The decoded position may lag behind it (or stay 0 without a decoder).
    qint64 requestedPosition() const { return m_requested; }
    bool isLooping() const { return m_loop; }
    bool isPlayRequested() const { return m_playRequested; }
    QMediaPlayer* player() const { return m_player; }

public Q_SLOTS:
    void play();
    void pause();
    void togglePlay();
    void setMuted(bool muted);
    void setLooping(bool loop);
    void openInSystemPlayer();
    void showInFolder();
    void copyPath();

Q_SIGNALS:
    void message(const QString& text); // for the status bar

private:
    void seekTo(qint64 ms);
    void onPosition(qint64 ms);
    void onDuration(qint64 ms);
    void onMediaStatus();
    void applyPendingStart(bool force);
    void onError();
    void updateButtons();
    void updateTitle();

protected:
    void resizeEvent(QResizeEvent* event) override;

private:

    QMediaPlayer* m_player = nullptr;
    QAudioOutput* m_audio = nullptr;
    QVideoWidget* m_video = nullptr;
    QStackedWidget* m_screen = nullptr;
    QLabel* m_placeholder = nullptr;
    QLabel* m_title = nullptr;
    QLabel* m_time = nullptr;
    MomentSlider* m_slider = nullptr;
    QToolButton* m_playButton = nullptr;
    QToolButton* m_muteButton = nullptr;
    QToolButton* m_loopButton = nullptr;
    QToolButton* m_openButton = nullptr;
    QToolButton* m_folderButton = nullptr;
    QToolButton* m_copyButton = nullptr;

    QString m_path;
    double m_start = 0, m_end = 0;
    qint64 m_knownDuration = 0; // ms, from the catalog
    QString m_titleText;        // elided into m_title to its width
    qint64 m_requested = 0;
    bool m_loop = false;
    bool m_playRequested = false;
    bool m_pendingSeek = false; // the start is applied once the media has loaded
    bool m_loadStarted = false; // the new source's loading was reported
    QTimer* m_pendingTimer = nullptr;
};

} // namespace vop::ui
