#pragma once
// The table of library folders; folders dropped on it (from a file manager) are offered as new
// roots through foldersDropped(). Delete removes the selected folder.
#include <QTableView>

namespace vop::ui {

class RootsView : public QTableView {
    Q_OBJECT
public:
    explicit RootsView(QWidget* parent = nullptr);

Q_SIGNALS:
    void foldersDropped(const QStringList& folders);
    void removeRequested();

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
};

// The local folders among a drop's URLs.
QStringList droppedFolders(const QMimeData* mime);

} // namespace vop::ui
