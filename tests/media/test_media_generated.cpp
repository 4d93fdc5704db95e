// Videos made at test time with the ffmpeg CLI: colour-coded clocks that tell which second a
// frame comes from, and broken, odd or unusual files.
#include "MediaTestSupport.h"

#include "media/FrameSampler.h"
#include "media/Segments.h"
#include "media/Sniff.h"
#include "media/VideoDecoder.h"
#include "util/Error.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <limits>
#include <random>

using namespace vop::media;
using namespace vop::test::media;

namespace {

const char* const kX264 = "-c:v libx264 -preset faster -pix_fmt yuv420p";

// A colour clock: `seconds` long at `fps`, a keyframe every `gop` frames, no scene-cut
// keyframes; `extra` options go before the output name, `filters` after the clock's own.
std::string clock(const std::string& name, int seconds, int fps, int gop, const std::string& extra = "",
                  const std::string& filters = "")
{
    return generated(name, [&](const std::string& path) {
        ffmpeg(secondClockFilter(seconds, fps, filters) + " " + kX264 + " -x264-params scenecut=0:keyint=" +
               std::to_string(gop) + ":min-keyint=" + std::to_string(gop) + " " + extra + " " + shellQuote(path));
    });
}

std::string clock70()
{
    return clock("clock70.mp4", 70, 5, 25); // keyframe every 5 s
}

std::string fastStartClock()
{
    // noise makes the picture data outweigh the index, so that half the file is half the video
    return clock("clock20-faststart.mp4", 20, 10, 20, "-movflags +faststart", ",noise=alls=24:allf=t");
}

std::string smallMp4()
{
    return clock("small.mp4", 2, 5, 5);
}

std::string randomBytes(size_t n, unsigned seed)
{
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (char& c : s)
        c = char(rng() & 0xff);
    return s;
}

// Checks that sampling the whole file either works or is refused with an InputError.
void decodesOrRefuses(const std::string& path, int* decoded, int* refused)
{
    try {
        const VideoInfo info = probe(path);
        VideoDecoder dec(path);
        for (const auto& seg : planSegments(info.duration))
            for (const auto& f : sampleFrames(dec, seg.start, seg.end, 6))
                VOP_CHECK(!f.image.empty());
        ++*decoded;
    } catch (const vop::InputError& e) {
        VOP_CHECK(std::strlen(e.what()) > 5);
        ++*refused;
    }
}

} // namespace

// ---- accurate and fast seeking -----------------------------------------------------------

VOP_TEST(seventySecondVideoHasSeveralSegments)
{
    const VideoInfo info = probe(clock70());
    VOP_CHECK_NEAR(info.duration, 70.0, 0.01);
    VOP_CHECK_EQ(info.width, 64);
    VOP_CHECK_EQ(info.height, 36);
    const auto segs = planSegments(info.duration);
    VOP_REQUIRE_EQ(segs.size(), size_t(5));
    VOP_CHECK_EQ(segs[4].start, 60.0);
    VOP_CHECK_NEAR(segs[4].end, 70.0, 0.01);

    VideoDecoder dec(clock70());
    for (const auto& seg : segs) {
        const auto times = sampleTimes(seg.start, seg.end, 12);
        const auto frames = sampleFrames(dec, seg.start, seg.end, 12);
        VOP_REQUIRE_EQ(frames.size(), size_t(12));
        for (size_t i = 0; i < frames.size(); ++i) {
            VOP_CHECK(frames[i].time >= times[i] - 1e-6 && frames[i].time < times[i] + 0.2 + 1e-6);
            VOP_CHECK_EQ(secondFromColour(frames[i].image), int(std::floor(frames[i].time + 1e-6)));
        }
    }
}

VOP_TEST(accurateSeekFindsEverySecond)
{
    VideoDecoder dec(clock70());
    for (int s = 0; s < 70; ++s) {
        const VideoFrame f = dec.frameAt(s + 0.5);
        VOP_CHECK_EQ(secondFromColour(f.image), s);
        VOP_CHECK_NEAR(f.time, s + 0.6, 1e-6); // first frame at or after s + 0.5 (5 fps)
    }
    // jumping back and forth
    for (int s : {63, 7, 41, 0, 69, 22, 22, 21, 38}) {
        const VideoFrame f = dec.frameAt(s + 0.1);
        VOP_CHECK_EQ(secondFromColour(f.image), s);
        VOP_CHECK_NEAR(f.time, s + 0.2, 1e-6);
    }
    // exactly on a frame, and between two frames
    VOP_CHECK_NEAR(dec.frameAt(30.0).time, 30.0, 1e-6);
    VOP_CHECK_NEAR(dec.frameAt(30.01).time, 30.2, 1e-6);
    // past the end: the last frame
    const VideoFrame last = dec.frameAt(500);
    VOP_CHECK_NEAR(last.time, 69.8, 1e-6);
    VOP_CHECK_EQ(secondFromColour(last.image), 69);
    VOP_CHECK_NEAR(dec.frameAt(std::numeric_limits<double>::infinity()).time, 69.8, 1e-6);
    VOP_CHECK_NEAR(dec.frameAt(std::nan("")).time, 0.0, 1e-6);
    VOP_CHECK_NEAR(dec.frameAt(-3).time, 0.0, 1e-6);
    VOP_CHECK_NEAR(dec.frameAt(std::numeric_limits<double>::infinity(), SeekMode::Fast).time, 65.0, 1e-6);
}

// Accurate seeks drop the non-reference B-frames before each target (DecoderOptions::
// skipNonReference): the frames handed out are the same, bit for bit, at the same times, in
// increasing order, out of order and past the end, and fewer frames are decoded.
VOP_TEST(skippingNonReferenceFramesChangesNoPixel)
{
    // B-frames, a keyframe every 2 s, noise that changes every frame (so every frame differs)
    const std::string path = clock("clock12b.mp4", 12, 25, 50, "-bf 3", ",noise=alls=12:allf=t");
    std::vector<double> times;
    for (int k = 0; k < 40; ++k) times.push_back(0.013 + 0.29 * k);  // forward, a few frames apart
    for (double t : {3.0, 2.98, 7.5, 0.0, 11.96, 30.0, 5.04}) times.push_back(t); // back, end, past it
    DecoderOptions on{64, 1}, off{64, 1};
    off.skipNonReference = false;
    VideoDecoder a(path, on), b(path, off);
    for (double t : times) {
        const VideoFrame fa = a.frameAt(t), fb = b.frameAt(t);
        VOP_CHECK_EQ(fa.time, fb.time);
        VOP_CHECK(fa.image.pixels == fb.image.pixels);
    }
    std::cout << "  frames decoded: " << a.stats().framesDecoded << " dropping non-reference frames, "
              << b.stats().framesDecoded << " decoding all" << std::endl;
    VOP_CHECK(a.stats().framesDecoded < b.stats().framesDecoded);
}

VOP_TEST(fastSeekReturnsANearbyKeyframe)
{
    VideoDecoder dec(clock70());
    for (double t : {0.0, 3.4, 12.6, 33.0, 47.4, 68.9, 20.1, 2.0}) {
        const VideoFrame f = dec.frameAt(t, SeekMode::Fast);
        VOP_CHECK(f.keyframe);
        const double nearestKey = std::min(65.0, 5.0 * std::round(t / 5.0)); // keyframes every 5 s
        VOP_CHECK_NEAR(f.time, nearestKey, 1e-6);
        VOP_CHECK_EQ(secondFromColour(f.image), int(std::lround(f.time)));
    }
    // accurate after fast still lands right
    VOP_CHECK_EQ(secondFromColour(dec.frameAt(44.5).image), 44);
    VOP_CHECK_EQ(secondFromColour(dec.frameAt(45.5, SeekMode::Fast).image), 45);
    VOP_CHECK_EQ(secondFromColour(dec.frameAt(46.5).image), 46);
}

VOP_TEST(samplingASegmentIsOnePass)
{
    // Keyframes at 15, 20, 25: reaching the 12 targets takes at most those three seeks, and no
    // more decoding than the segment's own 75 frames (plus what precedes the first target).
    VideoDecoder dec(clock70());
    const auto frames = sampleFrames(dec, 15, 30, 12);
    VOP_CHECK_EQ(frames.size(), size_t(12));
    VOP_CHECK(dec.stats().seeks <= 3);
    VOP_CHECK(dec.stats().framesDecoded <= 76);
    VOP_CHECK_EQ(dec.stats().framesConverted, 12);

    // One keyframe only: no seek at all, one pass over 15 s (75 frames).
    const std::string oneGop = clock("clock15-onegop.mp4", 15, 5, 1000);
    VideoDecoder dec2(oneGop);
    const auto frames2 = sampleFrames(dec2, 0, 15, 12);
    VOP_CHECK_EQ(dec2.stats().seeks, 0);
    VOP_CHECK(dec2.stats().framesDecoded <= 75);
    for (const auto& f : frames2)
        VOP_CHECK_EQ(secondFromColour(f.image), int(std::floor(f.time + 1e-6)));
    // asking again for the same time decodes nothing new
    const int64_t before = dec2.stats().framesDecoded;
    dec2.frameAt(frames2.back().time);
    VOP_CHECK_EQ(dec2.stats().framesDecoded, before);
}

VOP_TEST(farTargetsSeekInsteadOfDecodingEverything)
{
    // A target an hour's worth of frames away is reached by one seek to the keyframe before it
    // (the index must be whole: Matroska loads its cues late), not by decoding all the way.
    for (const std::string& path : {clock70(), clock("clock70.mkv", 70, 5, 25), clock("clock70.avi", 70, 5, 25)}) {
        VideoDecoder dec(path);
        const VideoFrame f = dec.frameAt(66.5);
        VOP_CHECK_EQ(secondFromColour(f.image), 66);
        VOP_CHECK_EQ(dec.stats().seeks, 1);
        VOP_CHECK(dec.stats().framesDecoded <= 12); // from the keyframe at 65 s (+ decoder delay)
        const VideoFrame g = dec.frameAt(60.5, SeekMode::Fast);
        VOP_CHECK_NEAR(g.time, 60.0, 1e-6);
        VOP_CHECK_EQ(dec.stats().seeks, 2);
        // the index knows a keyframe (65 s) lies between 61.5 and 66.5: seek there rather than
        // decode the 25 frames in between
        VOP_CHECK_EQ(secondFromColour(dec.frameAt(61.5).image), 61);
        VOP_CHECK_EQ(dec.stats().seeks, 3);
        const int64_t before = dec.stats().framesDecoded;
        VOP_CHECK_EQ(secondFromColour(dec.frameAt(66.5).image), 66);
        VOP_CHECK_EQ(dec.stats().seeks, 4);
        VOP_CHECK(dec.stats().framesDecoded - before <= 12);
    }
}

namespace {

void checkClockContainer(const std::string& path, double minStart, double maxStart, double duration = 20)
{
    VideoDecoder dec(path);
    VOP_CHECK_NEAR(dec.info().duration, duration, 0.15);
    VOP_CHECK(dec.info().startTime >= minStart - 1e-6 && dec.info().startTime <= maxStart + 1e-6);
    for (int s : {0, 1, 5, 6, 13, 19, 2, 17, 9, 0})
        VOP_CHECK_EQ(secondFromColour(dec.frameAt(s + 0.5).image), s);
    for (double t : {1.0, 11.0, 17.3, 4.0}) {
        const VideoFrame f = dec.frameAt(t, SeekMode::Fast);
        VOP_CHECK(f.keyframe);
        VOP_CHECK(std::fabs(f.time - t) <= 2.1);
        VOP_CHECK_EQ(secondFromColour(f.image), int(std::floor(f.time + 1e-6)));
    }
}

} // namespace

VOP_TEST(seekingInMatroska)
{
    checkClockContainer(clock("clock20.mkv", 20, 10, 20), 0.0, 0.0);
}

VOP_TEST(seekingInTransportStream)
{
    // MPEG-TS starts its clock at 1.4 s (plus the B-frame delay) and has no index: seeks
    // search timestamps and may land late.
    checkClockContainer(clock("clock20.ts", 20, 10, 20), 1.4, 1.7);
}

VOP_TEST(seekingWithAStartOffset)
{
    // (Matroska's Duration element counts from 0, not from the first timestamp, so FFmpeg
    // reports 27 s here: what the container says is what we report.)
    checkClockContainer(clock("clock20-offset.mkv", 20, 10, 20, "-output_ts_offset 7"), 7.0, 7.0, 27.0);
}

VOP_TEST(rawStreamsWithoutTimestamps)
{
    // Elementary streams carry no container timestamps and no duration: the decoder's best
    // effort timestamps and a packet scan stand in. Raw H.264 is read at 25 fps.
    checkClockContainer(clock("clock20.h264", 20, 25, 50, "-f h264"), 0.0, 0.0);
    const std::string m2v = generated("clock20.m2v", [](const std::string& path) {
        ffmpeg(secondClockFilter(20, 25) + " -c:v mpeg2video -q:v 4 -g 25 -bf 2 -pix_fmt yuv420p " + shellQuote(path));
    });
    checkClockContainer(m2v, 0.0, 0.0);
}

VOP_TEST(singleFrameVideo)
{
    const std::string path = clock("one-frame.mp4", 1, 5, 5, "-frames:v 1");
    const VideoInfo info = probe(path);
    VOP_CHECK_NEAR(info.duration, 0.2, 0.01);
    VideoDecoder dec(path);
    const auto frames = sampleFrames(dec, 0, info.duration, 8);
    VOP_REQUIRE_EQ(frames.size(), size_t(8));
    for (const auto& f : frames) {
        VOP_CHECK_EQ(f.time, 0.0);
        VOP_CHECK(f.image.pixels == frames[0].image.pixels);
        VOP_CHECK_EQ(secondFromColour(f.image), 0);
    }
    VOP_CHECK(dec.frameAt(3.0, SeekMode::Fast).image.pixels == frames[0].image.pixels);
    VOP_CHECK(dec.frameAt(0.0).image.pixels == frames[0].image.pixels);
}

VOP_TEST(portraitVideoDownscales)
{
    const std::string path = generated("portrait.mp4", [](const std::string& p) {
        ffmpeg("-f lavfi -i testsrc2=s=1080x1920:r=5:d=1 -c:v libx264 -preset ultrafast -pix_fmt yuv420p " + shellQuote(p));
    });
    const VideoInfo info = probe(path);
    VOP_CHECK_EQ(info.width, 1080);
    VOP_CHECK_EQ(info.height, 1920);
    VideoDecoder dec(path, DecoderOptions{256, 0});
    for (const auto& f : sampleFrames(dec, 0, info.duration, 3)) {
        VOP_CHECK_EQ(f.image.width, 256);
        VOP_CHECK_EQ(f.image.height, 455);
    }
}

namespace {

// Writes `name` = `src` with its track header's display matrix replaced by a rotation.
std::string withDisplayMatrix(const std::string& src, const std::string& name, int clockwise)
{
    return generated(name, [&](const std::string& path) {
        std::string bytes = readBytes(src);
        const size_t tkhd = bytes.find("tkhd");
        VOP_REQUIRE(tkhd != std::string::npos && bytes[tkhd + 4] == 0); // version 0
        // matrix {a b u c d v x y w} in 16.16 (u, v, w 2.30): rotating content clockwise on display
        int32_t m[9] = {0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000};
        if (clockwise == 90) {
            m[0] = 0; m[1] = 0x10000; m[3] = -0x10000; m[4] = 0;
        } else if (clockwise == 180) {
            m[0] = -0x10000; m[4] = -0x10000;
        } else if (clockwise == 270) {
            m[0] = 0; m[1] = -0x10000; m[3] = 0x10000; m[4] = 0;
        }
        for (int i = 0; i < 9; ++i)
            for (int b = 0; b < 4; ++b)
                bytes[tkhd + 4 + 40 + size_t(i) * 4 + b] = char(uint32_t(m[i]) >> (24 - 8 * b));
        writeBytes(path, bytes);
    });
}

} // namespace

VOP_TEST(everyRotationComesOutUpright)
{
    // Blue 160x90 with a red top-left corner: after rotation the corner moves with the picture.
    const std::string src = generated("corner.mp4", [](const std::string& p) {
        ffmpeg("-f lavfi -i \"color=c=blue:s=160x90:r=5:d=1,drawbox=x=0:y=0:w=40:h=30:color=red:t=fill\" " +
               std::string(kX264) + " " + shellQuote(p));
    });
    struct Case {
        int rotation;
        int w, h;
        int cornerX, cornerY; // where the red corner ends up (top-left of a 10x10 probe)
    };
    for (const Case& c : {Case{0, 160, 90, 5, 5}, Case{90, 90, 160, 75, 5}, Case{180, 160, 90, 145, 75},
                          Case{270, 90, 160, 5, 145}}) {
        const std::string path = withDisplayMatrix(src, "corner" + std::to_string(c.rotation) + ".mp4", c.rotation);
        const VideoInfo info = probe(path);
        VOP_CHECK_EQ(info.rotation, c.rotation);
        VOP_CHECK_EQ(info.width, c.w);
        VOP_CHECK_EQ(info.height, c.h);
        const VideoFrame f = VideoDecoder(path).frameAt(0.5);
        VOP_REQUIRE_EQ(f.image.width, c.w);
        VOP_REQUIRE_EQ(f.image.height, c.h);
        const Rgb corner = meanColour(f.image, c.cornerX, c.cornerY, 10, 10);
        const Rgb middle = meanColour(f.image, c.w / 2 - 5, c.h / 2 - 5, 10, 10);
        if (!(corner.r > 200 && corner.b < 60 && middle.b > 200 && middle.r < 60))
            vop::test::fail(__FILE__, __LINE__, "rotation " + std::to_string(c.rotation) + ": red corner not where expected", false);
    }
}

// ---- bad input ---------------------------------------------------------------------------

VOP_TEST(zeroByteFile)
{
    const std::string path = tempDir() + "/zero.mp4";
    writeBytes(path, "");
    VOP_CHECK_THROWS_WITH(probe(path), "empty file (0 bytes)");
    VOP_CHECK_THROWS_WITH(VideoDecoder(path), "empty file (0 bytes)");
}

VOP_TEST(randomBytesNamedMp4)
{
    for (unsigned seed : {1u, 2u, 3u}) {
        const std::string path = tempDir() + "/random" + std::to_string(seed) + ".mp4";
        writeBytes(path, randomBytes(64 * 1024, seed));
        VOP_CHECK_THROWS_WITH(probe(path), "cannot open");
        VOP_CHECK(!sniffVideo(path));
    }
}

VOP_TEST(textFileNamedMkv)
{
    const std::string path = tempDir() + "/notes.mkv";
    std::string text;
    for (int i = 0; i < 200; ++i)
        text += "Line " + std::to_string(i) + ": shopping list, eggs, milk, bread.\n";
    writeBytes(path, text);
    VOP_CHECK_THROWS_WITH(probe(path), "cannot open: Invalid data found when processing input");
    VOP_CHECK(!sniffVideo(path));
}

VOP_TEST(truncatedFiles)
{
    // moov at the front (faststart): the first half decodes, later targets give the last frame
    // that decodes; the index promises 20 s.
    const std::string full = readBytes(fastStartClock());
    const std::string half = tempDir() + "/half-faststart.mp4";
    writeBytes(half, full.substr(0, full.size() / 2));
    const VideoInfo info = probe(half);
    VOP_CHECK_NEAR(info.duration, 20.0, 0.01);
    VideoDecoder dec(half);
    VOP_CHECK_EQ(secondFromColour(dec.frameAt(2.5).image), 2);
    int lastSecond = -1;
    for (const auto& f : sampleFrames(dec, 0, info.duration, 12)) {
        const int s = secondFromColour(f.image);
        VOP_CHECK(s >= lastSecond); // in order, repeating the last decodable frame at the end
        VOP_CHECK_EQ(s, int(std::floor(f.time + 1e-6)));
        lastSecond = s;
    }
    VOP_CHECK(lastSecond >= 4 && lastSecond < 15);
    const VideoFrame late = dec.frameAt(19.5, SeekMode::Fast);
    VOP_CHECK(late.time < 15);
    VOP_CHECK(dec.frameAt(0.5).time < 1);

    // moov at the end (ffmpeg's default): the first half has no index at all
    const std::string plain = readBytes(clock("clock20-plain.mp4", 20, 10, 20));
    const std::string halfPlain = tempDir() + "/half-plain.mp4";
    writeBytes(halfPlain, plain.substr(0, plain.size() / 2));
    VOP_CHECK_THROWS_WITH(probe(halfPlain), "cannot open");

    // Matroska cut in half: what is there decodes
    const std::string mkv = readBytes(clock("clock20.mkv", 20, 10, 20));
    const std::string halfMkv = tempDir() + "/half.mkv";
    writeBytes(halfMkv, mkv.substr(0, mkv.size() / 2));
    VideoDecoder dm(halfMkv);
    VOP_CHECK_EQ(secondFromColour(dm.frameAt(3.5).image), 3);
    const VideoFrame end = dm.frameAt(19);
    VOP_CHECK(end.time < 15);
    VOP_CHECK_EQ(secondFromColour(end.image), int(std::floor(end.time + 1e-6)));
}

VOP_TEST(garbledHeaders)
{
    int decoded = 0, refused = 0;
    unsigned seed = 10;
    for (const std::string& src : {fastStartClock(), clock("clock20.mkv", 20, 10, 20), clock("clock20.ts", 20, 10, 20)}) {
        std::string bytes = readBytes(src);
        const std::string junk = randomBytes(64, seed++);
        bytes.replace(0, 64, junk);
        const std::string path = tempDir() + "/garbled-" + std::to_string(seed) + fs::path(src).extension().string();
        writeBytes(path, bytes);
        decodesOrRefuses(path, &decoded, &refused);
    }
    VOP_CHECK_EQ(decoded + refused, 3);
}

VOP_TEST(audioOnlyFiles)
{
    const std::string m4a = generated("tone.m4a", [](const std::string& p) {
        ffmpeg("-f lavfi -i sine=d=1 -c:a aac " + shellQuote(p));
    });
    VOP_CHECK_THROWS_WITH(probe(m4a), "no video stream (audio only)");
    // cover art is a picture stream, not a video
    const std::string mp3 = generated("tone-with-cover.mp3", [](const std::string& p) {
        const std::string cover = vop::test::sharedDir() + "/fixtures/clip-tiny/images/img0.png";
        ffmpeg("-f lavfi -i sine=d=1 -i " + shellQuote(cover) +
               " -map 0 -map 1 -c:a libmp3lame -c:v png -disposition:v attached_pic -id3v2_version 3 " + shellQuote(p));
    });
    VOP_CHECK_THROWS_WITH(probe(mp3), "no video stream (audio only)");
    VOP_CHECK(!sniffVideo(mp3));
}

VOP_TEST(pathsThatAreNotVideos)
{
    VOP_CHECK_THROWS_WITH(probe(tempDir() + "/no-such-file.mp4"), "cannot open: No such file or directory");
    VOP_CHECK_THROWS_WITH(probe(tempDir()), "not a regular file");
    if (::geteuid() != 0) { // root reads everything
        const std::string locked = tempDir() + "/locked.mp4";
        fs::copy_file(smallMp4(), locked, fs::copy_options::overwrite_existing);
        ::chmod(locked.c_str(), 0);
        VOP_CHECK_THROWS_WITH(probe(locked), "Permission denied");
    }
}

VOP_TEST(awkwardFileNames)
{
    std::vector<std::string> names = {
        "clip, with comma.mp4",
        "clip #1 ?query=1.mp4",
        "file:looks-like-a-url.mp4",
        "subfile,,start,0,end,0,,:x.mp4",
        "%d 100% fun.mp4",
        "caf\xc3\xa9 \xe2\x98\x95 \xe6\x97\xa5\xe6\x9c\xac.mp4", // café ☕ 日本
        "bad \xff\xfe utf8.mp4",                                 // not UTF-8 at all
        "-starts-with-dash.mp4",
    };
    std::string longName = "long ";
    while (longName.size() < 200)
        longName += "very ";
    names.push_back(longName + ".mp4");
    for (const std::string& name : names) {
        const std::string path = tempDir() + "/" + name;
        fs::copy_file(smallMp4(), path, fs::copy_options::overwrite_existing);
        try {
            const VideoInfo info = probe(path);
            VOP_CHECK_NEAR(info.duration, 2.0, 0.01);
            VideoDecoder dec(path);
            VOP_CHECK_EQ(secondFromColour(dec.frameAt(1.5).image), 1);
            VOP_CHECK(isLikelyVideoFile(path));
            VOP_CHECK(sniffVideo(path));
        } catch (const std::exception& e) {
            vop::test::fail(__FILE__, __LINE__, "'" + name + "': " + e.what(), false);
        }
    }
}

VOP_TEST(sniffingByContent)
{
    const std::string noExt = tempDir() + "/matroska-without-extension";
    fs::copy_file(mediaDir() + "/sample.mkv", noExt, fs::copy_options::overwrite_existing);
    VOP_CHECK_EQ(sniffFormat(noExt), std::string("matroska,webm"));
    VOP_CHECK(sniffVideo(noExt));
    VOP_CHECK(!isLikelyVideoFile(noExt));
    const std::string tsAsDat = tempDir() + "/stream.dat";
    fs::copy_file(mediaDir() + "/sample.ts", tsAsDat, fs::copy_options::overwrite_existing);
    VOP_CHECK_EQ(sniffFormat(tsAsDat), std::string("mpegts"));
    VOP_CHECK(sniffVideo(tsAsDat));
    VOP_CHECK(sniffVideo(mediaDir() + "/sample.avi"));
    VOP_CHECK(sniffVideo(mediaDir() + "/sample.mp4"));
    VOP_CHECK(!sniffVideo(mediaDir() + "/sample.mp3"));
    VOP_CHECK(!sniffVideo(vop::test::sharedDir() + "/fixtures/clip-tiny/images/img0.png"));
    VOP_CHECK(!sniffVideo(tempDir() + "/does-not-exist"));
    const std::string zero = tempDir() + "/zero.bin";
    writeBytes(zero, "");
    VOP_CHECK(!sniffVideo(zero));
}

VOP_TEST(decoderMovesAndOutlivesItsSource)
{
    VideoDecoder a(smallMp4());
    VideoDecoder b(std::move(a));
    VOP_CHECK_EQ(secondFromColour(b.frameAt(0.5).image), 0);
    VideoDecoder c(clock70());
    c = std::move(b);
    VOP_CHECK_EQ(secondFromColour(c.frameAt(1.5).image), 1);
}

VOP_TEST(nonSquarePixelsAreStretched)
{
    // 80x90 stored with a 2:1 sample aspect ratio shows as 160x90
    const std::string path = generated("anamorphic.mp4", [](const std::string& p) {
        ffmpeg("-f lavfi -i testsrc2=s=80x90:r=5:d=1 -vf setsar=2 " + std::string(kX264) + " " + shellQuote(p));
    });
    const VideoInfo info = probe(path);
    VOP_CHECK_EQ(info.codedWidth, 80);
    VOP_CHECK_EQ(info.width, 160);
    VOP_CHECK_EQ(info.height, 90);
    const VideoFrame f = VideoDecoder(path).frameAt(0.5);
    VOP_CHECK_EQ(f.image.width, 160);
    VOP_CHECK_EQ(f.image.height, 90);
}

VOP_TEST(ffmpegKeepsQuietOnStderr)
{
    if (const char* level = std::getenv("VOPSEARCH_LOG"); level && *level)
        return; // someone asked to see the debug log
    // FFmpeg complains loudly about these files; none of it may reach the terminal.
    std::fflush(stderr);
    const std::string capture = tempDir() + "/stderr.txt";
    const int saved = ::dup(2);
    std::FILE* out = std::fopen(capture.c_str(), "w");
    VOP_REQUIRE(saved >= 0 && out);
    ::dup2(::fileno(out), 2);
    for (const char* name : {"short-cenc.mp4", "chunk_out_of_range.mp4", "bipbop_nonfragment_header.mp4"}) {
        try {
            probe(mediaDir() + "/" + name);
        } catch (const vop::InputError&) {
        }
    }
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    std::fclose(out);
    const std::string written = readBytes(capture);
    if (!written.empty())
        vop::test::fail(__FILE__, __LINE__, "stderr got: " + written.substr(0, 300), false);
}
