#include "MainWindow.h"

#include <QLabel>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

namespace vop::ui {

namespace {
QWidget* placeholderTab(const QString& text)
{
    auto* w = new QWidget;
    auto* layout = new QVBoxLayout(w);
    auto* label = new QLabel(text);
    label->setWordWrap(true);
    label->setAlignment(Qt::AlignCenter);
    layout->addWidget(label);
    return w;
}
} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
{
    setWindowTitle(tr("vopsearch"));
    resize(1100, 720);
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("mainTabs"));
    m_tabs->addTab(placeholderTab(tr("Search your library with words.\n"
                                     "Until the GUI search lands, use: vopsearch-cli search \"query\"")),
                   tr("Search"));
    m_tabs->addTab(placeholderTab(tr("Folders and indexing progress.\n"
                                     "Until the GUI library lands, use: vopsearch-cli index FOLDER")),
                   tr("Library"));
    m_tabs->addTab(placeholderTab(tr("Fit prompt sets on labelled folders.\n"
                                     "Until the GUI trainer lands, use: vopsearch-cli train")),
                   tr("Training"));
    setCentralWidget(m_tabs);
    statusBar()->showMessage(tr("Ready"));
}

} // namespace vop::ui
