#include "search/LibraryStateWatcher.h"

#include "search/ResultsModel.h"

#include <QFutureWatcher>
#include <QTimer>
#include <QtConcurrent>

#include <exception>

namespace vop::ui {

QString LibraryState::hint() const
{
    if (!known)
        return QObject::tr("Looking at the library…");
    if (!error.isEmpty())
        return QObject::tr("The library cannot be read: %1").arg(error);
    if (!modelProblem.isEmpty())
        return QObject::tr("No model — %1\n\nChoose a model in File ▸ Settings (or download one in the model setup "
                           "shown at start). The Library tab works without one.")
            .arg(modelProblem);
    if (counts.indexedFiles == 0 && indexing)
        return QObject::tr("Indexing your videos… You can search as soon as the first ones are in.");
    if (counts.indexedFiles == 0 && counts.roots == 0)
        return QObject::tr("No videos indexed yet — add a folder in the Library tab.");
    if (counts.indexedFiles == 0)
        return QObject::tr("No videos indexed yet — press Scan now in the Library tab.");
    return QObject::tr("Describe a moment you remember and press Enter — for example: kids building a sandcastle "
                       "at dusk.\n\n\"Quoted phrases\" stay together; -word leaves out moments that look like it.\n"
                       "%1 indexed.")
        .arg(ResultsModel::count(counts.indexedFiles, QObject::tr("video"), QObject::tr("videos")));
}

LibraryStateWatcher::LibraryStateWatcher(service::LibraryService& service, QThreadPool& pool, QObject* parent)
    : QObject(parent), m_service(service), m_pool(pool)
{
    m_coalesce = new QTimer(this);
    m_coalesce->setSingleShot(true);
    m_coalesce->setInterval(300);
    connect(m_coalesce, &QTimer::timeout, this, &LibraryStateWatcher::refresh);
    // Events arrive on the thread that caused them (a job's worker): hop to ours.
    m_subscription = m_service.subscribe([this](const service::LibraryEvent& e) {
        if (e.kind == service::LibraryEvent::Kind::IndexGrew)
            return; // frequent while indexing; FilesChanged says the same in fewer words
        QMetaObject::invokeMethod(this, [this] { m_coalesce->start(); }, Qt::QueuedConnection);
    });
}

LibraryStateWatcher::~LibraryStateWatcher()
{
    m_service.unsubscribe(m_subscription);
}

void LibraryStateWatcher::refresh()
{
    auto* watcher = new QFutureWatcher<LibraryState>(this);
    connect(watcher, &QFutureWatcher<LibraryState>::finished, this, [this, watcher] {
        watcher->deleteLater();
        m_state = watcher->result();
        Q_EMIT changed(m_state);
    });
    watcher->setFuture(QtConcurrent::run(&m_pool, [svc = &m_service] {
        LibraryState s;
        s.known = true;
        try {
            if (auto p = svc->modelProblem())
                s.modelProblem = QString::fromStdString(*p);
            s.counts = svc->status().counts;
            s.indexing = svc->isIndexing();
            for (const auto& r : svc->roots())
                s.roots << QString::fromStdString(r.path);
        } catch (const std::exception& e) {
            s.error = QString::fromStdString(e.what());
        }
        return s;
    }));
}

} // namespace vop::ui
