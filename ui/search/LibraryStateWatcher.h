#pragma once
// What the Search tab needs to know about the library to tell a person what to do: is there a
// model, is anything indexed, is an index job running, which folders. Read on a worker (the
// catalog may sit on a slow disk) when asked and whenever the library service reports a change
// (coalesced), then delivered on the watcher's thread.
#include "service/LibraryService.h"

#include <QObject>
#include <QStringList>

class QThreadPool;
class QTimer;

namespace vop::ui {

struct LibraryState {
    QString modelProblem;          // why no model can be loaded ("" when one can)
    store::CatalogCounts counts;
    bool indexing = false;
    QStringList roots;
    QString error;                 // the catalog could not be read
    bool known = false;            // read at least once

    bool searchable() const { return known && error.isEmpty() && modelProblem.isEmpty() && counts.indexedFiles > 0; }
    // What the results area says when there is nothing to show: what to do next.
    QString hint() const;
};

class LibraryStateWatcher : public QObject {
    Q_OBJECT
public:
    // Runs its reads on `pool`, which must outlive the reads (its owner waits for it).
    LibraryStateWatcher(service::LibraryService& service, QThreadPool& pool, QObject* parent = nullptr);
    ~LibraryStateWatcher() override;

    const LibraryState& state() const { return m_state; }

public Q_SLOTS:
    void refresh();

Q_SIGNALS:
    void changed(const vop::ui::LibraryState& state);

private:
    service::LibraryService& m_service;
    QThreadPool& m_pool;
    QTimer* m_coalesce = nullptr;
    int m_subscription = -1;
    LibraryState m_state;
};

} // namespace vop::ui
