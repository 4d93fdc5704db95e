#pragma once
// The results area of the Search tab: a grid of thumbnails (QListView in icon mode with the
// ResultDelegate) and a sortable list (QTableView) over one ResultsProxy and one selection,
// plus a hint page that says what to do when there is nothing to show. Enter on a result asks
// to play it, Space to preview it; both views drag results out as file URLs.
#include <QStackedWidget>

#include <vector>

class QAbstractItemView;
class QItemSelectionModel;
class QLabel;
class QListView;
class QTableView;

namespace vop::ui {

class ResultDelegate;
class ResultsProxy;

class ResultsViews : public QStackedWidget {
    Q_OBJECT
public:
    ResultsViews(ResultsProxy* proxy, ResultDelegate* delegate, QWidget* parent = nullptr);

    QListView* grid() const { return m_grid; }
    QTableView* table() const { return m_table; }
    QAbstractItemView* currentView() const;
    QItemSelectionModel* selectionModel() const;

    bool isGridMode() const { return m_gridMode; }
    void setGridMode(bool grid);
    void showHint(const QString& text);
    void showResults();
    bool isShowingHint() const;
    QString hintText() const;

    // The current result (or the first selected one) as an index of the source model.
    QModelIndex currentSourceIndex() const;
    int selectedCount() const;
    // Source rows in the order shown (filtered and sorted), all or the selected ones.
    std::vector<int> shownSourceRows(bool selectedOnly) const;
    void selectFirst();

Q_SIGNALS:
    void playRequested();    // Enter, double click
    void previewRequested(); // Space
    void contextMenuRequested(QAbstractItemView* view, const QPoint& pos);
    void currentChanged();   // the current result or the selection changed
    void headerSortChanged(int column, Qt::SortOrder order);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    ResultsProxy* m_proxy;
    QLabel* m_hint = nullptr;
    QListView* m_grid = nullptr;
    QTableView* m_table = nullptr;
    bool m_gridMode = true;
};

} // namespace vop::ui
