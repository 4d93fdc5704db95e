#pragma once
// The application's preferences, typed, over QSettings (the platform's native store by default;
// an INI file for tests). Empty strings mean "the default" as in vop::service::ModelSettings.
// The composition root turns them into the library service's options; command-line options
// override them for one run without being written back.
#include <QByteArray>
#include <QString>

#include <memory>

class QSettings;

namespace vop::service {
struct LibraryOptions;
}

namespace vop::ui {

class Settings {
public:
    // The user's settings (QSettings with the application's organisation and name).
    Settings();
    // Settings kept in an INI file (tests, portable setups).
    explicit Settings(const QString& iniFile);
    ~Settings();
    Settings(const Settings&) = delete;
    Settings& operator=(const Settings&) = delete;

    // Model
    QString checkpoint() const;          // "" = the default model
    void setCheckpoint(const QString& path);
    QString prompts() const;             // "" = zero-shot CLIP
    void setPrompts(const QString& path);
    QString device() const;              // "auto", "cpu", "cuda", "cuda:N"
    void setDevice(const QString& device);
    QString precision() const;           // "auto", "fp32", "int8": the encoder's CPU precision
    void setPrecision(const QString& precision);
    int threads() const;                 // 0 = all cores
    void setThreads(int n);
    int framesPerClip() const;           // frames per segment for zero-shot CLIP
    void setFramesPerClip(int n);

    // Indexing
    double segmentSeconds() const;       // long videos are cut into segments of this length
    void setSegmentSeconds(double s);
    int rescanMinutes() const;           // periodic rescan of the roots (0 = never)
    void setRescanMinutes(int minutes);

    // Library and view
    QString databasePath() const;        // "" = the default catalog in the user's data folder
    void setDatabasePath(const QString& path);
    int thumbnailSize() const;           // pixels, the longer side of a result's thumbnail
    void setThumbnailSize(int px);

    // Window
    QByteArray windowGeometry() const;
    void setWindowGeometry(const QByteArray& geometry);
    QByteArray windowState() const;
    void setWindowState(const QByteArray& state);

    // The library service's options from these settings.
    vop::service::LibraryOptions libraryOptions() const;

    void sync();
    QSettings& store() { return *m_settings; }

private:
    std::unique_ptr<QSettings> m_settings;
};

} // namespace vop::ui
