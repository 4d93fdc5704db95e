// Pure logic of core/media: segments, sample times, thumbnail choice, extension checks.
#include "MediaTestSupport.h"

#include "media/FrameSampler.h"
#include "media/Segments.h"
#include "media/Sniff.h"
#include "media/Thumbnail.h"

#include <random>
#include <stdexcept>

using namespace vop::media;

VOP_TEST(shortVideosAreOneSegment)
{
    for (double d : {0.04, 1.0, 29.9, 30.0}) {
        const auto s = planSegments(d);
        VOP_REQUIRE_EQ(s.size(), size_t(1));
        VOP_CHECK_EQ(s[0].start, 0.0);
        VOP_CHECK_EQ(s[0].end, d);
    }
}

VOP_TEST(unknownDurationIsOneSegment)
{
    for (double d : {0.0, -3.0, std::nan("")}) {
        const auto s = planSegments(d);
        VOP_REQUIRE_EQ(s.size(), size_t(1));
        VOP_CHECK_EQ(s[0].start, 0.0);
        VOP_CHECK_EQ(s[0].end, 0.0);
    }
}

VOP_TEST(longVideosAreWindows)
{
    auto s = planSegments(70);
    VOP_REQUIRE_EQ(s.size(), size_t(5));
    for (size_t i = 0; i < 4; ++i) {
        VOP_CHECK_EQ(s[i].start, 15.0 * i);
        VOP_CHECK_EQ(s[i].end, 15.0 * (i + 1));
    }
    VOP_CHECK_EQ(s[4].start, 60.0);
    VOP_CHECK_EQ(s[4].end, 70.0);

    // a tail shorter than window/3 joins the window before it
    s = planSegments(64);
    VOP_REQUIRE_EQ(s.size(), size_t(4));
    VOP_CHECK_EQ(s[3].start, 45.0);
    VOP_CHECK_EQ(s[3].end, 64.0);
    s = planSegments(65); // exactly window/3: kept
    VOP_REQUIRE_EQ(s.size(), size_t(5));
    VOP_CHECK_EQ(s[4].length(), 5.0);
    s = planSegments(45); // windows fit exactly
    VOP_REQUIRE_EQ(s.size(), size_t(3));
    VOP_CHECK_EQ(s[2].end, 45.0);
    s = planSegments(31); // just over segmentMax: 15 + 16
    VOP_REQUIRE_EQ(s.size(), size_t(2));
    VOP_CHECK_EQ(s[1].end, 31.0);

    // an hour: contiguous, no drift
    s = planSegments(3600.5);
    VOP_CHECK_EQ(s.size(), size_t(240));
    for (size_t i = 1; i < s.size(); ++i)
        VOP_CHECK_EQ(s[i].start, s[i - 1].end);
    VOP_CHECK_EQ(s.back().end, 3600.5);
}

VOP_TEST(overlappingWindows)
{
    const auto s = planSegments(40, 30, 15, 5); // starts every 10 s
    VOP_REQUIRE_EQ(s.size(), size_t(4));
    VOP_CHECK_EQ(s[0].end, 15.0);
    VOP_CHECK_EQ(s[1].start, 10.0);
    VOP_CHECK_EQ(s[2].start, 20.0);
    VOP_CHECK_EQ(s[2].end, 35.0);
    VOP_CHECK_EQ(s[3].start, 30.0);
    VOP_CHECK_EQ(s[3].end, 40.0);
    // a tail adding under 5 s of new footage is merged
    const auto t = planSegments(38, 30, 15, 5);
    VOP_REQUIRE_EQ(t.size(), size_t(3));
    VOP_CHECK_EQ(t[2].end, 38.0);
    // other settings
    const auto u = planSegments(100, 10, 10, 0);
    VOP_CHECK_EQ(u.size(), size_t(10));
    VOP_CHECK_THROWS_WITH(planSegments(100, 30, 0, 0), "window");
    VOP_CHECK_THROWS_WITH(planSegments(100, 30, 15, 15), "overlap");
    VOP_CHECK_THROWS_WITH(planSegments(100, 30, 15, -1), "overlap");
}

VOP_TEST(sampleTimesAreMiddlesOfEqualParts)
{
    const auto t = sampleTimes(15, 30, 12);
    VOP_REQUIRE_EQ(t.size(), size_t(12));
    VOP_CHECK_NEAR(t[0], 15.625, 1e-12);
    VOP_CHECK_NEAR(t[11], 29.375, 1e-12);
    for (size_t i = 1; i < t.size(); ++i)
        VOP_CHECK_NEAR(t[i] - t[i - 1], 1.25, 1e-12);
    const auto one = sampleTimes(0, 4, 1);
    VOP_REQUIRE_EQ(one.size(), size_t(1));
    VOP_CHECK_EQ(one[0], 2.0);
    VOP_CHECK(sampleTimes(0, 4, 0).empty());
    VOP_CHECK(sampleTimes(0, 4, -2).empty());
    const auto flat = sampleTimes(3, 3, 4);
    VOP_REQUIRE_EQ(flat.size(), size_t(4));
    for (double x : flat)
        VOP_CHECK_EQ(x, 3.0);
    for (double x : sampleTimes(5, 2, 3)) // reversed span: empty span at start
        VOP_CHECK_EQ(x, 5.0);
}

namespace {

vop::RgbImage solid(int w, int h, uint8_t r, uint8_t g, uint8_t b)
{
    vop::RgbImage img;
    img.width = w;
    img.height = h;
    img.pixels.resize(size_t(w) * h * 3);
    for (size_t i = 0; i < img.pixels.size(); i += 3) {
        img.pixels[i] = r;
        img.pixels[i + 1] = g;
        img.pixels[i + 2] = b;
    }
    return img;
}

vop::RgbImage noise(int w, int h, unsigned seed, int lo = 0, int hi = 255)
{
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> dist(lo, hi);
    vop::RgbImage img = solid(w, h, 0, 0, 0);
    for (auto& p : img.pixels)
        p = uint8_t(dist(rng));
    return img;
}

} // namespace

VOP_TEST(lumaStatsOfKnownImages)
{
    const LumaStats black = lumaStats(solid(100, 50, 0, 0, 0));
    VOP_CHECK_EQ(black.mean, 0.0);
    VOP_CHECK_EQ(black.stddev, 0.0);
    const LumaStats grey = lumaStats(solid(7, 3, 100, 100, 100));
    VOP_CHECK_NEAR(grey.mean, 100.0, 1e-9);
    VOP_CHECK_NEAR(grey.stddev, 0.0, 1e-6);
    const LumaStats n = lumaStats(noise(640, 360, 1));
    VOP_CHECK_NEAR(n.mean, 127.5, 4.0);
    VOP_CHECK(n.stddev > 30);
    VOP_CHECK_EQ(lumaStats(vop::RgbImage{}).mean, 0.0);
}

VOP_TEST(thumbnailAvoidsBlackAndBlankFrames)
{
    VOP_CHECK(isBlankFrame(solid(32, 32, 0, 0, 0)));
    VOP_CHECK(isBlankFrame(solid(32, 32, 255, 255, 255)));
    VOP_CHECK(isBlankFrame(noise(32, 32, 5, 0, 20))); // dark noise: a black frame with grain
    VOP_CHECK(!isBlankFrame(noise(32, 32, 5)));

    // black, black, [middle] black, content, white: the content frame
    std::vector<vop::RgbImage> frames = {solid(32, 32, 0, 0, 0), solid(32, 32, 0, 0, 0),
                                         solid(32, 32, 2, 2, 2), noise(32, 32, 9),
                                         solid(32, 32, 255, 255, 255)};
    VOP_CHECK_EQ(pickThumbnail(frames), size_t(3));
    // several good frames: the one nearest the middle
    frames = {noise(32, 32, 1), noise(32, 32, 2), noise(32, 32, 3), noise(32, 32, 4), noise(32, 32, 5)};
    VOP_CHECK_EQ(pickThumbnail(frames), size_t(2));
    frames[2] = solid(32, 32, 0, 0, 0);
    const size_t pick = pickThumbnail(frames);
    VOP_CHECK(pick == 1 || pick == 3);
    // all blank: the most detailed, the brighter on a tie
    frames = {solid(32, 32, 0, 0, 0), solid(32, 32, 200, 200, 200), solid(32, 32, 10, 10, 10)};
    VOP_CHECK_EQ(pickThumbnail(frames), size_t(1));
    VOP_CHECK_EQ(pickThumbnail(std::vector<vop::RgbImage>{solid(4, 4, 0, 0, 0)}), size_t(0));
    VOP_CHECK_THROWS_WITH(pickThumbnail(std::vector<vop::RgbImage>{}), "no frames");

    std::vector<VideoFrame> vf(3);
    vf[0].image = solid(8, 8, 0, 0, 0);
    vf[1].image = solid(8, 8, 0, 0, 0);
    vf[2].image = noise(8, 8, 3);
    VOP_CHECK_EQ(pickThumbnail(vf), size_t(2));
}

VOP_TEST(videoExtensionsAreRecognised)
{
    for (const char* p : {"a.mp4", "/x/y/Z.MKV", "clip.MoV", "b.webm", "c.ts", "d.m2ts", "e.avi", "f.mpg", "g.3gp"})
        VOP_CHECK(isLikelyVideoFile(p));
    for (const char* p : {"a.mp3", "notes.txt", "mp4", "/dir.mp4/file", "trailing.", "", ".mp4x", "img.png"})
        VOP_CHECK(!isLikelyVideoFile(p));
    VOP_CHECK(isLikelyVideoFile(".mp4")); // a hidden file is still a video; skipping it is the scanner's call
}

VOP_TEST_MAIN()
