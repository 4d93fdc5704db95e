// Learning where the method can learn (issue 11): `vopsearch-cli train` with its defaults on
// generated labelled folders (tools/make-labelled-folders.sh) and the toy CLIP, which knows
// colours from stills and has never seen motion. VoP^F learns left/right, which zero-shot CLIP
// and VoP (mean pooling over frames that a left and a right clip share) cannot see, on average
// over seeds (per seed it varies: asserted is what held on every seed measured); the default rate
// is searched within the time limit, and the verdict says what 6 validation clips can tell. (Exit 3 when zero-shot CLIP is already
// perfect: test_train_cli's defaultsFitTheDataAndANoGainRunSaysSo.)
#include "TestMain.h"
#include "TrainCliSupport.h"

#include <nlohmann/json.hpp>

using namespace vop::test::train;

namespace {

std::string common()
{
    return " --format folders --template 'a {}' --frames 4 --threads 1 --device cpu --checkpoint " +
           vop::test::sharedDir() + "/fixtures/clip-toy/model.safetensors --vocab " + vop::test::sharedDir() +
           "/clip/bpe_simple_vocab_16e6.txt.gz --cache " + tempDir() + "/learn-cache";
}

// KIND's folders, TRAIN training and TEST test clips per label, made once per run.
std::string folders(const std::string& kind, int train = 4, int test = 2)
{
    const auto dir = tempDir() + "/learn-" + kind;
    if (!fs::exists(dir + "/test")) {
        const auto r = vop::test::runShell(std::string(VOPSEARCH_TOOLS) + "/make-labelled-folders.sh " + kind + " " + dir +
                                           " " + std::to_string(train) + " " + std::to_string(test) + " 2>&1");
        if (r.code != 0) vop::test::fail(__FILE__, __LINE__, "make-labelled-folders.sh failed: " + r.out, true);
    }
    return dir;
}

nlohmann::json evalJson(const std::string& data, const std::string& what)
{
    const auto r = cli("eval --data " + data + "/test" + common() + " " + what + " --json");
    if (r.code != 0) vop::test::fail(__FILE__, __LINE__, "eval failed: " + r.err, true);
    return nlohmann::json::parse(r.out);
}

// The search's lines on stderr: what it tries, and the rate it chose with why.
void checkSearchLines(const Run& r, const std::string& splits)
{
    VOP_CHECK(r.err.find("searching the learning rate: 4 rates x 10 steps on " + splits) != std::string::npos);
    VOP_CHECK(r.err.find("chosen: lr ") != std::string::npos);
    VOP_CHECK(r.err.find(" because it validated best after 10 steps on " + splits) != std::string::npos);
}

struct Trained {
    std::string data, out; // the folders, the prompt set written
    Run run;
};

Trained trainOn(const std::string& kind, const std::string& args, int clipsPerLabel = 4)
{
    Trained t;
    t.data = folders(kind, clipsPerLabel);
    t.out = tempDir() + "/learn-" + kind + ".safetensors";
    t.run = cli("train --data " + t.data + "/train --out " + t.out + " " + args + common());
    return t;
}

} // namespace

// What is stable across seeds (docs/TRAINING.md, "Learning on generated folders"): on left/right
// twins mean pooling cannot tell the direction, VoP^F can. 60 steps at a fixed rate of 5e-2, the
// rest default; seeds 0, 1, 2 measured test t2v R@1 83.3, 50.0, 66.7 (zero-shot 0.0; VoP 16.7 or
// 33.3, float rounding breaking some of its ties, v2t 50 on every seed). Per seed VoP^F only has to rank twins apart (above 0, where pooled frames tie);
// over the seeds it has to beat a coin flip between a clip and its mirrored twin (50).
VOP_TEST(vopFSeesDirectionWhereMeanPoolingCannot)
{
    const std::string data = folders("leftright");
    const auto zero = evalJson(data, "--zero-shot");
    // every frame of a left clip is a frame of its right twin: pooled, they tie, and ties count against
    VOP_CHECK_EQ(zero["t2v"]["R@1"].get<double>(), 0.0);
    VOP_CHECK_EQ(zero["v2t"]["R@1"].get<double>(), 50.0);

    // VoP pools its frames too: whatever it learns, a clip and its twin get the same caption first
    auto t = trainOn("leftright", "--variant vop --lr 5e-2 --steps 30 --seed 0 --json");
    VOP_REQUIRE(t.run.code == 0 || t.run.code == 3);
    const auto vop = evalJson(data, "--prompts " + t.out);
    VOP_CHECK(vop["v2t"]["R@1"].get<double>() <= 50.0);

    double sum = 0;
    for (int seed : {0, 1, 2}) {
        t = trainOn("leftright", "--variant vop-f --lr 5e-2 --steps 60 --seed " + std::to_string(seed) + " --json");
        VOP_REQUIRE(t.run.code == 0 || t.run.code == 3);
        const auto f = evalJson(data, "--prompts " + t.out);
        const double r1 = f["t2v"]["R@1"].get<double>();
        std::cout << "  held out, seed " << seed << ": vop-f t2v/v2t R@1 " << r1 << " / " << f["v2t"]["R@1"]
                  << " (zero-shot 0 / 50, vop " << vop["t2v"]["R@1"] << " / " << vop["v2t"]["R@1"] << ")" << std::endl;
        VOP_CHECK(r1 > 0.0);
        VOP_CHECK(f["v2t"]["R@1"].get<double>() >= 50.0); // never below zero-shot's v2t
        sum += r1;
    }
    VOP_CHECK(sum / 3 > 50.0);
}

// --lr auto on the same folders: it tries the rates, chooses one with its reasons, and on a
// 6-clip validation part its verdict says a gain there may be chance. (Whether VoP^F learns in 60
// steps after the search depends on the seed: 83.3, 50.0, 33.3 for seeds 0-2; not asserted.)
VOP_TEST(lrAutoSearchesAndTheVerdictSaysWhatATinyValidationCanTell)
{
    const auto t = trainOn("leftright", "--variant vop-f --steps 60 --seed 0 --json");
    const auto& r = t.run;
    checkSearchLines(r, "3 split(s)");
    VOP_REQUIRE(r.code == 0 || r.code == 3);
    const auto j = nlohmann::json::parse(r.out);
    const double lr = j["lr"].get<double>();
    VOP_CHECK(lr == 5e-3 || lr == 2e-2 || lr == 5e-2 || lr == 1e-3);
    VOP_CHECK(j["lr_search_seconds"].get<double>() > 0);
    VOP_CHECK(j["small_validation"].get<bool>()); // 6 validation clips, one per label
    const std::string verdict = j["verdict"].get<std::string>();
    VOP_CHECK_EQ(j["better_than_zero_shot"].get<bool>(), r.code == 0);
    if (r.code == 0)
        VOP_CHECK(verdict.find("measured on only 6 held-out clips, so a gain of a clip or two can be chance") !=
                  std::string::npos);
    else
        VOP_CHECK(verdict.find("not better than zero-shot: keeping it is not recommended") != std::string::npos);
}

// Without --lr the search is the default; --max-minutes 0.4 bounds it to one split (the estimate is
// a formula of the model, ~10 s a split here, the same on every machine). Colours:
// zero-shot CLIP is nearly perfect (the toy confuses a few), so whether a trained step is better
// depends on the seed; what never changes is that the exit code and the verdict agree.
VOP_TEST(defaultRateIsSearchedWithinTheTimeLimit)
{
    const auto t = trainOn("colour", "--variant vop --steps 10 --seed 1 --max-minutes 0.4", 3);
    auto r = t.run;
    checkSearchLines(r, "1 split(s)");
    VOP_REQUIRE(r.code == 0 || r.code == 3);
    const bool notBetter = r.out.find("not better than zero-shot: keeping it is not recommended") != std::string::npos;
    VOP_CHECK_EQ(notBetter, r.code == 3);
    VOP_CHECK(fs::exists(t.out)); // written either way
    // a limit below even the shortest search: no search, the default rate, and why
    r = trainOn("colour", "--variant vop --steps 2 --seed 1 --max-minutes 0.00001", 3).run;
    VOP_REQUIRE(r.code == 0 || r.code == 3);
    VOP_CHECK(r.err.find("searching the learning rate") == std::string::npos);
    VOP_CHECK(r.err.find("chosen: lr 0.001: the default rate, not searched, since even the shortest search") !=
              std::string::npos);
    // a fixed rate: no search
    r = trainOn("colour", "--variant vop --steps 2 --lr 1e-2 --seed 1", 3).run;
    VOP_CHECK(r.err.find("searching the learning rate") == std::string::npos);
    VOP_CHECK(r.err.find("lr 0.01") != std::string::npos);
}

VOP_TEST_MAIN()
