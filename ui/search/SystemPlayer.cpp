#include "search/SystemPlayer.h"

#include <QClipboard>
#include <QDesktopServices>
#include <QFileInfo>
#include <QGuiApplication>
#include <QMimeData>
#include <QProcess>
#include <QStandardPaths>
#include <QUrl>

namespace vop::ui {

namespace {
QString secs(double s)
{
    return QString::number(s < 0 ? 0.0 : s, 'f', 3);
}
} // namespace

PlayerCommand systemPlayerCommand(const QString& path, double start)
{
    PlayerCommand c;
    if (const QString mpv = QStandardPaths::findExecutable(QStringLiteral("mpv")); !mpv.isEmpty()) {
        c.program = mpv;
        c.arguments = {QStringLiteral("--start=") + secs(start), QStringLiteral("--"), path};
    } else if (const QString vlc = QStandardPaths::findExecutable(QStringLiteral("vlc")); !vlc.isEmpty()) {
        c.program = vlc;
        c.arguments = {QStringLiteral("--start-time=") + secs(start), path};
    } else if (const QString cel = QStandardPaths::findExecutable(QStringLiteral("celluloid")); !cel.isEmpty()) {
        c.program = cel;
        c.arguments = {QStringLiteral("--mpv-start=") + secs(start), path};
    } else if (const QString smp = QStandardPaths::findExecutable(QStringLiteral("smplayer")); !smp.isEmpty()) {
        c.program = smp;
        c.arguments = {QStringLiteral("-ss"), secs(start), path};
    }
    return c;
}

bool openInSystemPlayer(const QString& path, double start)
{
    const PlayerCommand c = systemPlayerCommand(path, start);
    if (!c.program.isEmpty() && QProcess::startDetached(c.program, c.arguments))
        return true;
    return QDesktopServices::openUrl(QUrl::fromLocalFile(path));
}

bool showInFolder(const QString& path)
{
    const QUrl folder = QUrl::fromLocalFile(QFileInfo(path).absolutePath());
    const QString dbusSend = QStandardPaths::findExecutable(QStringLiteral("dbus-send"));
    if (dbusSend.isEmpty() || qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"))
        return QDesktopServices::openUrl(folder);
    // Asynchronous: a desktop without a FileManager1 service gets the folder opened instead.
    auto* p = new QProcess;
    QObject::connect(p, &QProcess::finished, p, [p, folder](int code, QProcess::ExitStatus status) {
        if (code != 0 || status != QProcess::NormalExit)
            QDesktopServices::openUrl(folder);
        p->deleteLater();
    });
    QObject::connect(p, &QProcess::errorOccurred, p, [p, folder](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart) {
            QDesktopServices::openUrl(folder);
            p->deleteLater();
        }
    });
    p->start(dbusSend, {QStringLiteral("--session"), QStringLiteral("--print-reply"),
                        QStringLiteral("--dest=org.freedesktop.FileManager1"), QStringLiteral("--type=method_call"),
                        QStringLiteral("/org/freedesktop/FileManager1"),
                        QStringLiteral("org.freedesktop.FileManager1.ShowItems"),
                        QStringLiteral("array:string:") + QUrl::fromLocalFile(path).toString(QUrl::FullyEncoded),
                        QStringLiteral("string:")});
    return true;
}

void copyPathToClipboard(const QString& path)
{
    auto* mime = new QMimeData;
    mime->setText(path);
    mime->setUrls({QUrl::fromLocalFile(path)});
    QGuiApplication::clipboard()->setMimeData(mime);
}

} // namespace vop::ui
