// A reader on another thread (its own connection, WAL) never sees a half-written file while a
// writer keeps replacing file contents.
#include "StoreTestUtil.h"
#include "TestMain.h"

#include "store/Catalog.h"

#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

using namespace vop;
using namespace vop::store;
using vop::test::TempDir;

namespace {

constexpr int kDim = 16;
constexpr int kFiles = 4;
constexpr int kGenerations = 60;

int segmentsFor(int gen) { return gen % 5 + 1; }

// Content of generation `gen`: every segment starts at gen*1000 + 15*s, so a reader can tell
// which write a segment came from.
FileContent generation(int64_t model, int gen, int file)
{
    FileContent c = test::testContent(model, std::nullopt, kDim, segmentsFor(gen), gen * 100 + file, gen * 1000.0);
    return c;
}

} // namespace

VOP_TEST(catalogReaderNeverSeesHalfWrittenFiles)
{
    TempDir dir;
    const std::string path = dir.file("c.sqlite3");
    std::vector<int64_t> files;
    int64_t model = 0;
    {
        Catalog setup(path);
        model = setup.upsertModel("m", "model", kDim);
        for (int i = 0; i < kFiles; ++i)
            files.push_back(setup.upsertFile(test::testFile("/v/" + std::to_string(i) + ".mp4")).fileId);
    }

    std::atomic<bool> writerDone{false};
    std::atomic<long> observations{0}, indexedSeen{0};
    std::mutex problemsMutex;
    std::vector<std::string> problems;
    auto problem = [&](const std::string& p) {
        std::lock_guard<std::mutex> l(problemsMutex);
        if (problems.size() < 20)
            problems.push_back(p);
    };

    // Segments read in one statement must all come from one generation, and be all of it.
    auto checkSegments = [&](const std::vector<SegmentRecord>& segs, const std::string& where) {
        if (segs.empty())
            return;
        int gen = static_cast<int>(std::floor(segs[0].start / 1000.0));
        for (const auto& s : segs)
            if (static_cast<int>(std::floor(s.start / 1000.0)) != gen)
                problem(where + ": segments of two generations mixed");
        if (static_cast<int>(segs.size()) != segmentsFor(gen))
            problem(where + ": " + std::to_string(segs.size()) + " segments of generation " + std::to_string(gen) +
                    ", expected " + std::to_string(segmentsFor(gen)));
    };

    std::thread reader([&] {
        try {
            Catalog c(path);
            bool last = false;
            while (!last) {
                last = writerDone.load();
                c.readSnapshot([&] {
                    for (int64_t id : files) {
                        auto f = c.file(id);
                        if (!f) {
                            problem("file vanished");
                            continue;
                        }
                        auto segs = c.segmentsOfFile(id);
                        if (f->status == FileStatus::Indexed) {
                            ++indexedSeen;
                            if (segs.empty())
                                problem("an indexed file with zero segments");
                        } else if (!segs.empty()) {
                            problem("a pending file with segments");
                        }
                        checkSegments(segs, "snapshot");
                    }
                    auto n = c.counts();
                    if (n.segments != n.embeddings)
                        problem("segments and embeddings out of step: " + std::to_string(n.segments) + " vs " +
                                std::to_string(n.embeddings));
                });
                for (int64_t id : files)
                    checkSegments(c.segmentsOfFile(id), "single statement");
                ++observations;
            }
        } catch (const std::exception& e) {
            problem(std::string("reader: ") + e.what());
        }
    });

    std::thread writer([&] {
        try {
            Catalog c(path);
            for (int gen = 1; gen <= kGenerations; ++gen)
                for (int i = 0; i < kFiles; ++i)
                    c.replaceFileContent(files[i], generation(model, gen, i));
        } catch (const std::exception& e) {
            problem(std::string("writer: ") + e.what());
        }
        writerDone = true;
    });
    writer.join();
    reader.join();

    for (const auto& p : problems)
        std::cerr << "  " << p << "\n";
    VOP_CHECK(problems.empty());
    VOP_CHECK(observations.load() > 0);
    VOP_CHECK(indexedSeen.load() > 0); // the last pass runs after the writer finished

    Catalog c(path);
    VOP_CHECK_EQ(c.counts().segments, int64_t(kFiles * segmentsFor(kGenerations)));
    VOP_CHECK_EQ(c.integrityCheck(), std::string("ok"));
}

VOP_TEST(catalogTwoWritersQueueOnTheLock)
{
    // Two connections writing at once: the busy timeout makes the second wait, nobody fails.
    TempDir dir;
    const std::string path = dir.file("c.sqlite3");
    int64_t model = 0;
    {
        Catalog setup(path);
        model = setup.upsertModel("m", "model", kDim);
    }
    std::atomic<int> failures{0};
    auto work = [&](int base) {
        try {
            Catalog c(path);
            for (int i = 0; i < 40; ++i) {
                int64_t f = c.upsertFile(test::testFile("/v/w" + std::to_string(base + i) + ".mp4")).fileId;
                c.replaceFileContent(f, test::testContent(model, std::nullopt, kDim, 2, base + i));
            }
        } catch (const std::exception& e) {
            std::cerr << "  writer failed: " << e.what() << "\n";
            ++failures;
        }
    };
    std::thread a(work, 0), b(work, 1000);
    a.join();
    b.join();
    VOP_CHECK_EQ(failures.load(), 0);
    Catalog c(path);
    VOP_CHECK_EQ(c.counts().indexedFiles, int64_t(80));
    VOP_CHECK_EQ(c.counts().embeddings, int64_t(160));
}
