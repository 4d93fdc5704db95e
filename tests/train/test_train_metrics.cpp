// Retrieval metrics on hand-made similarity matrices; every expected value is worked out by hand
// in the comments. Ties count against the query (an irrelevant candidate with an equal score
// ranks first).
#include "TestMain.h"

#include "train/Metrics.h"
#include "train/TrainPlan.h"
#include "train/Trainer.h"
#include "util/Error.h"

using namespace vop;

namespace {
constexpr double kEps = 1e-9;
}

VOP_TEST(oneCaptionPerVideo)
{
    // texts x videos; text i describes video i.
    //   t0: v0 .9 (best)                    -> rank 1
    //   t1: v1 .5, v0 .8 above              -> rank 2
    //   t2: v2 .6, v1 .7 above              -> rank 2
    // v2t (columns): v0 [.9 .8 .3] t0 best  -> 1; v1 [.1 .5 .7] t2 above -> 2; v2 [.2 .1 .6] -> 1
    const std::vector<float> s = {.9f, .1f, .2f,  //
                                  .8f, .5f, .1f,  //
                                  .3f, .7f, .6f};
    auto m = computeRetrievalMetrics(s, 3, 3, {{0}, {1}, {2}});
    VOP_CHECK(!m.sharedCaptions);
    VOP_CHECK_EQ(m.t2v.queries, size_t(3));
    VOP_CHECK_NEAR(m.t2v.r1, 100.0 / 3, kEps);
    VOP_CHECK_NEAR(m.t2v.r5, 100.0, kEps);
    VOP_CHECK_NEAR(m.t2v.r10, 100.0, kEps);
    VOP_CHECK_NEAR(m.t2v.medianRank, 2.0, kEps);
    VOP_CHECK_NEAR(m.t2v.meanRank, 5.0 / 3, kEps);
    VOP_CHECK_NEAR(m.t2v.mAP, 100.0 * (1 + 0.5 + 0.5) / 3, kEps); // one relevant: AP = 1 / rank
    VOP_CHECK_NEAR(m.v2t.r1, 200.0 / 3, kEps);
    VOP_CHECK_NEAR(m.v2t.medianRank, 1.0, kEps);
    VOP_CHECK_NEAR(m.v2t.meanRank, 4.0 / 3, kEps);
}

VOP_TEST(tiesCountAgainstTheQuery)
{
    // t0: v0 .5 ties v1 .5 -> rank 2; t1: v1 .5 ties v0 .5 -> rank 2. A constant model gets no hit.
    auto m = computeRetrievalMetrics({.5f, .5f, .5f, .5f}, 2, 2, {{0}, {1}});
    VOP_CHECK_NEAR(m.t2v.r1, 0.0, kEps);
    VOP_CHECK_NEAR(m.t2v.medianRank, 2.0, kEps);
    VOP_CHECK_NEAR(m.v2t.r1, 0.0, kEps);
    // a tie below the relevant score does not matter: t0 [.9 .3 .3] -> 1
    auto r = rankQueries({.9f, .3f, .3f}, 1, 3, {{0}});
    VOP_CHECK_EQ(r[0], size_t(1));
    // a tie with the relevant one among three: t0 [.4 .4 .4] -> 3
    r = rankQueries({.4f, .4f, .4f}, 1, 3, {{0}});
    VOP_CHECK_EQ(r[0], size_t(3));
}

VOP_TEST(severalCaptionsPerVideoV2tTakesTheBest)
{
    // t0, t1 describe v0; t2, t3 describe v1.
    //   t0 [.2 .6] -> 2   t1 [.7 .3] -> 1   t2 [.1 .4] -> 1   t3 [.9 .8] -> 2
    //   t2v ranks [2 1 1 2]: R@1 50, MdR (1+2)/2 = 1.5, MnR 1.5
    // v2t: v0 over texts [.2 .7 .1 .9]: best own .7, t3 .9 above -> 2
    //      v1 over texts [.6 .3 .4 .8]: best own .8 -> 1
    //   AP v0: own sorted [.7 .2], others [.9 .1]: hit 1 at position 2 (1/2), hit 2 at 3 (2/3) -> 7/12
    //   AP v1: own [.8 .4], others [.6 .3]: hit 1 at 1 (1), hit 2 at 3 (2/3) -> 5/6
    //   mAP = (7/12 + 10/12) / 2 = 17/24
    const std::vector<float> s = {.2f, .6f, .7f, .3f, .1f, .4f, .9f, .8f};
    auto m = computeRetrievalMetrics(s, 4, 2, {{0}, {0}, {1}, {1}});
    VOP_CHECK(!m.sharedCaptions);
    VOP_CHECK_NEAR(m.t2v.r1, 50.0, kEps);
    VOP_CHECK_NEAR(m.t2v.medianRank, 1.5, kEps);
    VOP_CHECK_NEAR(m.t2v.meanRank, 1.5, kEps);
    VOP_CHECK_EQ(m.v2t.queries, size_t(2));
    VOP_CHECK_NEAR(m.v2t.r1, 50.0, kEps);
    VOP_CHECK_NEAR(m.v2t.medianRank, 1.5, kEps);
    VOP_CHECK_NEAR(m.v2t.meanRank, 1.5, kEps);
    VOP_CHECK_NEAR(m.v2t.mAP, 100.0 * 17 / 24, 1e-6);
}

VOP_TEST(sharedCaptionsHitWhenAnyClipRanksAndMap)
{
    // Labelled folders: text A describes v0, v1; text B describes v2, v3.
    //   A [.9 .3 .5 .2]: v0 first -> rank 1; AP: own [.9 .3], others [.5 .2]: 1/1, 2/3 -> 5/6
    //   B [.6 .7 .4 .1]: best own .4 behind .6 .7 -> rank 3; AP: 1/3, 2/4 -> 5/12
    //   t2v ranks [1 3]: R@1 50, R@5 100, MdR 2, MnR 2, mAP (10/12 + 5/12)/2 = 62.5
    // v2t: v0 [A .9, B .6] -> 1; v1 [.3 .7] -> 2; v2 [.5 .4] -> 2; v3 [.2 .1] -> 2
    //   R@1 25, MdR 2, MnR 7/4, mAP (1 + 1/2 + 1/2 + 1/2)/4 = 62.5
    const std::vector<float> s = {.9f, .3f, .5f, .2f, .6f, .7f, .4f, .1f};
    auto m = computeRetrievalMetrics(s, 2, 4, {{0, 1}, {2, 3}});
    VOP_CHECK(m.sharedCaptions);
    VOP_CHECK_NEAR(m.t2v.r1, 50.0, kEps);
    VOP_CHECK_NEAR(m.t2v.r5, 100.0, kEps);
    VOP_CHECK_NEAR(m.t2v.medianRank, 2.0, kEps);
    VOP_CHECK_NEAR(m.t2v.meanRank, 2.0, kEps);
    VOP_CHECK_NEAR(m.t2v.mAP, 62.5, 1e-6);
    VOP_CHECK_NEAR(m.v2t.r1, 25.0, kEps);
    VOP_CHECK_NEAR(m.v2t.medianRank, 2.0, kEps);
    VOP_CHECK_NEAR(m.v2t.meanRank, 1.75, kEps);
    VOP_CHECK_NEAR(m.v2t.mAP, 62.5, 1e-6);
}

VOP_TEST(recallAtFiveAndTenAndMedianOfTwelve)
{
    // 12 one-to-one queries; query 0 has six candidates above its own (rank 7), query 1 all
    // eleven (rank 12), the rest rank 1. R@1 = R@5 = 10/12, R@10 = 11/12,
    // MdR = (1 + 1)/2 = 1, MnR = (7 + 12 + 10)/12 = 29/12.
    const size_t n = 12;
    std::vector<float> s(n * n, 0.f);
    std::vector<std::vector<size_t>> rel(n);
    for (size_t i = 0; i < n; ++i) {
        s[i * n + i] = 1.f;
        rel[i] = {i};
    }
    s[0] = .5f;
    for (size_t j = 1; j <= 6; ++j) s[j] = .9f;
    s[n + 1] = .5f;
    for (size_t j = 0; j < n; ++j)
        if (j != 1) s[n + j] = .9f;
    auto ranks = rankQueries(s, n, n, rel);
    VOP_CHECK_EQ(ranks[0], size_t(7));
    VOP_CHECK_EQ(ranks[1], size_t(12));
    auto m = summarizeRanks(ranks);
    VOP_CHECK_NEAR(m.r1, 1000.0 / 12, kEps);
    VOP_CHECK_NEAR(m.r5, 1000.0 / 12, kEps);
    VOP_CHECK_NEAR(m.r10, 1100.0 / 12, kEps);
    VOP_CHECK_NEAR(m.medianRank, 1.0, kEps);
    VOP_CHECK_NEAR(m.meanRank, 29.0 / 12, kEps);
    VOP_CHECK_NEAR(m.recallAt(10), m.r10, kEps);
}

VOP_TEST(malformedRelevanceIsAnInputError)
{
    VOP_CHECK_THROWS_WITH(computeRetrievalMetrics({1, 0, 0, 1}, 2, 2, {{0}, {}}), "text 1 describes no video");
    VOP_CHECK_THROWS_WITH(rankQueries({1, 0}, 1, 2, {{}}), "query 0 has no relevant");
    VOP_CHECK_THROWS_WITH(computeRetrievalMetrics({1, 0, 0}, 2, 2, {{0}, {1}}), "expected 2 x 2");
    VOP_CHECK_THROWS_WITH(computeRetrievalMetrics({1, 0, 0, 1}, 2, 2, {{0}, {0}}), "video 1 has no caption");
    VOP_CHECK_THROWS_WITH(computeRetrievalMetrics({1, 0, 0, 1}, 2, 2, {{0}, {5}}), "names video 5");
}

VOP_TEST(flatMapAndDescription)
{
    auto m = computeRetrievalMetrics({.9f, .1f, .2f, .8f}, 2, 2, {{0}, {1}});
    auto flat = metricsMap(m);
    VOP_CHECK_NEAR(flat.at("t2v.R@1"), 100.0, kEps);
    VOP_CHECK_NEAR(flat.at("v2t.MdR"), 1.0, kEps);
    VOP_CHECK(describeMetrics(m).find("t2v R@1 100.0") != std::string::npos);
}

VOP_TEST(modelSelectionBreaksTiesAndPrefersTheEarlier)
{
    RetrievalMetrics zero;
    zero.t2v.r1 = 50; zero.t2v.r5 = 75; zero.v2t.r1 = 50; zero.t2v.meanRank = 2.0;
    auto b = zero;
    VOP_CHECK(!betterRetrieval(b, zero)); // an exact tie is not better: zero-shot (or the earlier step) stays
    b.t2v.meanRank = 1.5;
    VOP_CHECK(betterRetrieval(b, zero) && !betterRetrieval(zero, b)); // last key: mean rank, lower wins
    b = zero;
    b.v2t.r1 = 75;
    b.t2v.meanRank = 3.0;
    VOP_CHECK(betterRetrieval(b, zero)); // v2t R@1 before mean rank
    b.t2v.r5 = 50;
    VOP_CHECK(!betterRetrieval(b, zero)); // t2v R@5 before v2t R@1
    b.t2v.r1 = 75;
    VOP_CHECK(betterRetrieval(b, zero)); // t2v R@1 first
    b = zero;
    b.t2v.r1 = 25; b.t2v.r5 = 100; b.v2t.r1 = 100; b.t2v.meanRank = 1.1;
    VOP_CHECK(!betterRetrieval(b, zero));
}

VOP_TEST(planFitsTheBatchAndStepsToSmallData)
{
    TrainOptions given; // epochs 5, batch 32
    PlanChoices all;
    all.steps = all.batch = all.warmup = all.evalEvery = true;
    // the folders: 36 training clips -> 2 balanced batches of 18, a budget of 300 steps
    auto p = planTraining(given, 36, all, 0.01);
    VOP_CHECK_EQ(p.options.batch, 18);
    VOP_CHECK_EQ(p.stepsPerEpoch, int64_t(2));
    VOP_CHECK_EQ(p.options.steps, kTargetSteps);
    VOP_CHECK_EQ(p.steps, kTargetSteps);
    VOP_CHECK_EQ(p.warmupSteps, int64_t(30));
    VOP_CHECK_EQ(p.options.evalEvery, 15);
    VOP_CHECK_EQ(p.reasons.size(), size_t(4));
    VOP_CHECK(p.reasons[1].find("only 10 optimizer steps") != std::string::npos);
    // never a batch larger than the clips
    for (size_t n : {2, 3, 9, 31, 32, 33, 65, 100, 1000}) {
        p = planTraining(given, n, all, 0.01);
        VOP_CHECK(p.options.batch >= 2 && size_t(p.options.batch) <= n && p.options.batch <= kMaxAutoBatch);
        VOP_CHECK(p.options.steps >= kMinAutoSteps || p.options.steps == 0);
    }
    VOP_CHECK_EQ(planTraining(given, 33, all, 0.01).options.batch, 17); // 17 + 16, not 32 + 1
    // the time cap: 2 s a clip, 18 clips a step, 10 minutes -> 16 steps, raised to the floor of 20
    all.maxSeconds = 600;
    p = planTraining(given, 36, all, 2.0);
    VOP_CHECK_EQ(p.options.steps, kMinAutoSteps);
    VOP_CHECK(p.reasons[1].find("capped") != std::string::npos);
    all.maxSeconds = 3600; // 100 steps fit
    VOP_CHECK_EQ(planTraining(given, 36, all, 2.0).options.steps, int64_t(100));
    // plenty of data: 5 epochs of 9000 clips are 1410 steps, kept as epochs, validated per epoch
    p = planTraining(given, 9000, all, 2.0);
    VOP_CHECK_EQ(p.options.steps, int64_t(0));
    VOP_CHECK_EQ(p.steps, int64_t(1410));
    VOP_CHECK_EQ(p.options.evalEvery, 0);
    // what the user gave stays
    given.batch = 4;
    given.epochs = 2;
    p = planTraining(given, 36, PlanChoices{}, 2.0);
    VOP_CHECK_EQ(p.options.batch, 4);
    VOP_CHECK_EQ(p.steps, int64_t(18));
    VOP_CHECK(p.reasons.empty());
    VOP_CHECK_EQ(p.warmupSteps, int64_t(2)); // round(0.1 * 18)
    // the estimate grows with the model and the frames
    const auto big = ClipConfig::vitB32();
    VOP_CHECK_NEAR(estimateSecondsPerClip(big, 12, false), 2.0, 1e-9);
    VOP_CHECK(estimateSecondsPerClip(big, 4, false) < estimateSecondsPerClip(big, 12, false));
    VOP_CHECK(estimateSecondsPerClip(big, 12, true) < estimateSecondsPerClip(big, 12, false));
}

VOP_TEST_MAIN()
