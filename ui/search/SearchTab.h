#pragma once
// The Search tab: a query field (the CLI's syntax: words, "quoted phrases", -negative terms),
// filters, the ranked moments as a grid of thumbnails or a sortable list, a preview of the
// chosen moment, "find similar", and playlist export.
//
// Nothing blocks the UI thread: searches, library checks and exports run on a small worker
// pool and come back as queued results; a newer search supersedes an older one (the older
// one's results are dropped). Thumbnails load through a ThumbnailCache.
#include "search/ExportDialog.h"
#include "service/LibraryService.h"

#include <QFutureWatcher>
#include <QThreadPool>
#include <QWidget>

#include <atomic>
#include <optional>

class QAbstractItemView;
class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QListView;
class QPushButton;
class QSplitter;
class QStackedWidget;
class QTableView;
class QTimer;
class QToolButton;

namespace vop::ui {

class LibraryStateWatcher;
struct LibraryState;
class PreviewPane;
class ResultDelegate;
class ResultsModel;
class ResultsProxy;
class ResultsViews;
class SearchFilterBar;
class ThumbnailCache;

class SearchTab : public QWidget {
    Q_OBJECT
public:
    SearchTab(service::LibraryService& service, QWidget* parent = nullptr);
    ~SearchTab() override;

    QLineEdit* queryField() const { return m_query; }
    ResultsViews* views() const { return m_views; }
    PreviewPane* preview() const { return m_preview; }
    ResultsModel* model() const { return m_model; }
    ResultsProxy* proxy() const { return m_proxy; }
    SearchFilterBar* filterBar() const { return m_filters; }
    ThumbnailCache* thumbnails() const { return m_thumbs; }
    QPushButton* exportButton() const { return m_exportButton; }

    bool isSearching() const { return m_running > 0; }
    QString statusText() const { return m_status; } // what the status line says now

    // How many moments a search asks for (default 60).
    void setResultLimit(int top);
    // Width of the grid's thumbnails in pixels (the Settings' thumbnail size).
    void setThumbnailWidth(int pixels);

public Q_SLOTS:
    void focusQuery();
    void search();                            // the query field's text
    void searchFor(const QString& query);     // sets the field, then searches
    void findSimilar();                       // moments like the current result
    void findSimilarTo(const QModelIndex& index); // an index of the proxy (either view)
    void playCurrent();                       // preview the current result from its start, playing
    void previewCurrent();                    // show it paused at its start; again: play/pause
    void setGridMode(bool grid);
    void exportResults();                     // asks where (a save dialog), then exportTo
    // Writes the results shown (or the selected ones) as a playlist on a worker; false when there
    // is nothing to export. exportFinished reports the outcome.
    bool exportTo(const ExportChoice& choice);
    void refreshLibraryState();               // re-reads "is there a model, anything indexed"

Q_SIGNALS:
    void statusMessage(const QString& text);       // for the main window's status bar
    void searchFinished(int moments);              // the results are in the views (0 on a failure too)
    void searchFailed(const QString& message);
    void exportFinished(bool ok, const QString& pathOrError);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    struct Outcome {
        quint64 generation = 0;
        service::SearchResponse response;
        std::vector<QDateTime> modified;
        QString error;
    };
    void buildUi();
    void buildActions();
    // `what` completes "N moments …" ("for “a dog”", "like a.mp4 at 0:05.0"); `title` names the
    // results in an exported playlist.
    void start(service::SearchRequest request, const QString& what, const QString& title);
    void rerunWithFilters();
    void finish(const Outcome& outcome, const QString& what, const QString& title);
    void applyLibraryState(const LibraryState& state);
    void setStatus(const QString& text, bool error = false);
    void showContextMenu(QAbstractItemView* view, const QPoint& pos);
    void updateActions();
    void applySortChoice(int choice);
    std::vector<search::Moment> shownMoments(bool selectedOnly) const;

    service::LibraryService& m_service;
    QThreadPool m_workers;
    std::atomic<quint64> m_latest{0}; // the generation of the newest search
    int m_running = 0;
    std::optional<service::SearchRequest> m_last; // the search shown (rerun on a filter change)
    QString m_lastWhat;
    QString m_lastTitle;
    QString m_lastQuery;     // the title of the results shown
    QString m_queryPlaceholder;
    int m_top = 60;
    QString m_status;
    bool m_hintIsIdle = true; // the hint shown is m_idleHint (not the answer to a search)

    LibraryStateWatcher* m_library = nullptr;
    ResultsModel* m_model = nullptr;
    ResultsProxy* m_proxy = nullptr;
    ThumbnailCache* m_thumbs = nullptr;
    ResultDelegate* m_delegate = nullptr;

    QLineEdit* m_query = nullptr;
    QPushButton* m_searchButton = nullptr;
    QToolButton* m_filterToggle = nullptr;
    QComboBox* m_sort = nullptr;
    QToolButton* m_gridButton = nullptr;
    QToolButton* m_listButton = nullptr;
    QPushButton* m_exportButton = nullptr;
    SearchFilterBar* m_filters = nullptr;
    QSplitter* m_splitter = nullptr;
    ResultsViews* m_views = nullptr;
    PreviewPane* m_preview = nullptr;
    QLabel* m_statusLabel = nullptr;
    QTimer* m_filterTimer = nullptr;

    QAction* m_playAction = nullptr;
    QAction* m_previewAction = nullptr;
    QAction* m_similarAction = nullptr;
    QAction* m_openAction = nullptr;
    QAction* m_folderAction = nullptr;
    QAction* m_copyAction = nullptr;
    QAction* m_exportSelectedAction = nullptr;
};

} // namespace vop::ui
