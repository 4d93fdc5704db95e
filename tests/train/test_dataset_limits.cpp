// Dataset readers on huge inputs (issue 14, resource limits): a million captions in an MSR-VTT
// CSV, JSON and split list and in one sidecar file are read in time proportional to their size,
// a video keeps at most kMaxCaptionsPerVideo captions (said once), and a text file over
// kMaxTextFileBytes is refused with a message before it is read.
#include "TestMain.h"
#include "TrainTestSupport.h"

#include "train/Dataset.h"
#include "util/Error.h"

#include <algorithm>
#include <chrono>
#include <sys/resource.h>

using namespace vop;
using namespace vop::test::train;

namespace {

constexpr size_t kMillion = 1000000;

size_t countContaining(const std::vector<std::string>& v, const std::string& a)
{
    return size_t(std::count_if(v.begin(), v.end(), [&](const std::string& s) { return s.find(a) != std::string::npos; }));
}

// `videos` empty video files named 0.mp4, 1.mp4, ... in ROOT/videos.
std::string videoFolder(const std::string& root, size_t videos)
{
    for (size_t i = 0; i < videos; ++i) writeText(root + "/videos/" + std::to_string(i) + ".mp4", "");
    return root + "/videos";
}

void report(const char* what, std::chrono::steady_clock::time_point start)
{
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    std::cout << "  " << what << ": " << ms.count() << " ms, peak RSS so far " << ru.ru_maxrss / 1024 << " MiB" << std::endl;
}

// Writes ROOT/<file> and `videos` video files, reads them as MSR-VTT and prints the time taken.
Dataset readAnnotations(const std::string& what, const std::string& root, size_t videos, const std::string& file,
                        const std::string& text)
{
    DatasetOptions o;
    o.videoDir = videoFolder(root, videos);
    writeText(root + "/" + file, text);
    const auto start = std::chrono::steady_clock::now();
    auto d = readMsrvtt(root + "/" + file, o);
    report(what.c_str(), start);
    return d;
}

} // namespace

VOP_TEST(millionCaptionsOverManyVideos)
{
    std::string csv = "video_id,caption\n";
    for (size_t i = 0; i < kMillion; ++i)
        csv += std::to_string(i % 2000) + ",caption number " + std::to_string(i) + "\n";
    const auto d = readAnnotations("1M captions over 2000 videos (CSV)", freshDir("million-csv"), 2000, "annotations.csv", csv);
    VOP_REQUIRE(d.videos.size() == 2000u);
    VOP_CHECK_EQ(d.captionCount(), kMillion); // 500 per video: all kept
    VOP_CHECK(d.skipped.empty());
}

VOP_TEST(millionCaptionsForOneVideoAreCapped)
{
    std::string json = "[";
    for (size_t i = 0; i < kMillion; ++i)
        json += std::string(i ? "," : "") + "{\"video_id\":\"0\",\"caption\":\"caption " + std::to_string(i % (kMillion / 2)) + "\"}";
    const auto d = readAnnotations("1M captions for one video (JSON)", freshDir("million-one"), 1, "annotations.json", json + "]");
    VOP_REQUIRE(d.videos.size() == 1u);
    VOP_CHECK_EQ(d.videos[0].captions.size(), kMaxCaptionsPerVideo);
    VOP_CHECK_EQ(d.videos[0].captions.back(), "caption " + std::to_string(kMaxCaptionsPerVideo - 1));
    VOP_CHECK_EQ(countContaining(d.skipped, "captions; the rest are ignored"), size_t(1));
}

VOP_TEST(millionSidecarLinesAndSplitSentences)
{
    const auto root = freshDir("million-sidecar");
    std::string lines;
    for (size_t i = 0; i < kMillion; ++i) lines += "the same caption again\n";
    writeText(root + "/clip.mp4", "");
    writeText(root + "/clip.txt", lines);
    auto start = std::chrono::steady_clock::now();
    const auto d = readSidecarCaptions(root);
    report("1M identical sidecar lines", start);
    VOP_REQUIRE(d.videos.size() == 1u);
    VOP_CHECK_EQ(d.videos[0].captions.size(), size_t(1));
    VOP_CHECK_EQ(d.skipped.size(), kMillion - 1); // every duplicate named with its line

    DatasetOptions o;
    o.videoDir = videoFolder(root, 1);
    writeText(root + "/ann.csv", "video_id,caption\n0,a caption\n");
    std::string list = "video_id,sentence\n";
    for (size_t i = 0; i < kMillion; ++i) list += "0,sentence " + std::to_string(i) + "\n";
    o.splitList = root + "/list.csv";
    writeText(o.splitList, list);
    start = std::chrono::steady_clock::now();
    const auto s = readMsrvtt(root + "/ann.csv", o);
    report("1M split-list sentences for one video", start);
    VOP_REQUIRE(s.videos.size() == 1u);
    VOP_CHECK_EQ(s.videos[0].captions.size(), kMaxCaptionsPerVideo);
}

VOP_TEST(oversizedAnnotationFileIsRefusedUnread)
{
    const auto root = freshDir("huge-file");
    DatasetOptions o;
    o.videoDir = videoFolder(root, 1);
    const auto path = root + "/annotations.csv";
    writeText(path, "video_id,caption\n0,a caption\n");
    fs::resize_file(path, kMaxTextFileBytes + 1); // sparse: no disk used, and never read
    for (const auto& p : {path, std::string()}) {
        std::string message;
        try {
            if (p.empty()) {
                o.splitList = path;
                writeText(root + "/small.csv", "video_id,caption\n0,a caption\n");
                readMsrvtt(root + "/small.csv", o);
            } else {
                readMsrvtt(p, o);
            }
        } catch (const InputError& e) {
            message = e.what();
        }
        VOP_CHECK(message.find("is 257 MiB, more than the 256 MiB vopsearch reads in a dataset text file") != std::string::npos);
    }
}

VOP_TEST_MAIN()
