#pragma once
// The main window: tabs "Search", "Library", "Training", the File and Help menus, a status bar
// and an inline message banner. It only composes: the composition root (app/gui/main.cpp)
// builds the services and the Search and Training tabs and hands them in; the window builds the
// Library tab itself. Window geometry lives in the Settings.
#include <QMainWindow>

class QAction;
class QLabel;
class QTabWidget;

namespace vop::service {
class LibraryService;
}

namespace vop::ui {

class ErrorBanner;
class LibraryTab;
class Settings;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum Tab { SearchTabIndex = 0, LibraryTabIndex = 1, TrainingTabIndex = 2 };

    MainWindow(Settings& settings, vop::service::LibraryService& service, QWidget* parent = nullptr);
    ~MainWindow() override;

    // Replace the placeholders with the real tabs (the window takes ownership).
    void setSearchTab(QWidget* tab);
    void setTrainingTab(QWidget* tab);

    QTabWidget* tabs() const { return m_tabs; }
    LibraryTab* libraryTab() const { return m_library; }
    ErrorBanner* banner() const { return m_banner; }
    // File → Export…: enabled once a Search tab is set; the composition root connects it.
    QAction* exportAction() const { return m_export; }
    QAction* settingsAction() const { return m_settingsAction; }

public Q_SLOTS:
    void showStatus(const QString& text);
    void showSettings();
    void showAbout();
    // Applies the settings that can change while running (model, indexing, rescan, thumbnails).
    void applySettings(bool modelChanged, bool indexingChanged);
    // Shows why there is no model (service.modelProblem()) on the banner, with a way to the
    // Settings; hides that message once a model is there.
    void showModelProblem();

Q_SIGNALS:
    // Settings → OK: the thumbnail size to use in result views.
    void thumbnailSizeChanged(int pixels);
    void settingsApplied();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    void replaceTab(int index, QWidget* tab, const QString& name);
    void updateModelLabel();

    Settings& m_settings;
    vop::service::LibraryService& m_service;
    QTabWidget* m_tabs = nullptr;
    ErrorBanner* m_banner = nullptr;
    LibraryTab* m_library = nullptr;
    QLabel* m_modelLabel = nullptr;
    QAction* m_export = nullptr;
    QAction* m_settingsAction = nullptr;
    bool m_bannerIsModelProblem = false;
};

} // namespace vop::ui
