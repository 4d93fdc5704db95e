#pragma once
// Shared by the training-tab and prompt-set tests: a user data folder of their own, the toy CLIP
// as the library's model, labelled folders of coloured squares made with ffmpeg, prompt-set
// files written without torch (for the toy or another backbone), widgets found by their
// accessible names, and screenshots under build/test-artifacts/.
#include "TestFiles.h"
#include "TestMain.h"

#include "model/SafeTensors.h"
#include "prompts/Variant.h"
#include "promptsets/PromptSetLibrary.h"
#include "service/LibraryService.h"
#include "util/Sha256.h"

#include <QDir>
#include <QString>
#include <QWidget>
#include <QtTest>

#include <filesystem>
#include <memory>
#include <string>

namespace vop::test::ui {

namespace fs = std::filesystem;

inline std::string shared(const std::string& rel) { return sharedDir() + "/" + rel; }
inline std::string toyCheckpoint() { return shared("fixtures/clip-toy/model.safetensors"); }
inline std::string tinyCheckpoint() { return shared("fixtures/clip-tiny/model.safetensors"); }
inline std::string vocabFile() { return shared("clip/bpe_simple_vocab_16e6.txt.gz"); }

// Points XDG_DATA_HOME into the run's temp folder (call before anything reads paths).
inline std::string useTempDataHome()
{
    const std::string dir = runTempDir() + "/xdg-data";
    fs::create_directories(dir);
    qputenv("XDG_DATA_HOME", QByteArray::fromStdString(dir));
    return dir + "/vopsearch";
}

inline std::unique_ptr<vop::service::LibraryService> makeService()
{
    vop::service::LibraryOptions o;
    o.dbPath = runTempDir() + "/library.sqlite3";
    o.model.checkpoint = toyCheckpoint();
    o.model.vocab = vocabFile();
    o.model.device = "cpu";
    o.model.threads = 1; // ctest runs tests side by side
    return std::make_unique<vop::service::LibraryService>(o);
}

// ROOT/<colour>_square/clipK.mp4: a 24 px square of that colour on black, 1.5 s, 64 px, at a
// different place in every clip.
inline void writeSquares(const std::string& root, int clipsPerLabel)
{
    const char* colours[] = {"red", "green", "blue"};
    for (const char* c : colours)
        for (int k = 0; k < clipsPerLabel; ++k) {
            const std::string dir = root + "/" + c + "_square";
            fs::create_directories(dir);
            const int x = 4 + 9 * k, y = 36 - 8 * k;
            const std::string cmd =
                "ffmpeg -nostdin -hide_banner -v error -y -f lavfi -i color=c=black:s=64x64:r=8:d=1.5 -vf drawbox=x=" +
                std::to_string(x) + ":y=" + std::to_string(y) + ":w=24:h=24:color=" + c +
                ":t=fill -c:v libx264 -preset ultrafast -pix_fmt yuv420p -threads 1 " +
                shellQuote(dir + "/clip" + std::to_string(k) + ".mp4");
            if (std::system(cmd.c_str()) != 0) QFAIL(("ffmpeg failed (is the ffmpeg CLI installed?): " + cmd).c_str());
        }
}

// A prompt-set file for the backbone of `checkpoint`, with zero tensors of the right shapes,
// written the way savePromptSet does (format, version, options, backbone, provenance).
inline void writePromptSet(const std::string& path, const std::string& checkpoint, const PromptOptions& options,
                           const std::string& dataset = "generated in the test")
{
    const auto config = vop::ui::readCheckpointConfig(checkpoint);
    QVERIFY(config.has_value());
    auto meta = options.toMetadata();
    meta["format"] = "vopsearch-prompts";
    meta["format_version"] = "1";
    meta["backbone_sha256"] = sha256File(checkpoint);
    meta["backbone_shape"] = config->summary();
    meta["provenance.dataset"] = dataset;
    meta["provenance.created"] = "2026-11-30T09:00:00Z";
    std::vector<safetensors::OutTensor> tensors;
    for (const auto& [name, shape] : trainableShapes(*config, options)) {
        safetensors::OutTensor t;
        t.name = name;
        t.shape = shape;
        int64_t n = 1;
        for (auto d : shape) n *= d;
        t.bytes.assign(size_t(n) * 4, '\0');
        tensors.push_back(std::move(t));
    }
    safetensors::write(path, tensors, meta);
}

template <class T>
T* byName(QWidget* root, const QString& name)
{
    for (T* w : root->findChildren<T*>())
        if (w->accessibleName() == name) return w;
    return nullptr;
}

inline QString artifactsDir()
{
    const QString dir = QStringLiteral(VOPSEARCH_ARTIFACTS_DIR);
    QDir().mkpath(dir);
    return dir;
}

inline void screenshot(QWidget* w, const QString& name)
{
    const QString path = artifactsDir() + QLatin1Char('/') + name + QStringLiteral(".png");
    QVERIFY2(w->grab().save(path), qPrintable(path));
}

} // namespace vop::test::ui
