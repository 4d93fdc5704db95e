#include "search/ResultsViews.h"

#include "search/ResultDelegate.h"
#include "search/ResultsModel.h"
#include "search/ResultsProxy.h"

#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QListView>
#include <QTableView>

namespace vop::ui {

ResultsViews::ResultsViews(ResultsProxy* proxy, ResultDelegate* delegate, QWidget* parent)
    : QStackedWidget(parent), m_proxy(proxy)
{
    m_hint = new QLabel(this);
    m_hint->setAlignment(Qt::AlignCenter);
    m_hint->setWordWrap(true);
    m_hint->setMargin(24);
    m_hint->setTextFormat(Qt::PlainText);
    m_hint->setAccessibleName(QStringLiteral("Search hint"));
    QFont hf = m_hint->font();
    hf.setPointSizeF(hf.pointSizeF() * 1.1);
    m_hint->setFont(hf);
    m_hint->setForegroundRole(QPalette::PlaceholderText);

    m_grid = new QListView(this);
    m_grid->setAccessibleName(QStringLiteral("Results"));
    m_grid->setViewMode(QListView::IconMode);
    m_grid->setMovement(QListView::Static);
    m_grid->setResizeMode(QListView::Adjust);
    m_grid->setUniformItemSizes(true);
    m_grid->setSpacing(6);
    m_grid->setItemDelegate(delegate);
    m_grid->setModel(proxy);
    m_grid->setModelColumn(ResultsModel::NameColumn);
    // Whole rows, as in the list: the two views share one selection.
    m_grid->setSelectionBehavior(QAbstractItemView::SelectRows);

    m_table = new QTableView(this);
    m_table->setAccessibleName(QStringLiteral("Results list"));
    m_table->setModel(proxy);
    m_table->setSelectionModel(m_grid->selectionModel()); // one selection, two views
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSortingEnabled(true);
    m_table->setAlternatingRowColors(true);
    m_table->setIconSize(QSize(48, 27));
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(32);
    m_table->setTextElideMode(Qt::ElideMiddle); // keeps extensions and the folder's last parts
    QHeaderView* header = m_table->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(ResultsModel::NameColumn, QHeaderView::Stretch);
    header->setSectionResizeMode(ResultsModel::FolderColumn, QHeaderView::Interactive);
    m_table->setColumnWidth(ResultsModel::FolderColumn, 170);
    connect(m_table->horizontalHeader(), &QHeaderView::sortIndicatorChanged, this, &ResultsViews::headerSortChanged);

    for (QAbstractItemView* v : {static_cast<QAbstractItemView*>(m_grid), static_cast<QAbstractItemView*>(m_table)}) {
        v->setSelectionMode(QAbstractItemView::ExtendedSelection);
        v->setDragEnabled(true);
        v->setDragDropMode(QAbstractItemView::DragOnly);
        v->setDefaultDropAction(Qt::CopyAction);
        v->setEditTriggers(QAbstractItemView::NoEditTriggers);
        v->setContextMenuPolicy(Qt::CustomContextMenu);
        v->installEventFilter(this);
        connect(v, &QWidget::customContextMenuRequested, this,
                [this, v](const QPoint& pos) { Q_EMIT contextMenuRequested(v, pos); });
        connect(v, &QAbstractItemView::doubleClicked, this, &ResultsViews::playRequested);
    }
    connect(selectionModel(), &QItemSelectionModel::selectionChanged, this, &ResultsViews::currentChanged);
    connect(selectionModel(), &QItemSelectionModel::currentChanged, this, &ResultsViews::currentChanged);

    addWidget(m_hint);
    addWidget(m_grid);
    addWidget(m_table);
}

QAbstractItemView* ResultsViews::currentView() const
{
    return m_gridMode ? static_cast<QAbstractItemView*>(m_grid) : m_table;
}

QItemSelectionModel* ResultsViews::selectionModel() const
{
    return m_grid->selectionModel();
}

void ResultsViews::setGridMode(bool grid)
{
    const bool focused = currentView()->hasFocus();
    m_gridMode = grid;
    if (!isShowingHint())
        showResults();
    if (focused)
        currentView()->setFocus();
}

void ResultsViews::showHint(const QString& text)
{
    m_hint->setText(text);
    setCurrentWidget(m_hint);
}

void ResultsViews::showResults()
{
    setCurrentWidget(currentView());
}

bool ResultsViews::isShowingHint() const
{
    return currentWidget() == m_hint;
}

QString ResultsViews::hintText() const
{
    return m_hint->text();
}

QModelIndex ResultsViews::currentSourceIndex() const
{
    QModelIndex i = currentView()->currentIndex();
    if (!i.isValid()) {
        const std::vector<int> rows = shownSourceRows(true);
        return rows.empty() ? QModelIndex() : m_proxy->sourceModel()->index(rows.front(), ResultsModel::NameColumn);
    }
    return m_proxy->mapToSource(i.siblingAtColumn(ResultsModel::NameColumn));
}

int ResultsViews::selectedCount() const
{
    int n = 0;
    for (int r = 0; r < m_proxy->rowCount(); ++r)
        n += selectionModel()->isSelected(m_proxy->index(r, ResultsModel::NameColumn)) ? 1 : 0;
    return n;
}

std::vector<int> ResultsViews::shownSourceRows(bool selectedOnly) const
{
    std::vector<int> rows;
    for (int r = 0; r < m_proxy->rowCount(); ++r) {
        // A result is selected when its first column is (the grid shows only that one).
        if (selectedOnly && !selectionModel()->isSelected(m_proxy->index(r, ResultsModel::NameColumn)))
            continue;
        rows.push_back(m_proxy->mapToSource(m_proxy->index(r, ResultsModel::NameColumn)).row());
    }
    return rows;
}

void ResultsViews::selectFirst()
{
    QAbstractItemView* v = currentView();
    v->scrollToTop();
    if (m_proxy->rowCount() > 0)
        selectionModel()->setCurrentIndex(m_proxy->index(0, 0),
                                          QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

bool ResultsViews::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() == QEvent::KeyPress && (watched == m_grid || watched == m_table)) {
        auto* key = static_cast<QKeyEvent*>(event);
        if (key->modifiers() & ~Qt::KeypadModifier)
            return false;
        if (key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) {
            Q_EMIT playRequested();
            return true;
        }
        if (key->key() == Qt::Key_Space) {
            Q_EMIT previewRequested();
            return true;
        }
    }
    return QStackedWidget::eventFilter(watched, event);
}

} // namespace vop::ui
