#include "search/SearchTab.h"

#include "search/LibraryStateWatcher.h"
#include "search/PreviewPane.h"
#include "search/ResultDelegate.h"
#include "search/ResultsModel.h"
#include "search/ResultsProxy.h"
#include "search/ResultsViews.h"
#include "search/SearchFilterBar.h"
#include "search/SystemPlayer.h"
#include "search/ThumbnailCache.h"
#include "util/Error.h"

#include <QAction>
#include <QBoxLayout>
#include <QButtonGroup>
#include <QComboBox>
#include <QFileInfo>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QMetaMethod>
#include <QPushButton>
#include <QSettings>
#include <QShortcut>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QtConcurrent>

#include <exception>

namespace vop::ui {

namespace {
// The sort box: label, column key, order.
struct SortChoice {
    const char* label;
    ResultsProxy::SortKey key;
    Qt::SortOrder order;
};
const SortChoice kSortChoices[] = {
    {QT_TRANSLATE_NOOP("SearchTab", "Best match"), ResultsProxy::SortKey::Score, Qt::DescendingOrder},
    {QT_TRANSLATE_NOOP("SearchTab", "Newest first"), ResultsProxy::SortKey::Date, Qt::DescendingOrder},
    {QT_TRANSLATE_NOOP("SearchTab", "Oldest first"), ResultsProxy::SortKey::Date, Qt::AscendingOrder},
    {QT_TRANSLATE_NOOP("SearchTab", "Name"), ResultsProxy::SortKey::Name, Qt::AscendingOrder},
    {QT_TRANSLATE_NOOP("SearchTab", "Longest video first"), ResultsProxy::SortKey::Duration, Qt::DescendingOrder},
    {QT_TRANSLATE_NOOP("SearchTab", "Shortest video first"), ResultsProxy::SortKey::Duration, Qt::AscendingOrder},
};

QString momentCount(qint64 n)
{
    return ResultsModel::count(n, SearchTab::tr("moment"), SearchTab::tr("moments"));
}

QString fileName(const std::string& path)
{
    return QFileInfo(QString::fromStdString(path)).fileName();
}
} // namespace

SearchTab::SearchTab(service::LibraryService& service, QWidget* parent) : QWidget(parent), m_service(service)
{
    m_workers.setMaxThreadCount(2);
    m_model = new ResultsModel(this);
    m_proxy = new ResultsProxy(this);
    m_proxy->setSourceModel(m_model);
    m_thumbs = new ThumbnailCache([svc = &m_service](int64_t id) { return svc->thumbnail(id); }, this);
    m_model->setThumbnailCache(m_thumbs);
    m_delegate = new ResultDelegate(this);
    buildUi();
    buildActions();

    QSettings s;
    setGridMode(s.value(QStringLiteral("search/gridMode"), true).toBool());
    m_filterToggle->setChecked(s.value(QStringLiteral("search/filtersVisible"), false).toBool());
    m_sort->setCurrentIndex(std::clamp(s.value(QStringLiteral("search/sort"), 0).toInt(), 0, int(std::size(kSortChoices)) - 1));
    applySortChoice(m_sort->currentIndex());
    if (!m_splitter->restoreState(s.value(QStringLiteral("search/splitter")).toByteArray()))
        m_splitter->setSizes({640, 360});

    m_library = new LibraryStateWatcher(m_service, m_workers, this);
    connect(m_library, &LibraryStateWatcher::changed, this, &SearchTab::applyLibraryState);
    m_views->showHint(m_library->state().hint());
    m_hintIsIdle = true;
    m_library->refresh();
}

SearchTab::~SearchTab()
{
    QSettings s;
    s.setValue(QStringLiteral("search/gridMode"), m_views->isGridMode());
    s.setValue(QStringLiteral("search/filtersVisible"), m_filterToggle->isChecked());
    s.setValue(QStringLiteral("search/sort"), m_sort->currentIndex());
    s.setValue(QStringLiteral("search/splitter"), m_splitter->saveState());
    m_workers.clear();
    m_workers.waitForDone(); // the workers use the service and this tab
}

void SearchTab::buildUi()
{
    m_query = new QLineEdit(this);
    m_query->setAccessibleName(QStringLiteral("Search query"));
    m_queryPlaceholder = tr("Describe a moment: kids building a sandcastle at dusk   (Ctrl+F)");
    m_query->setPlaceholderText(m_queryPlaceholder);
    m_query->setToolTip(tr("Words describe what you remember; \"quoted phrases\" stay together; "
                           "-word leaves out moments that look like it. Enter searches, Esc clears."));
    m_query->setClearButtonEnabled(true);
    if (QIcon::hasThemeIcon(QStringLiteral("edit-find")))
        m_query->addAction(QIcon::fromTheme(QStringLiteral("edit-find")), QLineEdit::LeadingPosition);
    m_query->installEventFilter(this);
    QFont qf = m_query->font();
    qf.setPointSizeF(qf.pointSizeF() * 1.15);
    m_query->setFont(qf);
    m_query->setMinimumHeight(m_query->sizeHint().height() + 6);
    m_searchButton = new QPushButton(tr("Search"), this);
    // Wide enough for "Searching…": the bar does not jump while a search runs.
    m_searchButton->setMinimumWidth(m_searchButton->fontMetrics().horizontalAdvance(tr("Searching…")) + 24);
    m_searchButton->setToolTip(tr("Search for the text (Enter)"));

    m_filterToggle = new QToolButton(this);
    m_filterToggle->setText(tr("Filters"));
    m_filterToggle->setCheckable(true);
    m_filterToggle->setToolTip(tr("Show the filters: folder, dates, length, minimum score"));
    m_filterToggle->setAccessibleName(QStringLiteral("Filters"));
    m_filterToggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_sort = new QComboBox(this);
    m_sort->setAccessibleName(QStringLiteral("Sort by"));
    m_sort->setToolTip(tr("Order of the results"));
    for (const auto& c : kSortChoices)
        m_sort->addItem(tr(c.label));
    auto* sortLabel = new QLabel(tr("S&ort:"), this);
    sortLabel->setBuddy(m_sort);

    m_gridButton = new QToolButton(this);
    m_gridButton->setText(tr("Grid"));
    m_gridButton->setToolTip(tr("Show the results as a grid of thumbnails"));
    m_gridButton->setAccessibleName(QStringLiteral("Grid view"));
    m_listButton = new QToolButton(this);
    m_listButton->setText(tr("List"));
    m_listButton->setToolTip(tr("Show the results as a sortable list"));
    m_listButton->setAccessibleName(QStringLiteral("List view"));
    auto* group = new QButtonGroup(this);
    for (auto* b : {m_gridButton, m_listButton}) {
        b->setCheckable(true);
        group->addButton(b);
    }
    m_exportButton = new QPushButton(tr("Export…"), this);
    m_exportButton->setAccessibleName(QStringLiteral("Export"));
    m_exportButton->setToolTip(tr("Save the results (or the selected ones) as a playlist: M3U8, XSPF, mpv EDL, "
                                  "CSV or JSON"));

    auto* bar = new QHBoxLayout;
    bar->setSpacing(6);
    bar->addWidget(m_query, 1);
    bar->addWidget(m_searchButton);
    bar->addSpacing(8);
    bar->addWidget(m_filterToggle);
    bar->addWidget(sortLabel);
    bar->addWidget(m_sort);
    bar->addSpacing(8);
    bar->addWidget(m_gridButton);
    bar->addWidget(m_listButton);
    bar->addSpacing(8);
    bar->addWidget(m_exportButton);

    m_filters = new SearchFilterBar(this);
    m_filters->setVisible(false);

    m_views = new ResultsViews(m_proxy, m_delegate, this);
    connect(m_views, &ResultsViews::playRequested, this, &SearchTab::playCurrent);
    connect(m_views, &ResultsViews::previewRequested, this, &SearchTab::previewCurrent);
    connect(m_views, &ResultsViews::contextMenuRequested, this, &SearchTab::showContextMenu);
    connect(m_views, &ResultsViews::currentChanged, this, &SearchTab::updateActions);

    m_preview = new PreviewPane(this);
    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->addWidget(m_views);
    m_splitter->addWidget(m_preview);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    m_splitter->setChildrenCollapsible(false);

    m_statusLabel = new QLabel(this);
    m_statusLabel->setAccessibleName(QStringLiteral("Search status"));
    m_statusLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 4);
    layout->setSpacing(6);
    layout->addLayout(bar);
    layout->addWidget(m_filters);
    layout->addWidget(m_splitter, 1);
    layout->addWidget(m_statusLabel);

    m_filterTimer = new QTimer(this);
    m_filterTimer->setSingleShot(true);
    m_filterTimer->setInterval(350);
    connect(m_filterTimer, &QTimer::timeout, this, &SearchTab::rerunWithFilters);
    connect(m_filters, &SearchFilterBar::filtersChanged, m_filterTimer, qOverload<>(&QTimer::start));
    connect(m_filters, &SearchFilterBar::minimumScoreChanged, this, [this](double s) {
        m_proxy->setMinimumScore(s);
        if (m_model->rowCount() > 0)
            setStatus(tr("%1 of %2 shown").arg(m_proxy->rowCount()).arg(momentCount(m_model->rowCount())));
    });
    connect(m_filterToggle, &QToolButton::toggled, m_filters, &QWidget::setVisible);
    connect(m_query, &QLineEdit::returnPressed, this, &SearchTab::search);
    connect(m_searchButton, &QPushButton::clicked, this, &SearchTab::search);
    connect(m_sort, qOverload<int>(&QComboBox::currentIndexChanged), this, &SearchTab::applySortChoice);
    connect(m_gridButton, &QToolButton::clicked, this, [this] { setGridMode(true); });
    connect(m_listButton, &QToolButton::clicked, this, [this] { setGridMode(false); });
    connect(m_exportButton, &QPushButton::clicked, this, &SearchTab::exportResults);
    connect(m_preview, &PreviewPane::message, this, [this](const QString& t) { setStatus(t); });
    // The list's header sorts too; keep the sort box in step when it matches a choice.
    connect(m_views, &ResultsViews::headerSortChanged, this, [this](int col, Qt::SortOrder o) {
        for (int i = 0; i < int(std::size(kSortChoices)); ++i)
            if (ResultsProxy::columnFor(kSortChoices[i].key) == col && kSortChoices[i].order == o)
                m_sort->setCurrentIndex(i);
    });
    setThumbnailWidth(200);
}

void SearchTab::buildActions()
{
    auto action = [this](const QString& text, const QString& tip, QKeySequence key, auto slot) {
        auto* a = new QAction(text, this);
        a->setToolTip(tip);
        if (!key.isEmpty()) {
            a->setShortcut(key);
            a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        }
        connect(a, &QAction::triggered, this, slot);
        return a;
    };
    // Enter and Space are handled by the views' key filter; the menu only shows them.
    m_playAction = action(tr("Play"), tr("Play the moment in the preview"), {}, &SearchTab::playCurrent);
    m_playAction->setShortcut(Qt::Key_Return);
    m_previewAction = action(tr("Preview"), tr("Show the moment in the preview"), {}, &SearchTab::previewCurrent);
    m_previewAction->setShortcut(Qt::Key_Space);
    m_similarAction = action(tr("Find similar"), tr("Moments that look like this one"),
                             QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F), &SearchTab::findSimilar);
    m_openAction = action(tr("Open in system player"), tr("Play the video in the system's player from the moment"),
                          {}, [this] {
                              const QModelIndex i = m_views->currentSourceIndex();
                              if (i.isValid())
                                  openInSystemPlayer(i.data(ResultsModel::PathRole).toString(),
                                                     i.data(ResultsModel::StartRole).toDouble());
                          });
    m_folderAction = action(tr("Show in folder"), tr("Show the file in the file manager"), {}, [this] {
        const QModelIndex i = m_views->currentSourceIndex();
        if (i.isValid())
            showInFolder(i.data(ResultsModel::PathRole).toString());
    });
    m_copyAction = action(tr("Copy path"), tr("Copy the paths of the selected files"), QKeySequence::Copy, [this] {
        QStringList paths;
        for (const auto& m : shownMoments(true))
            if (!paths.contains(QString::fromStdString(m.path)))
                paths << QString::fromStdString(m.path);
        if (paths.isEmpty())
            return;
        copyPathToClipboard(paths.join(QLatin1Char('\n')));
        setStatus(tr("Copied %1").arg(ResultsModel::count(paths.size(), tr("path"), tr("paths"))));
    });
    m_exportSelectedAction = action(tr("Export selected…"), tr("Save the selected moments as a playlist"), {},
                                    &SearchTab::exportResults);
    for (QAction* a : {m_similarAction, m_copyAction}) {
        m_views->grid()->addAction(a);
        m_views->table()->addAction(a);
    }
    // Ctrl+F and Ctrl+L: the query field, whenever the tab is shown.
    for (const QKeySequence& k : {QKeySequence(QKeySequence::Find), QKeySequence(Qt::CTRL | Qt::Key_L)}) {
        auto* sc = new QShortcut(k, this, this, &SearchTab::focusQuery);
        sc->setContext(Qt::WindowShortcut);
    }
    updateActions();
}

void SearchTab::setGridMode(bool grid)
{
    m_gridButton->setChecked(grid);
    m_listButton->setChecked(!grid);
    m_views->setGridMode(grid);
}

void SearchTab::setResultLimit(int top)
{
    m_top = std::max(1, top);
}

void SearchTab::setThumbnailWidth(int pixels)
{
    m_delegate->setThumbnailWidth(pixels);
    const qreal dpr = devicePixelRatioF();
    m_thumbs->setMaximumSize(m_delegate->thumbnailBox() * dpr);
    m_views->grid()->doItemsLayout();
}

void SearchTab::focusQuery()
{
    m_query->setFocus(Qt::ShortcutFocusReason);
    m_query->selectAll();
}

void SearchTab::setStatus(const QString& text, bool error)
{
    m_status = text;
    m_statusLabel->setText(text);
    m_statusLabel->setStyleSheet(error ? QStringLiteral("QLabel { color: #b00020; }") : QString());
    // In a window whose status bar shows statusMessage, the tab's own line only keeps errors.
    const bool forwarded = isSignalConnected(QMetaMethod::fromSignal(&SearchTab::statusMessage));
    m_statusLabel->setVisible(!forwarded || (error && !text.isEmpty()));
    Q_EMIT statusMessage(text);
}

bool SearchTab::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() == QEvent::KeyPress && watched == m_query) {
        auto* key = static_cast<QKeyEvent*>(event);
        if (key->key() == Qt::Key_Escape) {
            if (!m_query->text().isEmpty())
                m_query->clear();
            else if (m_model->rowCount() > 0) {
                m_last.reset();
                m_model->clear();
                m_preview->clear();
                m_views->showHint(m_library->state().hint());
                m_hintIsIdle = true;
                m_query->setPlaceholderText(m_queryPlaceholder);
                setStatus(QString());
            }
            return true;
        }
        if (key->key() == Qt::Key_Down && !m_views->isShowingHint()) { // from the query into the results
            m_views->currentView()->setFocus(Qt::TabFocusReason);
            if (!m_views->currentView()->currentIndex().isValid())
                m_views->selectFirst();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void SearchTab::playCurrent()
{
    const QModelIndex i = m_views->currentSourceIndex();
    if (!i.isValid())
        return;
    m_preview->showMoment(i.data(ResultsModel::PathRole).toString(), i.data(ResultsModel::StartRole).toDouble(),
                          i.data(ResultsModel::EndRole).toDouble(), true, i.data(ResultsModel::DurationRole).toDouble());
}

void SearchTab::previewCurrent()
{
    const QModelIndex i = m_views->currentSourceIndex();
    if (!i.isValid())
        return;
    const QString path = i.data(ResultsModel::PathRole).toString();
    const double start = i.data(ResultsModel::StartRole).toDouble();
    if (m_preview->path() == path && m_preview->momentStart() == start)
        m_preview->togglePlay();
    else
        m_preview->showMoment(path, start, i.data(ResultsModel::EndRole).toDouble(), false,
                              i.data(ResultsModel::DurationRole).toDouble());
}

void SearchTab::updateActions()
{
    const bool current = m_views->currentSourceIndex().isValid();
    for (QAction* a : {m_playAction, m_previewAction, m_similarAction, m_openAction, m_folderAction, m_copyAction})
        a->setEnabled(current);
    m_exportSelectedAction->setEnabled(m_views->selectedCount() > 0);
    m_exportButton->setEnabled(m_model->rowCount() > 0);
}

void SearchTab::showContextMenu(QAbstractItemView* view, const QPoint& requested)
{
    QPoint pos = requested;
    QModelIndex at = view->indexAt(pos);
    if (!at.isValid() && view->currentIndex().isValid()) {
        // The menu key (or Shift+F10) asks at no particular place: the current result's.
        at = view->currentIndex();
        pos = view->visualRect(at).center();
    }
    if (!at.isValid())
        return;
    if (!view->selectionModel()->isSelected(at))
        view->setCurrentIndex(at);
    else
        view->selectionModel()->setCurrentIndex(at, QItemSelectionModel::NoUpdate);
    updateActions();
    QMenu menu(this);
    menu.addAction(m_playAction);
    menu.addAction(m_previewAction);
    menu.addAction(m_similarAction);
    menu.addSeparator();
    menu.addAction(m_openAction);
    menu.addAction(m_folderAction);
    menu.addAction(m_copyAction);
    menu.addSeparator();
    menu.addAction(m_exportSelectedAction);
    menu.exec(view->viewport()->mapToGlobal(pos));
}

void SearchTab::applySortChoice(int choice)
{
    if (choice < 0 || choice >= int(std::size(kSortChoices)))
        return;
    const auto& c = kSortChoices[choice];
    m_proxy->sortBy(c.key, c.order);
    m_views->table()->horizontalHeader()->setSortIndicator(ResultsProxy::columnFor(c.key), c.order);
}

// Searching -----------------------------------------------------------------------------------

void SearchTab::search()
{
    const QString text = m_query->text().trimmed();
    if (text.isEmpty()) {
        setStatus(tr("Type what you are looking for first."));
        return;
    }
    service::SearchRequest r;
    r.kind = service::SearchRequest::Kind::Text;
    r.text = text.toStdString();
    m_query->setPlaceholderText(m_queryPlaceholder);
    start(std::move(r), tr("for “%1”").arg(text), text);
}

void SearchTab::searchFor(const QString& query)
{
    m_query->setText(query);
    search();
}

void SearchTab::findSimilar()
{
    findSimilarTo(m_views->currentView()->currentIndex());
}

void SearchTab::findSimilarTo(const QModelIndex& index)
{
    const QModelIndex i = index.isValid() && index.model() == m_proxy
                              ? m_proxy->mapToSource(index.siblingAtColumn(ResultsModel::NameColumn))
                              : m_views->currentSourceIndex();
    if (!i.isValid())
        return;
    const auto& m = m_model->moment(i.row());
    service::SearchRequest r;
    r.kind = service::SearchRequest::Kind::Segment;
    r.segmentId = m.segmentId;
    const QString like = tr("like %1 at %2").arg(fileName(m.path), ResultsModel::formatTime(m.start));
    // The words no longer describe what is shown: the field says what is.
    m_query->clear();
    m_query->setPlaceholderText(tr("Showing moments %1 — type words to search again").arg(like));
    start(std::move(r), like, tr("moments %1").arg(like));
}

void SearchTab::rerunWithFilters()
{
    if (m_last)
        start(*m_last, m_lastWhat, m_lastTitle);
}

void SearchTab::start(service::SearchRequest request, const QString& what, const QString& title)
{
    request.options.top = size_t(m_top);
    request.options.filters = m_filters->filters();
    m_last = request;
    m_lastWhat = what;
    m_lastTitle = title;
    const quint64 generation = ++m_latest;
    ++m_running;
    m_searchButton->setText(tr("Searching…"));
    const bool cold = !m_service.isModelLoaded() && request.kind != service::SearchRequest::Kind::Segment;
    setStatus(cold ? tr("Finding moments %1 (loading the model the first time)…").arg(what)
                   : tr("Finding moments %1…").arg(what));
    auto* watcher = new QFutureWatcher<Outcome>(this);
    connect(watcher, &QFutureWatcher<Outcome>::finished, this, [this, watcher, what, title] {
        if (--m_running == 0)
            m_searchButton->setText(tr("Search"));
        watcher->deleteLater();
        const Outcome o = watcher->result();
        if (o.generation == m_latest.load())
            finish(o, what, title);
    });
    watcher->setFuture(QtConcurrent::run(&m_workers, [this, request, generation] {
        Outcome o;
        o.generation = generation;
        if (generation != m_latest.load())
            return o; // superseded before it started
        try {
            o.response = m_service.search(request);
            o.modified.reserve(o.response.moments.size());
            for (const auto& m : o.response.moments) {
                const auto f = m_service.file(m.fileId);
                o.modified.push_back(f && f->mtimeNs > 0 ? QDateTime::fromMSecsSinceEpoch(f->mtimeNs / 1000000)
                                                         : QDateTime());
            }
        } catch (const std::exception& e) {
            o.error = QString::fromStdString(e.what());
        } catch (...) {
            o.error = tr("The search failed for an unknown reason.");
        }
        return o;
    }));
}

void SearchTab::finish(const Outcome& o, const QString& what, const QString& title)
{
    m_preview->pause();
    if (!o.error.isEmpty()) {
        m_model->clear();
        m_views->showHint(o.error);
        m_hintIsIdle = false;
        setStatus(tr("Finding moments %1 failed: %2").arg(what, o.error), true);
        refreshLibraryState();
        Q_EMIT searchFailed(o.error);
        Q_EMIT searchFinished(0);
        updateActions();
        return;
    }
    const auto& r = o.response;
    const int n = int(r.moments.size());
    m_lastQuery = title;
    m_model->setResults(r.moments, o.modified);
    m_hintIsIdle = false;
    QString status = tr("%1 %2 in %3 s").arg(momentCount(n), what).arg(r.seconds, 0, 'f', r.seconds < 0.1 ? 3 : 2);
    if (r.liveIndex)
        status += tr(" — indexing is under way; %1 segments searched so far").arg(r.indexVectors);
    if (m_proxy->rowCount() < n)
        status += tr(" (%1 shown above the minimum score)").arg(m_proxy->rowCount());
    if (n == 0) {
        m_views->showHint(m_filters->filters().active()
                     ? tr("No moments %1 with these filters. Loosen the filters (Filters ▸ Reset) or try other "
                          "words.").arg(what)
                     : tr("No moments %1. Try other words.").arg(what));
    } else {
        m_views->showResults();
        m_views->selectFirst();
    }
    setStatus(status);
    updateActions();
    Q_EMIT searchFinished(n);
}

// Library state -------------------------------------------------------------------------------

void SearchTab::refreshLibraryState()
{
    m_library->refresh();
}

void SearchTab::applyLibraryState(const LibraryState& s)
{
    m_filters->setFolders(s.roots);
    // Replace the hint shown unless it answers the last search (no match, or an error) in a
    // library that can be searched.
    if (m_views->isShowingHint() && m_running == 0 && (m_hintIsIdle || !s.searchable())) {
        m_views->showHint(s.hint());
        m_hintIsIdle = true;
    }
}

// Export ---------------------------------------------------------------------------------------

std::vector<search::Moment> SearchTab::shownMoments(bool selectedOnly) const
{
    std::vector<search::Moment> out;
    for (int row : m_views->shownSourceRows(selectedOnly))
        out.push_back(m_model->moment(row));
    return out;
}

void SearchTab::exportResults()
{
    if (m_model->rowCount() == 0) {
        setStatus(tr("Nothing to export yet: search first."));
        return;
    }
    if (auto choice = askExportTarget(this, m_lastQuery, m_views->selectedCount()))
        exportTo(*choice);
}

bool SearchTab::exportTo(const ExportChoice& choice)
{
    auto moments = shownMoments(choice.selectedOnly);
    if (moments.empty()) {
        const QString msg = choice.selectedOnly ? tr("Nothing to export: no result is selected.")
                                                : tr("Nothing to export yet: search first.");
        setStatus(msg, true);
        Q_EMIT exportFinished(false, msg);
        return false;
    }
    search::PlaylistOptions o;
    o.format = choice.format;
    o.relativePaths = choice.relativePaths;
    o.title = m_lastQuery.toStdString();
    const QString path = choice.path;
    const int n = int(moments.size());
    setStatus(tr("Exporting %1 to %2…").arg(momentCount(n), path));
    auto* watcher = new QFutureWatcher<QString>(this);
    connect(watcher, &QFutureWatcher<QString>::finished, this, [this, watcher, path, n] {
        watcher->deleteLater();
        const QString error = watcher->result();
        if (error.isEmpty()) {
            setStatus(tr("Exported %1 to %2").arg(momentCount(n), path));
            Q_EMIT exportFinished(true, path);
        } else {
            setStatus(tr("Export failed: %1").arg(error), true);
            Q_EMIT exportFinished(false, error);
        }
    });
    watcher->setFuture(QtConcurrent::run(&m_workers, [this, moments = std::move(moments), path, o]() -> QString {
        try {
            m_service.exportPlaylist(moments, path.toStdString(), o);
            return {};
        } catch (const std::exception& e) {
            return QString::fromStdString(e.what());
        } catch (...) {
            return tr("the playlist could not be written");
        }
    }));
    return true;
}

} // namespace vop::ui
