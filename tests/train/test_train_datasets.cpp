// Dataset readers (labelled folders, sidecar captions, MSR-VTT JSON/CSV and split lists) with the
// malformed inputs they must survive, the seeded validation split, and the frame cache with an
// injected decoder (no FFmpeg needed here).
#include "TestMain.h"
#include "TrainTestSupport.h"

#include "train/CaptionFlip.h"
#include "train/Dataset.h"
#include "train/FrameCache.h"
#include "train/LrSearch.h"
#include "util/Error.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>

using namespace vop;
using namespace vop::test::train;

namespace {

bool anyContains(const std::vector<std::string>& v, const std::string& a, const std::string& b = "")
{
    return std::any_of(v.begin(), v.end(), [&](const std::string& s) {
        return s.find(a) != std::string::npos && (b.empty() || s.find(b) != std::string::npos);
    });
}

void dumpSkipped(const Dataset& d)
{
    if (!std::getenv("VOP_TEST_VERBOSE")) return;
    for (const auto& s : d.skipped) std::cerr << "    skipped: " << s << "\n";
}

const VideoItem* find(const Dataset& d, const std::string& id)
{
    for (const auto& v : d.videos)
        if (v.id == id) return &v;
    return nullptr;
}

DatasetOptions withTemplate(const std::string& t)
{
    DatasetOptions o;
    o.captionTemplate = t;
    return o;
}

} // namespace

VOP_TEST(labelledFoldersWithTemplate)
{
    const auto root = freshDir("folders");
    writeText(root + "/red_square/a.mp4", "a");
    writeText(root + "/red_square/b.MKV", "b");
    writeText(root + "/red_square/notes.txt", "not a video");
    writeText(root + "/blue/sub/c.webm", "c");
    fs::create_directories(root + "/empty_label");
    writeText(root + "/empty2/readme.md", "x");
    writeText(root + "/stray.mp4", "s");
    auto d = readLabelledFolders(root, withTemplate("a video of {}"));
    dumpSkipped(d);
    VOP_REQUIRE(d.videos.size() == 3u);
    VOP_CHECK_EQ(d.format, std::string("folders"));
    VOP_CHECK_EQ(d.videos[0].id, std::string("blue/sub/c.webm"));
    VOP_CHECK_EQ(d.videos[0].captions.at(0), std::string("a video of blue"));
    VOP_CHECK_EQ(d.videos[1].captions.at(0), std::string("a video of red square"));
    VOP_CHECK_EQ(d.videos[2].captions.at(0), std::string("a video of red square"));
    VOP_CHECK_EQ(d.skipped.size(), size_t(3));
    VOP_CHECK(anyContains(d.skipped, "empty_label", "no videos"));
    VOP_CHECK(anyContains(d.skipped, "empty2", "no videos"));
    VOP_CHECK(anyContains(d.skipped, "stray.mp4", "outside a label folder"));
    const auto plain = readLabelledFolders(root);
    VOP_CHECK_EQ(plain.videos[1].captions.at(0), std::string("red square"));
}

VOP_TEST(labelledFoldersRefusals)
{
    VOP_CHECK_THROWS_WITH(readLabelledFolders(tempDir() + "/nope"), "nope' does not exist");
    const auto root = freshDir("folders-empty");
    fs::create_directories(root + "/cat");
    VOP_CHECK_THROWS_WITH(readLabelledFolders(root), "no videos in label folders");
    writeText(root + "/cat/a.mp4", "a");
    VOP_CHECK_THROWS_WITH(readLabelledFolders(root, withTemplate("a video of")), "has no {}");
    VOP_CHECK_THROWS_WITH(readDataset("yaml", root), "unknown dataset format 'yaml'");
}

VOP_TEST(sidecarCaptions)
{
    const auto root = freshDir("sidecar");
    writeText(root + "/x.mp4", "x");
    writeText(root + "/x.txt", "\xEF\xBB\xBF" "a cat on a sofa\r\n\n  a dog  \na cat on a sofa\n");
    writeText(root + "/deep/y.mov", "y");
    writeText(root + "/deep/y.txt", "\n   \n");                   // no captions
    writeText(root + "/z.avi", "z");                               // no caption file
    writeText(root + "/w.mp4", "w");
    fs::create_directories(root + "/w.txt");                       // unreadable: a folder
    writeText(root + "/orphan.txt", "a caption without a video");
    auto d = readSidecarCaptions(root);
    dumpSkipped(d);
    VOP_REQUIRE(d.videos.size() == 1u);
    VOP_CHECK_EQ(d.videos[0].id, std::string("x.mp4"));
    VOP_REQUIRE(d.videos[0].captions.size() == 2u);
    VOP_CHECK_EQ(d.videos[0].captions[0], std::string("a cat on a sofa"));
    VOP_CHECK_EQ(d.videos[0].captions[1], std::string("a dog"));
    VOP_CHECK_EQ(d.captionCount(), size_t(2));
    VOP_CHECK(anyContains(d.skipped, "x.txt:4", "duplicate caption"));
    VOP_CHECK(anyContains(d.skipped, "y.txt", "no captions (empty file)"));
    VOP_CHECK(anyContains(d.skipped, "z.avi", "no caption file z.txt"));
    VOP_CHECK(anyContains(d.skipped, "w.txt", "cannot read"));
    VOP_CHECK(anyContains(d.skipped, "orphan.txt", "no video beside it"));
    VOP_CHECK_EQ(d.skipped.size(), size_t(5));

    const auto none = freshDir("sidecar-none");
    writeText(none + "/a.mp4", "a");
    VOP_CHECK_THROWS_WITH(readSidecarCaptions(none), "no captioned videos");
}

namespace {
std::string msrvttFolder()
{
    const auto root = freshDir("msrvtt");
    for (const char* id : {"video0", "video1", "video2", "video3", "video5"})
        writeText(root + "/videos/all/" + id + ".mp4", id);
    writeText(root + "/videos/all/video5.webm", "duplicate id");
    writeText(root + "/MSRVTT_data.json", R"({
 "info": {"year": 2016},
 "videos": [
  {"category": 9, "video_id": "video0", "split": "train", "id": 0},
  {"category": 1, "video_id": "video1", "split": "train", "id": 1},
  {"category": 2, "video_id": "video2", "split": "validate", "id": 2},
  {"category": 3, "video_id": "video3", "split": "test", "id": 3},
  {"category": 3, "video_id": "video1", "split": "test", "id": 4},
  {"category": 4, "video_id": "video4", "split": "train", "id": 5},
  {"category": 4, "split": "train", "id": 6},
  {"category": 5, "video_id": "video5", "split": "train", "id": 7}
 ],
 "sentences": [
  {"caption": "a man is cooking", "video_id": "video0", "sen_id": 0},
  {"caption": "someone cooks pasta", "video_id": "video0", "sen_id": 1},
  {"caption": "a man is cooking", "video_id": "video0", "sen_id": 2},
  {"caption": "a car drives", "video_id": "video1", "sen_id": 3},
  {"video_id": "video1", "sen_id": 4},
  {"caption": "a cat plays", "sen_id": 5},
  {"caption": "people talk", "video_id": "video2", "sen_id": 6},
  {"caption": "a dog runs", "video_id": "video3", "sen_id": 7},
  {"caption": "a song is sung", "video_id": "video4", "sen_id": 8},
  {"caption": "fireworks", "video_id": "video5", "sen_id": 9}
 ]})");
    return root;
}
} // namespace

VOP_TEST(msrvttJsonWithSplits)
{
    const auto root = msrvttFolder();
    auto all = readMsrvtt(root); // the folder: finds MSRVTT_data.json and videos/all
    dumpSkipped(all);
    VOP_CHECK_EQ(all.videos.size(), size_t(5)); // video4 has no file
    VOP_CHECK(anyContains(all.skipped, "videos[4]", "duplicate video_id 'video1'"));
    VOP_CHECK(anyContains(all.skipped, "videos[6]", "no video_id"));
    VOP_CHECK(anyContains(all.skipped, "sentences[2]", "duplicate caption"));
    VOP_CHECK(anyContains(all.skipped, "sentences[4]", "no caption"));
    VOP_CHECK(anyContains(all.skipped, "sentences[5]", "no video_id"));
    VOP_CHECK(anyContains(all.skipped, "video4", "no file video4.*"));
    VOP_CHECK(anyContains(all.skipped, "video5.webm", "another file has the id"));
    auto v0 = find(all, "video0");
    VOP_REQUIRE(v0);
    VOP_CHECK_EQ(v0->captions.size(), size_t(2));
    VOP_CHECK_EQ(v0->split, std::string("train"));

    DatasetOptions o;
    o.split = "train";
    auto train = readMsrvtt(root + "/MSRVTT_data.json", o);
    VOP_CHECK_EQ(train.videos.size(), size_t(3)); // video0, video1, video5
    VOP_CHECK(find(train, "video1") && find(train, "video1")->split == "train");
    o.split = "val";
    auto val = readMsrvtt(root + "/MSRVTT_data.json", o);
    VOP_REQUIRE(val.videos.size() == 1u);
    VOP_CHECK_EQ(val.videos[0].id, std::string("video2"));
    o.split = "nonsense";
    VOP_CHECK_THROWS_WITH(readMsrvtt(root + "/MSRVTT_data.json", o), "no usable videos");
}

VOP_TEST(msrvttSplitLists)
{
    const auto root = msrvttFolder();
    // MSRVTT_train.9k.csv layout: one video_id column
    writeText(root + "/train_list.csv", "video_id\nvideo0\nvideo1\nvideo4\nvideo0\n");
    DatasetOptions o;
    o.splitList = root + "/train_list.csv";
    auto d = readMsrvtt(root + "/MSRVTT_data.json", o);
    dumpSkipped(d);
    VOP_CHECK_EQ(d.videos.size(), size_t(2));
    VOP_CHECK(anyContains(d.skipped, "train_list.csv:5", "duplicate id 'video0'"));
    VOP_CHECK(anyContains(d.skipped, "video4", "no file"));

    // MSRVTT_JSFUSION_test.csv layout: its sentences replace the annotation captions (1k-A)
    writeText(root + "/test_list.csv",
              "key,vid_key,video_id,sentence\nret0,msr3,video3,\"a dog, running\"\nret1,msr2,video2,people chat\n"
              "ret2,msr9,video9,\n");
    o.splitList = root + "/test_list.csv";
    d = readMsrvtt(root + "/MSRVTT_data.json", o);
    dumpSkipped(d);
    VOP_REQUIRE(d.videos.size() == 2u);
    VOP_CHECK_EQ(d.videos[0].id, std::string("video3"));
    VOP_REQUIRE(d.videos[0].captions.size() == 1u);
    VOP_CHECK_EQ(d.videos[0].captions[0], std::string("a dog, running"));
    VOP_CHECK(anyContains(d.skipped, "test_list.csv:4", "missing sentence"));

    // a plain list of ids
    writeText(root + "/ids.txt", "video2\n\nvideo3\nvideo7\n");
    o.splitList = root + "/ids.txt";
    d = readMsrvtt(root + "/MSRVTT_data.json", o);
    VOP_CHECK_EQ(d.videos.size(), size_t(2));
    VOP_CHECK(anyContains(d.skipped, "ids.txt:4", "'video7' has no captions"));
    writeText(root + "/empty.txt", "\n\n");
    o.splitList = root + "/empty.txt";
    VOP_CHECK_THROWS_WITH(readMsrvtt(root + "/MSRVTT_data.json", o), "empty split list");
}

VOP_TEST(msrvttCsvAndBrokenFiles)
{
    const auto root = freshDir("msrvtt-csv");
    for (const char* id : {"a", "b", "c"}) writeText(root + "/clips/" + std::string(id) + ".mp4", id);
    writeText(root + "/ann.csv",
              "video_id,caption,split\n"
              "a,\"one, with a comma\",train\n"
              "b,\"say \"\"hi\"\"\",test\n"
              "c,,train\n"
              ",orphan caption,train\n"
              "a,\"unterminated,train\n"
              "c,third clip,train\n");
    DatasetOptions o;
    o.videoDir = root + "/clips";
    auto d = readMsrvtt(root + "/ann.csv", o);
    dumpSkipped(d);
    VOP_REQUIRE(d.videos.size() == 3u);
    VOP_CHECK_EQ(find(d, "a")->captions.at(0), std::string("one, with a comma"));
    VOP_CHECK_EQ(find(d, "b")->captions.at(0), std::string("say \"hi\""));
    VOP_CHECK_EQ(find(d, "b")->split, std::string("test"));
    VOP_CHECK(anyContains(d.skipped, "ann.csv:4", "missing caption"));
    VOP_CHECK(anyContains(d.skipped, "ann.csv:5", "missing video_id"));
    VOP_CHECK(anyContains(d.skipped, "ann.csv:6", "unterminated quote"));

    writeText(root + "/nocap.csv", "video_id,category\na,1\n");
    VOP_CHECK_THROWS_WITH(readMsrvtt(root + "/nocap.csv", o), "nocap.csv:1: no caption or sentence column");
    writeText(root + "/noid.csv", "\nname,caption\na,x\n");
    VOP_CHECK_THROWS_WITH(readMsrvtt(root + "/noid.csv", o), "noid.csv:2: no video_id column");
    writeText(root + "/empty.csv", "");
    VOP_CHECK_THROWS_WITH(readMsrvtt(root + "/empty.csv", o), "empty.csv: empty file");
    writeText(root + "/bad.json", "{\"sentences\": [ {\"video_id\": \"a\", ");
    VOP_CHECK_THROWS_WITH(readMsrvtt(root + "/bad.json", o), "bad.json: not valid JSON");
    writeText(root + "/odd.json", "{\"hello\": 1}");
    VOP_CHECK_THROWS_WITH(readMsrvtt(root + "/odd.json", o), "odd.json: not MSR-VTT annotations");
    writeText(root + "/flat.json", R"([{"video_id": "a", "caption": ["x", "y"]}, {"video_id": "b"}])");
    d = readMsrvtt(root + "/flat.json", o);
    VOP_CHECK_EQ(d.videos.size(), size_t(1));
    VOP_CHECK_EQ(d.captionCount(), size_t(2));
    VOP_CHECK(anyContains(d.skipped, "flat.json: [1]", "no caption"));
    o.split = "train";
    VOP_CHECK_THROWS_WITH(readMsrvtt(root + "/flat.json", o), "no split information");
    VOP_CHECK_THROWS_WITH(readMsrvtt(root + "/missing.json"), "does not exist");
    o = {};
    VOP_CHECK_THROWS_WITH(readMsrvtt(root + "/ann.csv", o), "no folder of videos found");
}

VOP_TEST(validationSplitIsSeededAndByVideo)
{
    Dataset d;
    d.source = "synthetic";
    for (int i = 0; i < 20; ++i) d.videos.push_back({"v" + std::to_string(i), "", {"c" + std::to_string(i % 4)}, "", ""});
    auto a = splitValidation(d, 0.25, 7), b = splitValidation(d, 0.25, 7), c = splitValidation(d, 0.25, 8);
    VOP_CHECK_EQ(a.validation.videos.size(), size_t(5));
    VOP_CHECK_EQ(a.train.videos.size(), size_t(15));
    VOP_CHECK(datasetFingerprint(a.validation) == datasetFingerprint(b.validation));
    VOP_CHECK(datasetFingerprint(a.validation) != datasetFingerprint(c.validation));
    VOP_CHECK(datasetFingerprint(a.train) != datasetFingerprint(a.validation));
    VOP_CHECK_EQ(splitValidation(d, 0.0, 1).validation.videos.size(), size_t(0));
    VOP_CHECK_EQ(splitValidation(d, 0.001, 1).validation.videos.size(), size_t(4)); // every label, at least two
    Dataset one = d;
    one.videos.resize(1);
    VOP_CHECK_THROWS_WITH(splitValidation(one, 0.0, 1), "training needs at least 2 videos");
    Dataset three = d;
    three.videos.resize(3);
    VOP_CHECK_THROWS_WITH(splitValidation(three, 0.1, 1), "of which 2 go to validation");
    VOP_CHECK_THROWS_WITH(splitValidation(d, 1.0, 1), "validation fraction");
    VOP_CHECK_THROWS_WITH(requireVideos(one, 2, "evaluation"), "evaluation needs at least 2 videos");
}

namespace {
std::map<std::string, size_t> labelCounts(const Dataset& d)
{
    std::map<std::string, size_t> out;
    for (const auto& v : d.videos) ++out[v.captions.front()];
    return out;
}
} // namespace

VOP_TEST(validationSplitIsStratifiedByLabel)
{
    // 6 labels of 6 clips and one label of 2 (the issue's "a dozen clips per label" kind of data),
    // plus two labels with a single clip.
    Dataset d;
    d.source = "labelled";
    int id = 0;
    auto add = [&](const std::string& label, int clips) {
        for (int i = 0; i < clips; ++i) d.videos.push_back({"v" + std::to_string(id++), "", {label}, "", ""});
    };
    for (const char* dir : {"left", "right", "up", "down", "still", "spin"}) add(std::string("moving ") + dir, 6);
    add("rare", 2);
    add("once a", 1);
    add("once b", 1);
    for (uint64_t seed = 0; seed < 20; ++seed)
        for (double f : {0.1, 0.25, 0.5}) {
            const auto s = splitValidation(d, f, seed);
            const auto train = labelCounts(s.train), val = labelCounts(s.validation);
            VOP_CHECK_EQ(s.train.videos.size() + s.validation.videos.size(), d.videos.size());
            for (const auto& [label, n] : labelCounts(d)) {
                if (n < 2) continue;
                VOP_CHECK(train.count(label) && train.at(label) >= 1); // every label trains...
                VOP_CHECK(val.count(label) && val.at(label) >= 1);     // ...and is validated
            }
            const size_t target = std::max<size_t>(7, size_t(std::lround(f * double(d.videos.size()))));
            VOP_CHECK_EQ(s.validation.videos.size(), target);
            if (f == 0.5) // proportional: 3 of each 6-clip label
                for (const char* dir : {"left", "right", "up", "down", "still", "spin"})
                    VOP_CHECK_EQ(val.at(std::string("moving ") + dir), size_t(3));
        }
    // all captions different (MSR-VTT): a plain seeded share of the videos
    Dataset unique;
    for (int i = 0; i < 30; ++i) unique.videos.push_back({"u" + std::to_string(i), "", {"caption " + std::to_string(i)}, "", ""});
    VOP_CHECK_EQ(splitValidation(unique, 0.2, 3).validation.videos.size(), size_t(6));
    VOP_CHECK(datasetFingerprint(splitValidation(unique, 0.2, 3).validation) !=
              datasetFingerprint(splitValidation(unique, 0.2, 4).validation));
}

// Tiny data: the learning-rate search validates on repeated seeded splits, the plain split first
// (the part `eval --val-split F --seed N` evaluates), each stratified like it.
VOP_TEST(tinyValidationIsRepeatedOverSeededSplits)
{
    Dataset d;
    d.source = "labelled";
    int id = 0;
    for (const char* label : {"a", "b", "c", "d", "e", "f"})
        for (int i = 0; i < 6; ++i) d.videos.push_back({"v" + std::to_string(id++), "", {label}, "", ""});
    const auto plain = splitValidation(d, 0.1, 4); // one clip of each label: 6 videos
    VOP_CHECK(validationTooSmall(d, plain.validation));
    const auto splits = selectionSplits(d, plain, 0.1, 4);
    VOP_REQUIRE(splits.size() == size_t(1 + kExtraSelectionSplits));
    VOP_CHECK(datasetFingerprint(splits[0].validation) == datasetFingerprint(splitValidation(d, 0.1, 4).validation));
    for (size_t k = 1; k < splits.size(); ++k) {
        VOP_CHECK(datasetFingerprint(splits[k].validation) != datasetFingerprint(splits[0].validation));
        VOP_CHECK(datasetFingerprint(splits[k].validation) != datasetFingerprint(splits[3 - k].validation));
        const auto val = labelCounts(splits[k].validation);
        VOP_CHECK_EQ(val.size(), size_t(6)); // every label validated, once
        for (const auto& [label, n] : val) VOP_CHECK_EQ(n, size_t(1));
        VOP_CHECK_EQ(splits[k].train.videos.size(), size_t(30));
    }
    // two clips of every label in validation: large enough, one split
    const auto half = splitValidation(d, 0.34, 4);
    VOP_CHECK(!validationTooSmall(d, half.validation));
    VOP_CHECK_EQ(selectionSplits(d, half, 0.34, 4).size(), size_t(1));
    // captions that never repeat: only the count matters
    Dataset unique;
    for (int i = 0; i < 40; ++i) unique.videos.push_back({"u" + std::to_string(i), "", {"caption " + std::to_string(i)}, "", ""});
    VOP_CHECK(validationTooSmall(unique, splitValidation(unique, 0.1, 1).validation));  // 4 videos
    VOP_CHECK(!validationTooSmall(unique, splitValidation(unique, 0.25, 1).validation)); // 10
}

VOP_TEST(mirroredCaptionsSwapLeftAndRight)
{
    VOP_CHECK_EQ(mirrorCaption("a red square moving left"), std::string("a red square moving right"));
    VOP_CHECK_EQ(mirrorCaption("a red square moving right"), std::string("a red square moving left"));
    VOP_CHECK_EQ(mirrorCaption("Left hand raised, RIGHT foot forward"), std::string("Right hand raised, LEFT foot forward"));
    VOP_CHECK_EQ(mirrorCaption("a dog runs to the left, then on the right"),
                 std::string("a dog runs to the right, then on the left"));
    VOP_CHECK_EQ(mirrorCaption("drifting leftward; leftwards; rightwards; Rightward"),
                 std::string("drifting rightward; rightwards; leftwards; Leftward"));
    VOP_CHECK_EQ(mirrorCaption("the leftmost car turns left-hand"), std::string("the rightmost car turns right-hand"));
    VOP_CHECK_EQ(mirrorCaption("a wheel turning clockwise"), std::string("a wheel turning counterclockwise"));
    VOP_CHECK_EQ(mirrorCaption("a wheel turning counter-clockwise"), std::string("a wheel turning clockwise"));
    VOP_CHECK_EQ(mirrorCaption("Anticlockwise spin"), std::string("Clockwise spin"));
    // whole words only
    for (const char* same : {"a bright light", "leftover rice", "copyright notice", "the cleft rock", "all rights reserved",
                             "a person writing", "left_over", ""})
        VOP_CHECK_EQ(mirrorCaption(same), std::string(same));
    VOP_CHECK(namesHorizontalDirection("turn Left."));
    VOP_CHECK(!namesHorizontalDirection("a bright light"));
    VOP_CHECK_EQ(mirrorCaption(mirrorCaption("left, right, leftward, rightmost")), std::string("left, right, leftward, rightmost"));
}

namespace {
// A stand-in decoder: frame i of `count` is a 40 x 30 image of grey level 10 * i + (first byte of the file).
struct CountingDecoder {
    int calls = 0;
    FrameCache::Decoder fn()
    {
        return [this](const std::string& path, int count) {
            ++calls;
            std::ifstream in(path, std::ios::binary);
            const int base = in.get();
            if (base == 'X') throw InputError("'" + path + "': cannot decode (test)");
            std::vector<RgbImage> out;
            for (int i = 0; i < count - 1; ++i) { // one short: the cache repeats the last
                RgbImage img;
                img.width = 40;
                img.height = 30;
                img.pixels.assign(40 * 30 * 3, uint8_t(base + 10 * i));
                out.push_back(img);
            }
            return out;
        };
    }
};
} // namespace

VOP_TEST(frameCacheDecodesOnceAndSkipsFailures)
{
    const auto root = freshDir("cache-data");
    Dataset d;
    d.source = root;
    for (const char* name : {"A", "B", "X"}) {
        writeText(root + "/" + name + ".mp4", name);
        d.videos.push_back({name, root + "/" + name + ".mp4", {std::string("caption ") + name}, "", ""});
    }
    FrameSampling s{4, 3, 16};
    VOP_CHECK_EQ(s.count(), 12);
    VOP_CHECK_EQ(s.evalIndex(1), 4);
    FrameCache cache(root + "/cache", s);
    CountingDecoder dec;
    size_t lastDone = 0;
    auto r = prepareFrames(d, cache, dec.fn(), [&](size_t done, size_t) { lastDone = done; });
    VOP_CHECK_EQ(r.decoded, size_t(2));
    VOP_CHECK_EQ(r.failed, size_t(1));
    VOP_CHECK_EQ(lastDone, size_t(3));
    VOP_REQUIRE(d.videos.size() == 2u);
    VOP_CHECK(anyContains(d.skipped, "X.mp4", "cannot decode"));
    auto frames = cache.load(d.videos[0].framesFile, {0, 5, 11});
    VOP_REQUIRE(frames.size() == 3u);
    VOP_CHECK_EQ(frames[0].width, 16);
    VOP_CHECK_EQ(frames[0].height, 16);
    VOP_CHECK_EQ(int(frames[0].pixels[0]), 'A');
    VOP_CHECK_EQ(int(frames[1].pixels[7]), 'A' + 50);
    VOP_CHECK_EQ(int(frames[2].pixels[0]), 'A' + 100); // the 12th repeats the 11th
    VOP_CHECK_THROWS_WITH(cache.load(d.videos[0].framesFile, {12}), "holds 12");

    // a second run reuses every entry; other sampling settings are other entries
    Dataset again = d;
    dec.calls = 0;
    r = prepareFrames(again, cache, dec.fn());
    VOP_CHECK_EQ(r.reused, size_t(2));
    VOP_CHECK_EQ(dec.calls, 0);
    FrameCache other(root + "/cache", FrameSampling{4, 1, 16});
    Dataset third = d;
    prepareFrames(third, other, dec.fn());
    VOP_CHECK_EQ(dec.calls, 2);
    VOP_CHECK(third.videos[0].framesFile != d.videos[0].framesFile);

    // a damaged entry is decoded again; an edited video gets a new entry
    fs::resize_file(d.videos[0].framesFile, 100);
    dec.calls = 0;
    bool reused = true;
    cache.ensure(d.videos[0].path, dec.fn(), &reused);
    VOP_CHECK(!reused);
    VOP_CHECK_EQ(dec.calls, 1);
    writeText(d.videos[1].path, "B, edited");
    VOP_CHECK(cache.ensure(d.videos[1].path, dec.fn()) != d.videos[1].framesFile);

    std::atomic<bool> cancel{true};
    Dataset fourth = d;
    VOP_CHECK_THROWS_WITH(prepareFrames(fourth, cache, dec.fn(), {}, &cancel), "cancelled");
    VOP_CHECK_THROWS_WITH(FrameCache(root, FrameSampling{4, 2, 16}), "must be odd");
}

VOP_TEST_MAIN()
