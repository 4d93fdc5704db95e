// The composition root of the desktop app: one Settings, one LibraryService (its options from
// the settings, overridden for this run by the command line), the main window and its tabs.
// Arguments are parsed before QApplication exists, so `vopsearch --help` needs no display.
#include "MainWindow.h"
#include "common/ErrorBanner.h"
#include "common/Settings.h"
#include "library/LibraryTab.h"
#include "service/LibraryService.h"
#include "util/BlasTuning.h"

// Integration points: the tabs and the first-run dialog of the other feature folders are used
// when their libraries are part of the build (app/gui/CMakeLists.txt defines these).
#ifdef VOPSEARCH_HAVE_UI_SEARCH
#include "search/SearchTab.h"
#endif
#ifdef VOPSEARCH_HAVE_UI_TRAINING
#include "training/TrainingTab.h"
#endif
#ifdef VOPSEARCH_HAVE_UI_FIRSTRUN
#include "firstrun/ModelSetupDialog.h"
#endif

#include <QApplication>
#include <QMessageBox>
#include <QTimer>

#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#ifndef VOPSEARCH_VERSION
#define VOPSEARCH_VERSION "0"
#endif

namespace {

const char* kUsage =
    "vopsearch: search your video library with words (the desktop app)\n"
    "\n"
    "usage: vopsearch [--db PATH] [--checkpoint FILE] [--prompts FILE] [--device D]\n"
    "\n"
    "options (they override the settings for this run only):\n"
    "  --db PATH          the catalog database (default: the one in the user's data folder)\n"
    "  --checkpoint FILE  CLIP checkpoint (.pt or .safetensors); default: ViT-B-32.pt in the model folders\n"
    "  --prompts FILE     a prompt set (.safetensors) to search with; \"\" for zero-shot CLIP\n"
    "  --device D         auto, cpu, cuda or cuda:N\n"
    "  --help             this text\n"
    "  --version          the version\n"
    "\n"
    "Qt's own options (-platform offscreen, -style ...) are passed on to Qt.\n"
    "The same catalog works with the command-line tool: vopsearch-cli help\n";

struct CommandLine {
    std::optional<std::string> db, checkpoint, prompts, device;
    bool help = false;
    bool version = false;
    std::string error;
};

// Takes our options out of argv (Qt sees the rest).
CommandLine parseArguments(int& argc, char** argv)
{
    CommandLine cl;
    int out = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](std::optional<std::string>& slot, const std::string& name) {
            const std::string prefix = name + "=";
            if (a.rfind(prefix, 0) == 0) {
                slot = a.substr(prefix.size());
                return true;
            }
            if (a != name)
                return false;
            if (i + 1 >= argc) {
                cl.error = name + " needs a value";
                return true;
            }
            slot = argv[++i];
            return true;
        };
        if (a == "--help" || a == "-h") {
            cl.help = true;
        } else if (a == "--version") {
            cl.version = true;
        } else if (value(cl.db, "--db") || value(cl.checkpoint, "--checkpoint") || value(cl.prompts, "--prompts")
                   || value(cl.device, "--device")) {
        } else {
            argv[out++] = argv[i];
        }
    }
    argc = out;
    argv[argc] = nullptr;
    if (cl.device && *cl.device != "auto" && *cl.device != "cpu" && cl.device->rfind("cuda", 0) != 0)
        cl.error = "--device must be auto, cpu, cuda or cuda:N (got '" + *cl.device + "')";
    return cl;
}

} // namespace

int main(int argc, char** argv)
{
    vop::ensureFastBlas(argv);
    CommandLine cl = parseArguments(argc, argv);
    if (cl.help) {
        std::cout << kUsage;
        return 0;
    }
    if (cl.version) {
        std::cout << "vopsearch " << VOPSEARCH_VERSION << "\n";
        return 0;
    }
    if (!cl.error.empty()) {
        std::cerr << "vopsearch: " << cl.error << "\n\n" << kUsage;
        return 2;
    }

    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("vopsearch"));
    QApplication::setOrganizationName(QStringLiteral("vopsearch"));
    QApplication::setApplicationVersion(QStringLiteral(VOPSEARCH_VERSION));
    QApplication::setWindowIcon(QIcon::fromTheme(QStringLiteral("vopsearch")));

    vop::ui::Settings settings;
    vop::service::LibraryOptions options = settings.libraryOptions();
    if (cl.db)
        options.dbPath = *cl.db;
    if (cl.checkpoint)
        options.model.checkpoint = *cl.checkpoint;
    if (cl.prompts)
        options.model.prompts = *cl.prompts;
    if (cl.device)
        options.model.device = *cl.device;

    std::unique_ptr<vop::service::LibraryService> service;
    try {
        service = std::make_unique<vop::service::LibraryService>(options);
    } catch (const std::exception& e) {
        QMessageBox::critical(nullptr, QObject::tr("vopsearch cannot open the library"),
                              QObject::tr("%1\n\nCheck the database location (Settings or --db) and that "
                                          "the folder is writable.")
                                  .arg(QString::fromUtf8(e.what())));
        return 1;
    }

    vop::ui::MainWindow window(settings, *service);
#ifdef VOPSEARCH_HAVE_UI_SEARCH
    auto* search = new vop::ui::SearchTab(*service, &window);
    search->setThumbnailWidth(settings.thumbnailSize());
    window.setSearchTab(search);
    QObject::connect(window.exportAction(), &QAction::triggered, search, &vop::ui::SearchTab::exportResults);
    QObject::connect(search, &vop::ui::SearchTab::statusMessage, &window, &vop::ui::MainWindow::showStatus);
    QObject::connect(&window, &vop::ui::MainWindow::thumbnailSizeChanged, search,
                     &vop::ui::SearchTab::setThumbnailWidth);
    QObject::connect(&window, &vop::ui::MainWindow::settingsApplied, search, &vop::ui::SearchTab::refreshLibraryState);
#endif
#ifdef VOPSEARCH_HAVE_UI_TRAINING
    window.setTrainingTab(new vop::ui::TrainingTab(*service, &window));
#endif
    window.show();

    if (service->modelProblem()) {
#ifdef VOPSEARCH_HAVE_UI_FIRSTRUN
        // First run: download the model or choose a checkpoint; "Later" keeps the window usable.
        QTimer::singleShot(0, &window, [&] {
            vop::ui::ModelSetupDialog dialog(*service, &window);
            if (dialog.exec() == QDialog::Accepted && !cl.checkpoint) {
                settings.setCheckpoint(QString::fromStdString(service->modelSettings().checkpoint));
                settings.sync();
            }
            window.applySettings(false, false); // shows the banner when there is still no model
        });
#else
        // Without ui/firstrun in the build: the banner says which model is missing and where it
        // goes, with a way to the Settings; browsing the library still works.
        window.showModelProblem();
#endif
    }
    return app.exec();
}
