// Learning where the method can learn (issue 11): `vopsearch-cli train` with its defaults on
// generated labelled folders (tools/make-labelled-folders.sh) and the toy CLIP, which knows
// colours from stills and has never seen motion. VoP^F with `--lr auto` learns left/right, which
// zero-shot CLIP (mean pooling over frames that a left and a right clip share) cannot see, and
// the default rate is searched within the time limit. (Exit 3 when zero-shot CLIP is already
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

VOP_TEST(lrAutoPicksARateAndVopFLearnsLeftRight)
{
    // defaults but the length (a minute on the shared machine) and the rate left to the search
    const auto t = trainOn("leftright", "--variant vop-f --lr auto --steps 60 --seed 0 --json");
    const auto& r = t.run;
    checkSearchLines(r, "3 split(s)");
    VOP_REQUIRE(r.code == 0 || r.code == 3);
    const auto j = nlohmann::json::parse(r.out);
    const double lr = j["lr"].get<double>();
    VOP_CHECK(lr == 5e-3 || lr == 2e-2 || lr == 5e-2 || lr == 1e-3);
    VOP_CHECK(j["lr_search_seconds"].get<double>() > 0);
    VOP_CHECK_EQ(r.code, 0); // better than zero-shot on validation
    // 6 validation clips, one per label: the verdict says a gain there may be chance
    VOP_CHECK(j["small_validation"].get<bool>());
    VOP_CHECK(j["verdict"].get<std::string>().find("measured on only 6 held-out clips") != std::string::npos);
    const auto zero = evalJson(t.data, "--zero-shot");
    const auto trained = evalJson(t.data, "--prompts " + t.out);
    std::cout << "  held out: zero-shot t2v/v2t R@1 " << zero["t2v"]["R@1"] << " / " << zero["v2t"]["R@1"]
              << ", vop-f (lr " << lr << ") " << trained["t2v"]["R@1"] << " / " << trained["v2t"]["R@1"] << std::endl;
    // Zero-shot CLIP scores a left clip and its right twin alike (t2v R@1 0: ties count against);
    // VoP^F ranks most of them apart (83.3 measured) and does not lose v2t (50 -> 66.7 measured).
    VOP_CHECK(trained["t2v"]["R@1"].get<double>() >= zero["t2v"]["R@1"].get<double>() + 25.0);
    VOP_CHECK(trained["v2t"]["R@1"].get<double>() >= zero["v2t"]["R@1"].get<double>());
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
