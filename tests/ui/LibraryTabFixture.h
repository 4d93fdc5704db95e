#pragma once
// For the GUI tests of the Library tab and the main window: a small library of generated videos
// (coloured squares on black, made with the ffmpeg CLI), a library service over a fresh catalog
// with the toy CLIP fixture (64 px, knows coloured shapes), and screenshots as test artifacts.
#include "TestFiles.h"
#include "TestMain.h"

#include "service/LibraryService.h"

#include <QDir>
#include <QString>
#include <QWidget>

#include <cstdlib>
#include <memory>
#include <string>

namespace vop::test::ui {

using vop::test::freshDir;

// `count` videos of `seconds` each: a square of one of eight colours on black. False (with the
// command on stderr) when ffmpeg fails.
inline bool makeShapesLibrary(const std::string& dir, int count, double seconds = 2)
{
    static const char* colours[] = {"red", "green", "blue", "yellow", "white", "purple", "orange", "cyan"};
    for (int i = 0; i < count; ++i) {
        const std::string colour = colours[i % 8];
        const std::string path = dir + "/" + std::to_string(i) + "-" + colour + ".mp4";
        const std::string cmd = "ffmpeg -nostdin -hide_banner -v error -y -f lavfi -i color=c=black:s=64x64:r=5:d=" +
                                std::to_string(seconds) + " -vf drawbox=x=" + std::to_string(8 + (i % 3) * 8) +
                                ":y=16:w=28:h=28:color=" + colour +
                                ":t=fill -c:v libx264 -preset ultrafast -pix_fmt yuv420p -threads 1 " +
                                vop::test::shellQuote(path);
        if (std::system(cmd.c_str()) != 0) {
            std::fprintf(stderr, "ffmpeg failed: %s\n", cmd.c_str());
            return false;
        }
    }
    return true;
}

inline std::string toyCheckpoint() { return vop::test::sharedDir() + "/fixtures/clip-toy/model.safetensors"; }
inline std::string vocabFile() { return vop::test::sharedDir() + "/clip/bpe_simple_vocab_16e6.txt.gz"; }

// Options for a service over `dbPath` with the toy model, one thread (tests run side by side),
// no settle window (the files were just written).
inline vop::service::LibraryOptions toyLibraryOptions(const std::string& dbPath)
{
    vop::service::LibraryOptions o;
    o.dbPath = dbPath;
    o.model.checkpoint = toyCheckpoint();
    o.model.vocab = vocabFile();
    o.model.device = "cpu";
    o.model.threads = 1;
    o.model.frames = 4;
    o.indexing.sync.settleSeconds = 0;
    o.indexing.decodeWorkers = 1;
    return o;
}

// Saves a screenshot of `w` under build/test-artifacts/ (to look at, not compared).
inline QString saveScreenshot(QWidget& w, const QString& name)
{
#ifdef VOPSEARCH_ARTIFACTS_DIR
    const QString dir = QStringLiteral(VOPSEARCH_ARTIFACTS_DIR);
#else
    const QString dir = QDir::currentPath() + QStringLiteral("/test-artifacts");
#endif
    QDir().mkpath(dir);
    const QString path = dir + QLatin1Char('/') + name;
    return w.grab().save(path) ? path : QString();
}

} // namespace vop::test::ui
