#pragma once
// Handing a moment to the desktop: the system's video player (at the moment when the player
// takes a start time on its command line: mpv, vlc, celluloid, smplayer), the file manager, the
// clipboard.
#include <QString>
#include <QStringList>

namespace vop::ui {

struct PlayerCommand {
    QString program;     // "" when no known player is installed: open the file with the default app
    QStringList arguments;
};

// The command that plays `path` from `start` (seconds) with the first known player found on the
// PATH; program "" when there is none.
PlayerCommand systemPlayerCommand(const QString& path, double start);

// Starts the player (detached) or, without one, opens the file with the desktop's default
// application. False when nothing could be started.
bool openInSystemPlayer(const QString& path, double start);
// Asks the file manager to show the file selected (org.freedesktop.FileManager1), else opens
// its folder.
bool showInFolder(const QString& path);
// The path as text and as a file URL on the clipboard.
void copyPathToClipboard(const QString& path);

} // namespace vop::ui
