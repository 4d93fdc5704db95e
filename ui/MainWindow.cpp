#include "MainWindow.h"

#include "common/ErrorBanner.h"
#include "common/Settings.h"
#include "common/SettingsDialog.h"
#include "library/LibraryTab.h"
#include "library/LibraryWatcher.h"
#include "service/LibraryService.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include <algorithm>

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

MainWindow::MainWindow(Settings& settings, vop::service::LibraryService& service, QWidget* parent)
    : QMainWindow(parent)
    , m_settings(settings)
    , m_service(service)
{
    setWindowTitle(tr("vopsearch"));
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(6, 6, 6, 0);
    m_banner = new ErrorBanner(central);
    layout->addWidget(m_banner);
    connect(m_banner, &ErrorBanner::actionTriggered, this, [this] {
        if (m_bannerIsModelProblem)
            showSettings();
    });
    connect(m_banner, &ErrorBanner::dismissed, this, [this] { m_bannerIsModelProblem = false; });
    m_tabs = new QTabWidget(central);
    m_tabs->setObjectName(QStringLiteral("mainTabs"));
    m_tabs->setDocumentMode(true);
    layout->addWidget(m_tabs, 1);
    setCentralWidget(central);

    m_tabs->addTab(placeholderTab(tr("Search is not part of this build.\nUse: vopsearch-cli search \"query\"")),
                   tr("Search"));
    m_library = new LibraryTab(m_service, m_tabs);
    m_tabs->addTab(m_library, tr("Library"));
    m_tabs->addTab(placeholderTab(tr("Training is not part of this build.\nUse: vopsearch-cli train")),
                   tr("Training"));
    for (int i = 0; i < m_tabs->count(); ++i) {
        m_tabs->tabBar()->setAccessibleTabName(i, m_tabs->tabText(i));
        m_tabs->widget(i)->setAccessibleName(m_tabs->tabText(i));
    }
    m_library->watcher()->setRescanMinutes(m_settings.rescanMinutes());
    connect(m_library, &LibraryTab::statusMessage, this, &MainWindow::showStatus);

    buildMenus();
    m_modelLabel = new QLabel(this);
    statusBar()->addPermanentWidget(m_modelLabel);
    updateModelLabel();
    statusBar()->showMessage(tr("Ready"));

    // First start: most of the screen (training's charts and result want height), at least the
    // old 1180 x 760 where the screen has it; later starts restore the saved geometry.
    QSize size(1180, 760);
    if (const QScreen* screen = QGuiApplication::primaryScreen()) {
        const QRect avail = screen->availableGeometry();
        size = size.expandedTo(QSize(std::min(1440, avail.width() * 85 / 100), std::min(960, avail.height() * 90 / 100)))
                   .boundedTo(avail.size());
    }
    resize(size);
    const QByteArray geometry = m_settings.windowGeometry();
    if (!geometry.isEmpty())
        restoreGeometry(geometry);
    const QByteArray state = m_settings.windowState();
    if (!state.isEmpty())
        restoreState(state);
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    m_export = file->addAction(tr("&Export…"));
    m_export->setToolTip(tr("Save the search results as a playlist (M3U8, XSPF, mpv EDL, CSV, JSON)"));
    m_export->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_export->setEnabled(false);
    file->addSeparator();
    m_settingsAction = file->addAction(tr("&Settings…"), this, &MainWindow::showSettings);
    m_settingsAction->setShortcuts(QKeySequence::Preferences);
    if (m_settingsAction->shortcuts().isEmpty()) // desktops without a standard binding
        m_settingsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Comma));
    m_settingsAction->setMenuRole(QAction::PreferencesRole);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcuts(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    const QString names[] = {tr("&Search"), tr("&Library"), tr("&Training")};
    for (int i = 0; i < 3; ++i) {
        QAction* a = view->addAction(names[i], this, [this, i] { m_tabs->setCurrentIndex(i); });
        a->setShortcut(QKeySequence(Qt::ALT | Qt::Key(Qt::Key_1 + i)));
    }

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* about = help->addAction(tr("&About vopsearch"), this, &MainWindow::showAbout);
    about->setMenuRole(QAction::AboutRole);
}

void MainWindow::replaceTab(int index, QWidget* tab, const QString& name)
{
    QWidget* old = m_tabs->widget(index);
    const bool current = m_tabs->currentIndex() == index;
    m_tabs->removeTab(index);
    m_tabs->insertTab(index, tab, name);
    m_tabs->tabBar()->setAccessibleTabName(index, name);
    tab->setAccessibleName(name);
    if (current)
        m_tabs->setCurrentIndex(index);
    delete old;
}

void MainWindow::setSearchTab(QWidget* tab)
{
    replaceTab(SearchTabIndex, tab, tr("Search"));
    m_export->setEnabled(true);
}

void MainWindow::setTrainingTab(QWidget* tab)
{
    replaceTab(TrainingTabIndex, tab, tr("Training"));
}

void MainWindow::showStatus(const QString& text)
{
    statusBar()->showMessage(text, 10000);
}

void MainWindow::showSettings()
{
    const auto before = m_settings.libraryOptions();
    const int rescanBefore = m_settings.rescanMinutes();
    const int thumbBefore = m_settings.thumbnailSize();
    SettingsDialog dialog(m_settings, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const auto after = m_settings.libraryOptions();
    if (rescanBefore != m_settings.rescanMinutes())
        m_library->watcher()->setRescanMinutes(m_settings.rescanMinutes());
    if (thumbBefore != m_settings.thumbnailSize())
        Q_EMIT thumbnailSizeChanged(m_settings.thumbnailSize());
    if (before.dbPath != after.dbPath) {
        m_bannerIsModelProblem = false;
        m_banner->showMessage(tr("The new database location is used from the next start."),
                              tr("Restart vopsearch to open %1.").arg(QString::fromStdString(after.dbPath)),
                              ErrorBanner::Level::Info);
    }
    applySettings(before.model != after.model,
                  before.indexing.segments.window != after.indexing.segments.window);
}

void MainWindow::applySettings(bool modelChanged, bool indexingChanged)
{
    const auto wanted = m_settings.libraryOptions();
    try {
        if (modelChanged) {
            // Only what the dialog changed: options given on the command line stay for this run
            // unless the user changed that very setting.
            auto current = m_service.modelSettings();
            const auto stored = wanted.model;
            current.checkpoint = stored.checkpoint;
            current.prompts = stored.prompts;
            current.device = stored.device;
            current.threads = stored.threads;
            current.frames = stored.frames;
            m_service.setModelSettings(current);
        }
        if (indexingChanged) {
            auto options = m_service.indexerOptions();
            options.segments.window = wanted.indexing.segments.window;
            options.segments.segmentMax = wanted.indexing.segments.segmentMax;
            m_service.setIndexerOptions(options);
        }
    } catch (const std::exception& e) {
        m_banner->showMessage(tr("The new model settings could not be applied now."), QString::fromUtf8(e.what()),
                              ErrorBanner::Level::Warning);
    }
    updateModelLabel();
    showModelProblem();
    m_library->refresh(false);
    Q_EMIT settingsApplied();
}

void MainWindow::showModelProblem()
{
    std::optional<std::string> problem;
    try {
        problem = m_service.modelProblem();
    } catch (const std::exception& e) {
        problem = e.what();
    }
    if (!problem) {
        if (m_bannerIsModelProblem)
            m_banner->dismiss();
        m_bannerIsModelProblem = false;
        return;
    }
    m_banner->showMessage(tr("No CLIP model found, so indexing and search are off."),
                          tr("%1\nOr choose a checkpoint in Settings. You can browse the library meanwhile.")
                              .arg(QString::fromStdString(*problem)),
                          ErrorBanner::Level::Warning, tr("Settings…"));
    m_bannerIsModelProblem = true;
}

void MainWindow::updateModelLabel()
{
    std::optional<std::string> problem;
    vop::service::ModelSettings model;
    try {
        problem = m_service.modelProblem();
        model = m_service.modelSettings();
    } catch (const std::exception& e) {
        problem = e.what();
    }
    if (problem) {
        m_modelLabel->setText(tr("No model"));
        m_modelLabel->setToolTip(QString::fromStdString(*problem));
        return;
    }
    const QString name = model.checkpoint.empty() ? tr("ViT-B-32.pt")
                                                  : QFileInfo(QString::fromStdString(model.checkpoint)).fileName();
    const QString prompts = model.prompts.empty() ? tr("zero-shot")
                                                  : QFileInfo(QString::fromStdString(model.prompts)).fileName();
    m_modelLabel->setText(tr("Model: %1 · %2").arg(name, prompts));
    m_modelLabel->setToolTip(tr("Catalog: %1").arg(QString::fromStdString(m_service.dbPath())));
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About vopsearch"),
                       tr("<h3>vopsearch %1</h3>"
                          "<p>Search your own videos with words: CLIP embeds moments of your videos, "
                          "a small VoP prompt set adapts it to your library, and everything runs on "
                          "this computer.</p>"
                          "<p>Catalog: %2</p>")
                           .arg(QApplication::applicationVersion(),
                                QString::fromStdString(m_service.dbPath()).toHtmlEscaped()));
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    m_settings.setWindowGeometry(saveGeometry());
    m_settings.setWindowState(saveState());
    m_settings.sync();
    QMainWindow::closeEvent(event);
}

} // namespace vop::ui
