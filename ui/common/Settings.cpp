#include "Settings.h"

#include "service/LibraryService.h"

#include <QSettings>

#include <algorithm>

namespace vop::ui {

namespace {
const char* kCheckpoint = "model/checkpoint";
const char* kPrompts = "model/prompts";
const char* kDevice = "model/device";
const char* kPrecision = "model/precision";
const char* kThreads = "model/threads";
const char* kFrames = "model/framesPerClip";
const char* kSegment = "indexing/segmentSeconds";
const char* kRescan = "indexing/rescanMinutes";
const char* kDatabase = "library/database";
const char* kThumb = "view/thumbnailSize";
const char* kGeometry = "window/geometry";
const char* kState = "window/state";
} // namespace

Settings::Settings()
    : m_settings(std::make_unique<QSettings>())
{
}

Settings::Settings(const QString& iniFile)
    : m_settings(std::make_unique<QSettings>(iniFile, QSettings::IniFormat))
{
}

Settings::~Settings() = default;

QString Settings::checkpoint() const { return m_settings->value(kCheckpoint).toString(); }
void Settings::setCheckpoint(const QString& path) { m_settings->setValue(kCheckpoint, path); }
QString Settings::prompts() const { return m_settings->value(kPrompts).toString(); }
void Settings::setPrompts(const QString& path) { m_settings->setValue(kPrompts, path); }

QString Settings::device() const
{
    const QString d = m_settings->value(kDevice, QStringLiteral("auto")).toString().trimmed();
    return d.isEmpty() ? QStringLiteral("auto") : d;
}
void Settings::setDevice(const QString& device) { m_settings->setValue(kDevice, device); }

QString Settings::precision() const
{
    const QString p = m_settings->value(kPrecision, QStringLiteral("auto")).toString().trimmed();
    return vop::parsePrecision(p.toStdString()) ? p : QStringLiteral("auto");
}
void Settings::setPrecision(const QString& precision) { m_settings->setValue(kPrecision, precision); }

int Settings::threads() const { return std::max(0, m_settings->value(kThreads, 0).toInt()); }
void Settings::setThreads(int n) { m_settings->setValue(kThreads, std::max(0, n)); }

int Settings::framesPerClip() const
{
    const int n = m_settings->value(kFrames, 12).toInt();
    return n > 0 ? n : 12;
}
void Settings::setFramesPerClip(int n) { m_settings->setValue(kFrames, n); }

double Settings::segmentSeconds() const
{
    const double s = m_settings->value(kSegment, 15.0).toDouble();
    return s > 0 ? s : 15.0;
}
void Settings::setSegmentSeconds(double s) { m_settings->setValue(kSegment, s); }

int Settings::rescanMinutes() const { return std::max(0, m_settings->value(kRescan, 10).toInt()); }
void Settings::setRescanMinutes(int minutes) { m_settings->setValue(kRescan, std::max(0, minutes)); }

QString Settings::databasePath() const { return m_settings->value(kDatabase).toString(); }
void Settings::setDatabasePath(const QString& path) { m_settings->setValue(kDatabase, path); }

int Settings::thumbnailSize() const
{
    const int px = m_settings->value(kThumb, 160).toInt();
    return std::clamp(px, 64, 512);
}
void Settings::setThumbnailSize(int px) { m_settings->setValue(kThumb, std::clamp(px, 64, 512)); }

QByteArray Settings::windowGeometry() const { return m_settings->value(kGeometry).toByteArray(); }
void Settings::setWindowGeometry(const QByteArray& g) { m_settings->setValue(kGeometry, g); }
QByteArray Settings::windowState() const { return m_settings->value(kState).toByteArray(); }
void Settings::setWindowState(const QByteArray& s) { m_settings->setValue(kState, s); }

vop::service::LibraryOptions Settings::libraryOptions() const
{
    vop::service::LibraryOptions o;
    o.dbPath = databasePath().toStdString();
    o.model.checkpoint = checkpoint().toStdString();
    o.model.prompts = prompts().toStdString();
    o.model.device = device().toStdString();
    o.model.threads = threads();
    o.model.precision = vop::parsePrecision(precision().toStdString()).value_or(vop::Precision::Auto);
    o.model.frames = framesPerClip();
    // Segment length as the CLI's --window; a video up to twice that long stays one segment
    // (15 s -> 30 s, the CLI's defaults).
    o.indexing.segments.window = segmentSeconds();
    o.indexing.segments.segmentMax = 2 * segmentSeconds();
    return o;
}

void Settings::sync()
{
    m_settings->sync();
}

} // namespace vop::ui
