// vopsearch-cli train / eval as a user runs them, on a few moving-square clips and the toy CLIP:
// the JSON they print, the prompt set written, MSR-VTT annotations, and exit codes for bad input.
#include "TestMain.h"
#include "TrainCliSupport.h"

#include <nlohmann/json.hpp>

#include <array>
#include <sys/wait.h>

using namespace vop::test::train;

namespace {

std::string model()
{
    return "--checkpoint " + vop::test::sharedDir() + "/fixtures/clip-toy/model.safetensors --vocab " +
           vop::test::sharedDir() + "/clip/bpe_simple_vocab_16e6.txt.gz --threads 1 --device cpu";
}

// 2 colours x left/right x 3 offsets
const std::string& data()
{
    static const std::string root = [] {
        const auto r = freshDir("cli-squares");
        const std::pair<const char*, Rgb> colours[] = {{"red", {255, 0, 0}}, {"blue", {0, 0, 255}}};
        int k = 0;
        for (const auto& [name, rgb] : colours)
            for (int y : {8, 24, 38}) {
                const auto clip = "/clip" + std::to_string(k++) + ".mkv";
                writeMovingSquare(r + "/" + name + "_square_moving_left" + clip, rgb, 36, y, 4, y, 12, 4, 16, 64, 24);
                writeMovingSquare(r + "/" + name + "_square_moving_right" + clip, rgb, 4, y, 36, y, 12, 4, 16, 64, 24);
            }
        return r;
    }();
    return root;
}

} // namespace

VOP_TEST(trainThenEvalWithJson)
{
    const auto out = tempDir() + "/cli-vop.safetensors";
    const auto cache = " --cache " + tempDir() + "/cli-cache ";
    auto r = cli("train --data " + data() + " --format folders --template 'a {}' --variant vop-f --out " + out +
                 " --frames 4 --split-depth 2 --text-length 2 --visual-length 2 --epochs 2 --batch 4 --lr 1e-2"
                 " --val-split 0.25 --seed 1 --no-flip --save-every 2 --json " + model() + cache);
    // 0: better than zero-shot on validation, 3: not (a few steps may well not be)
    VOP_REQUIRE(r.code == 0 || r.code == 3);
    const auto j = nlohmann::json::parse(r.out);
    VOP_CHECK_EQ(j["better_than_zero_shot"].get<bool>(), r.code == 0);
    VOP_CHECK(j["verdict"].get<std::string>().find(r.code == 0 ? "better than zero-shot" : "not better than zero-shot") == 0);
    VOP_CHECK_EQ(j["train_videos"].get<int>(), 8);
    VOP_CHECK_EQ(j["validation_videos"].get<int>(), 4); // round(0.25 * 12) = 3, but each of the 4 labels is held out once
    VOP_CHECK_EQ(j["steps"].get<int>(), 4); // 8 clips in batches of 4, 2 epochs (as given: nothing chosen)
    VOP_CHECK_EQ(j["batch"].get<int>(), 4);
    VOP_CHECK(j["chosen"].empty());
    VOP_CHECK_EQ(j["history"].size(), size_t(4));
    VOP_CHECK_EQ(j["evaluations"].size(), size_t(2));
    for (const char* part : {"zero_shot", "trained"})
        for (const char* dir : {"t2v", "v2t"})
            for (const char* key : {"R@1", "R@5", "R@10", "MdR", "MnR"}) VOP_CHECK(j[part][dir].contains(key));
    VOP_CHECK(fs::exists(out));
    VOP_CHECK(!fs::exists(out + ".state")); // removed after a finished run

    r = cli("eval --data " + data() + " --format folders --template 'a {}' --prompts " + out + " --json " + model() + cache);
    VOP_REQUIRE(r.code == 0);
    const auto e = nlohmann::json::parse(r.out);
    VOP_CHECK_EQ(e["videos"].get<int>(), 12);
    VOP_CHECK_EQ(e["texts"].get<int>(), 4);
    VOP_CHECK(e["shared_captions"].get<bool>());
    VOP_CHECK_EQ(e["frames"].get<int>(), 4);
    const double r1 = e["t2v"]["R@1"];
    VOP_CHECK(r1 >= 0 && r1 <= 100);

    // the held-out part alone, as `train` split it
    r = cli("eval --data " + data() + " --format folders --template 'a {}' --zero-shot --frames 4 --val-split 0.25"
            " --seed 1 --json " + model() + cache);
    VOP_REQUIRE(r.code == 0);
    VOP_CHECK_EQ(nlohmann::json::parse(r.out)["videos"].get<int>(), 4);

    r = cli("eval --data " + data() + " --format folders --zero-shot --frames 4 " + model() + cache);
    VOP_CHECK_EQ(r.code, 0);
    VOP_CHECK(r.out.find("t2v R@1") != std::string::npos && r.out.find("zero-shot") != std::string::npos);
}

// A text-only prompt set (docs/TRAINING.md): vop with --visual-length 0 trains text prompts only,
// and `prompts info` says so; a set with visual prompts does not.
VOP_TEST(textOnlyPromptSetFromTrainAndNew)
{
    const auto out = tempDir() + "/cli-textonly.safetensors";
    const auto cache = " --cache " + tempDir() + "/cli-cache ";
    auto r = cli("train --data " + data() + " --format folders --template 'a {}' --variant vop --visual-length 0"
                 " --out " + out + " --frames 4 --text-length 2 --epochs 1 --batch 4 --lr 1e-2 --val-split 0.25 --seed 1 --no-flip"
                 " --json " + model() + cache);
    VOP_REQUIRE(r.code == 0 || r.code == 3); // 3: written, but not better than zero-shot
    r = cli("prompts info --json " + out);
    VOP_REQUIRE_EQ(r.code, 0);
    const auto info = nlohmann::json::parse(r.out);
    VOP_CHECK(info["text_only"].get<bool>());
    VOP_CHECK_EQ(info["options"]["visual_length"].get<std::string>(), std::string("0"));
    r = cli("prompts info " + out);
    VOP_CHECK(r.out.find("text prompts only") != std::string::npos);

    const auto fresh = tempDir() + "/cli-new-visual.safetensors";
    const auto toy = " --checkpoint " + vop::test::sharedDir() + "/fixtures/clip-toy/model.safetensors";
    r = cli("prompts new --variant vop --frames 4 --visual-length 2 --out " + fresh + toy);
    VOP_REQUIRE_EQ(r.code, 0);
    r = cli("prompts info --json " + fresh);
    VOP_REQUIRE_EQ(r.code, 0);
    VOP_CHECK(!nlohmann::json::parse(r.out)["text_only"].get<bool>());
    // VoP^F keeps its frame position embedding and joint layers: never text-only.
    r = cli("prompts new --variant vop-f --frames 4 --visual-length 0 --out " + fresh + toy);
    VOP_REQUIRE_EQ(r.code, 0);
    r = cli("prompts info --json " + fresh);
    VOP_REQUIRE_EQ(r.code, 0);
    VOP_CHECK(!nlohmann::json::parse(r.out)["text_only"].get<bool>());
}

// Colours only: the toy CLIP knows colours from stills, so zero-shot CLIP is already perfect on
// validation and no trained step can be strictly better.
VOP_TEST(defaultsFitTheDataAndANoGainRunSaysSo)
{
    const auto root = freshDir("cli-colours");
    const std::pair<const char*, Rgb> colours[] = {{"red", {255, 0, 0}}, {"green", {0, 255, 0}}, {"blue", {0, 0, 255}}};
    for (const auto& [name, rgb] : colours)
        for (int y : {8, 24, 38})
            writeMovingSquare(root + "/" + name + "_square/clip" + std::to_string(y) + ".mkv", rgb, 4, y, 36, y, 12, 4, 16,
                              64, 24);
    const auto out = tempDir() + "/cli-colours.safetensors";
    // no --epochs, --steps, --batch, --warmup: chosen; a tiny time limit keeps the budget at its floor
    auto r = cli("train --data " + root + " --format folders --template 'a {}' --variant vop-f --out " + out +
                 " --frames 4 --split-depth 2 --text-length 2 --visual-length 2 --lr 1e-2 --seed 2 --max-minutes 0.000001 " +
                 model() + " --cache " + tempDir() + "/cli-cache");
    VOP_CHECK(r.err.find("chosen: batch 6: the 6 training clips") != std::string::npos); // 3 labels x 1 held out
    VOP_CHECK(r.err.find("chosen: 20 steps (20.0 epochs) instead of 5 epochs") != std::string::npos);
    VOP_CHECK(r.err.find("chosen: warm-up 2 steps") != std::string::npos);
    VOP_CHECK(r.err.find("20 steps (20.0 epochs) of batch 6, warm-up 2 steps") != std::string::npos);
    VOP_CHECK(r.out.find("20 steps in") != std::string::npos);
    // the zero-shot row: R@1 100 both ways, mean rank 1
    VOP_REQUIRE(r.out.find("zero-shot            100.0  100.0  100.0    1.0     1.0 |   100.0") != std::string::npos);
    VOP_CHECK_EQ(r.code, 3);
    VOP_CHECK(r.out.find("not better than zero-shot: keeping it is not recommended") != std::string::npos);
    VOP_CHECK(fs::exists(out)); // still written

    VOP_CHECK_EQ(cli("train --data " + root + " --format folders --variant vop --out " + out + " --epochs 2 --steps 3 " +
                     model()).code, 2);
    VOP_CHECK_EQ(cli("train --data " + root + " --format folders --variant vop --out " + out + " --steps 0 " + model()).code,
                 2);
}

VOP_TEST(msrvttAnnotationsThroughTheCli)
{
    const auto root = freshDir("cli-msrvtt");
    fs::create_directories(root + "/videos/all");
    nlohmann::json ann = {{"videos", nlohmann::json::array()}, {"sentences", nlohmann::json::array()}};
    int id = 0;
    for (const auto& entry : fs::recursive_directory_iterator(data())) {
        if (entry.path().extension() != ".mkv") continue;
        const auto vid = "video" + std::to_string(id++);
        fs::copy_file(entry.path(), root + "/videos/all/" + vid + ".mkv");
        const auto label = entry.path().parent_path().filename().string(); // red_square_moving_left
        std::string caption = "a " + label;
        for (auto& c : caption) if (c == '_') c = ' ';
        ann["videos"].push_back({{"video_id", vid}, {"split", id % 2 ? "train" : "test"}});
        ann["sentences"].push_back({{"video_id", vid}, {"caption", caption}});
        ann["sentences"].push_back({{"video_id", vid}, {"caption", caption + " on black"}});
    }
    ann["videos"].push_back({{"video_id", "video99"}, {"split", "test"}});
    ann["sentences"].push_back({{"video_id", "video99"}, {"caption", "a missing clip"}});
    writeText(root + "/MSRVTT_data.json", ann.dump());
    auto r = cli("eval --data " + root + "/MSRVTT_data.json --format msrvtt --split test --zero-shot --frames 4 --json " +
                 model() + " --cache " + tempDir() + "/cli-cache");
    VOP_REQUIRE(r.code == 0);
    const auto e = nlohmann::json::parse(r.out);
    VOP_CHECK_EQ(e["videos"].get<int>(), 6);
    VOP_CHECK_EQ(e["texts"].get<int>(), 8); // 4 labels, each with and without "on black"
    VOP_CHECK_EQ(e["skipped"].get<int>(), 1); // video99 has no file
}

VOP_TEST(badInputExitCodes)
{
    const auto out = tempDir() + "/never.safetensors";
    const auto base = "--format folders --variant vop --out " + out + " " + model();
    VOP_CHECK_EQ(cli("train --data " + data() + " --format folders --out " + out + " " + model()).code, 2); // no --variant
    VOP_CHECK_EQ(cli("train --data " + data() + " " + base + " --epochs 0").code, 2);
    VOP_CHECK_EQ(cli("train --data " + data() + " " + base + " --variant nope").code, 2);
    VOP_CHECK_EQ(cli("train --data " + data() + " " + base + " --bogus 1").code, 2);
    VOP_CHECK_EQ(cli("train --data " + tempDir() + "/missing " + base).code, 2);
    const auto single = freshDir("cli-single");
    fs::create_directories(single + "/red");
    fs::copy_file(data() + "/red_square_moving_left/clip0.mkv", single + "/red/a.mkv");
    auto r = cli("train --data " + single + " " + base + " --val-split 0");
    VOP_CHECK_EQ(r.code, 2);
    VOP_CHECK(r.err.find("training needs at least 2 videos") != std::string::npos);
    VOP_CHECK_EQ(cli("eval --data " + single + " --format folders --zero-shot " + model()).code, 2);
    r = cli("train --data " + data() + " " + base + " --lr auto --val-split 0");
    VOP_CHECK_EQ(r.code, 2); // asked to search with nothing to search on
    VOP_CHECK(r.err.find("use --val-split above 0, or give --lr") != std::string::npos);
    r = cli("train --data " + data() + " " + base + " --resume --state " + tempDir() + "/none.state");
    VOP_CHECK_EQ(r.code, 2);
    VOP_CHECK(r.err.find("no training state at") != std::string::npos);
    const auto broken = freshDir("cli-broken");
    writeText(broken + "/red/a.mp4", "not a video");
    writeText(broken + "/red/b.mp4", "");
    fs::copy_file(data() + "/red_square_moving_left/clip0.mkv", broken + "/red/c.mkv");
    r = cli("eval --data " + broken + " --format folders --zero-shot " + model());
    VOP_CHECK_EQ(r.code, 2); // one clip decodes
    VOP_CHECK(r.err.find("a.mp4") != std::string::npos && r.err.find("empty file") != std::string::npos);
    VOP_CHECK(r.err.find("evaluation needs at least 2 videos") != std::string::npos);
    VOP_CHECK(!fs::exists(out));
}

VOP_TEST_MAIN()
