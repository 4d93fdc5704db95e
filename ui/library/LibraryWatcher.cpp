#include "LibraryWatcher.h"

#include "util/VideoExtensions.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFileSystemWatcher>
#include <QtConcurrent/QtConcurrentRun>

namespace vop::ui {

namespace {
bool isVideo(const QString& name)
{
    const QString ext = QFileInfo(name).suffix().toLower();
    for (const std::string& e : vop::videoExtensions())
        if (ext == QLatin1String(e.c_str()))
            return true;
    return false;
}
} // namespace

QByteArray LibraryWatcher::signature(const QString& dir)
{
    QCryptographicHash hash(QCryptographicHash::Sha1);
    const QFileInfoList entries =
        QDir(dir).entryInfoList(QDir::Dirs | QDir::Files | QDir::NoDotAndDotDot | QDir::NoSymLinks, QDir::Name);
    for (const QFileInfo& e : entries) {
        if (e.isDir())
            hash.addData("d:" + e.fileName().toUtf8() + '\n');
        else if (isVideo(e.fileName()))
            hash.addData("f:" + e.fileName().toUtf8() + ':' + QByteArray::number(e.size()) + ':' +
                         QByteArray::number(e.lastModified().toMSecsSinceEpoch()) + '\n');
    }
    return hash.result();
}

// Roots first, then their subfolders breadth-first up to the cap; hidden folders are skipped.
LibraryWatcher::Scan LibraryWatcher::scanFolders(const QStringList& roots, int cap)
{
    Scan scan;
    QStringList queue;
    for (const QString& r : roots)
        if (QFileInfo(r).isDir()) {
            scan.folders << r;
            queue << r;
        }
    while (!queue.isEmpty() && scan.folders.size() < cap) {
        const QString dir = queue.takeFirst();
        QDirIterator it(dir, QDir::Dirs | QDir::NoDotAndDotDot | QDir::NoSymLinks);
        while (it.hasNext() && scan.folders.size() < cap) {
            const QString sub = it.next();
            scan.folders << sub;
            queue << sub;
        }
    }
    for (const QString& f : scan.folders)
        scan.signatures.insert(QDir::cleanPath(f), signature(f));
    return scan;
}

LibraryWatcher::LibraryWatcher(QObject* parent)
    : QObject(parent)
    , m_fs(new QFileSystemWatcher(this))
{
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(3000);
    connect(&m_debounce, &QTimer::timeout, this, &LibraryWatcher::flush);
    connect(&m_rescan, &QTimer::timeout, this, &LibraryWatcher::rescanDue);
    connect(m_fs, &QFileSystemWatcher::directoryChanged, this, &LibraryWatcher::onPathChanged);
    connect(m_fs, &QFileSystemWatcher::fileChanged, this, &LibraryWatcher::onPathChanged);
    connect(&m_scan, &QFutureWatcher<Scan>::finished, this, [this] {
        if (m_rebuildAgain) {
            m_rebuildAgain = false;
            rebuild();
            return;
        }
        const Scan scan = m_scan.result();
        const QStringList& folders = scan.folders;
        m_signatures = scan.signatures;
        const QStringList old = m_fs->directories();
        if (!old.isEmpty())
            m_fs->removePaths(old);
        if (!folders.isEmpty())
            m_fs->addPaths(folders);
        Q_EMIT watching(m_fs->directories().size());
    });
    setRescanMinutes(m_rescanMinutes);
}

LibraryWatcher::~LibraryWatcher()
{
    m_scan.waitForFinished();
}

void LibraryWatcher::setRoots(const QStringList& roots)
{
    if (roots == m_roots)
        return;
    m_roots = roots;
    rebuild();
}

void LibraryWatcher::setRescanMinutes(int minutes)
{
    m_rescanMinutes = std::max(0, minutes);
    if (m_rescanMinutes > 0)
        m_rescan.start(m_rescanMinutes * 60 * 1000);
    else
        m_rescan.stop();
}

int LibraryWatcher::watchedFolderCount() const
{
    return int(m_fs->directories().size());
}

void LibraryWatcher::rebuild()
{
    if (m_scan.isRunning()) {
        m_rebuildAgain = true;
        return;
    }
    const QStringList roots = m_roots;
    m_scan.setFuture(QtConcurrent::run([roots] { return scanFolders(roots, kMaxFolders); }));
}

void LibraryWatcher::onPathChanged(const QString& path)
{
    const QString clean = QDir::cleanPath(path);
    // One listing of one folder: is it a change the library cares about?
    const QByteArray now = signature(clean);
    auto known = m_signatures.find(clean);
    if (known != m_signatures.end() && known.value() == now)
        return;
    m_signatures.insert(clean, now);
    for (const QString& root : m_roots) {
        const QString r = QDir::cleanPath(root);
        if (clean == r || clean.startsWith(r + QLatin1Char('/')))
            m_changedRoots.insert(root);
    }
    // A new subfolder needs a watch of its own; the list is rebuilt after the quiet time.
    m_debounce.start();
}

void LibraryWatcher::flush()
{
    rebuild();
    if (m_changedRoots.isEmpty())
        return;
    QStringList roots(m_changedRoots.begin(), m_changedRoots.end());
    roots.sort();
    m_changedRoots.clear();
    Q_EMIT changed(roots);
}

} // namespace vop::ui
