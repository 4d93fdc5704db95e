#pragma once
#include <QMainWindow>

class QTabWidget;

namespace vop::ui {

// The main window: a Search tab (query, ranked moments, preview), a Library tab (folders,
// indexing progress) and a Training tab (fit prompt sets). Tabs are filled in as the core
// features they show land; each shows what it will do until then.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

    QTabWidget* tabs() const { return m_tabs; }

private:
    QTabWidget* m_tabs = nullptr;
};

} // namespace vop::ui
