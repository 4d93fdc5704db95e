#pragma once
// Notices when the library's folders change: a QFileSystemWatcher on each root and its
// subfolders (up to a cap; the folder list is gathered on a worker thread), debounced so a copy
// of many files becomes one change, plus a periodic rescan for what watching misses (network
// mounts, folders past the cap, changes while the app was closed). A folder counts as changed
// only when its subfolders or its videos (name, size, time) changed: the catalog, its index files
// or a half-downloaded non-video in a watched folder do not start an index job.
#include <QFutureWatcher>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QStringList>
#include <QTimer>

class QFileSystemWatcher;

namespace vop::ui {

class LibraryWatcher : public QObject {
    Q_OBJECT
public:
    explicit LibraryWatcher(QObject* parent = nullptr);
    ~LibraryWatcher() override;

    // The roots to watch (replaces the previous set).
    void setRoots(const QStringList& roots);
    QStringList roots() const { return m_roots; }
    // Minutes between periodic rescans; 0 turns them off.
    void setRescanMinutes(int minutes);
    int rescanMinutes() const { return m_rescanMinutes; }
    // Quiet time after the last change before changed() (default 3 s).
    void setDebounceMs(int ms) { m_debounce.setInterval(ms); }
    // Folders under watch now (roots and subfolders).
    int watchedFolderCount() const;
    // The most folders watched per library (kernel watches are a limited resource).
    static constexpr int kMaxFolders = 4000;

Q_SIGNALS:
    // Something changed under these roots (debounced).
    void changed(const QStringList& roots);
    // The periodic rescan is due.
    void rescanDue();
    // The folder list under watch was (re)built.
    void watching(int folders);

private:
    void rebuild();
    void onPathChanged(const QString& path);
    void flush();

    struct Scan {
        QStringList folders;
        QHash<QString, QByteArray> signatures; // folder -> digest of its subfolders and videos
    };
    // What in `dir` matters to the library: its subfolders and its videos with size and time.
    static QByteArray signature(const QString& dir);
    static Scan scanFolders(const QStringList& roots, int cap);

    QFileSystemWatcher* m_fs = nullptr;
    QStringList m_roots;
    QSet<QString> m_changedRoots;
    QTimer m_debounce;
    QTimer m_rescan;
    int m_rescanMinutes = 10;
    QFutureWatcher<Scan> m_scan;
    QHash<QString, QByteArray> m_signatures;
    bool m_rebuildAgain = false;
};

} // namespace vop::ui
