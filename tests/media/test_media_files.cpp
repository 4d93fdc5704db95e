// The real-world files of shared/media (see its README) and the fixture images.
#include "MediaTestSupport.h"

#include "media/FrameSampler.h"
#include "media/ImageCodec.h"
#include "media/Segments.h"
#include "media/Thumbnail.h"
#include "media/VideoDecoder.h"
#include "util/Error.h"

using namespace vop::media;
using namespace vop::test::media;

namespace {

// Frames of a testsrc2 pattern differ from one another (the pattern moves).
bool sameImage(const vop::RgbImage& a, const vop::RgbImage& b)
{
    return a.width == b.width && a.height == b.height && a.pixels == b.pixels;
}

void checkSample(const std::string& name, const std::string& codec)
{
    const std::string path = mediaDir() + "/" + name;
    const VideoInfo info = probe(path);
    VOP_CHECK_EQ(info.width, 640);
    VOP_CHECK_EQ(info.height, 360);
    VOP_CHECK_EQ(info.codec, codec);
    VOP_CHECK_EQ(info.rotation, 0);
    VOP_CHECK_NEAR(info.duration, 4.0, 0.15);
    VOP_CHECK_NEAR(info.frameRate, 29.97, 0.01);

    VideoDecoder dec(path);
    const auto frames = sampleFrames(dec, 0, info.duration, 8);
    VOP_REQUIRE_EQ(frames.size(), size_t(8));
    for (size_t i = 0; i < frames.size(); ++i) {
        VOP_CHECK_EQ(frames[i].image.width, 640);
        VOP_CHECK_EQ(frames[i].image.height, 360);
        VOP_CHECK_EQ(frames[i].image.pixels.size(), size_t(640 * 360 * 3));
        // accurate: the first frame at or after the sample time, within one frame
        const double want = (i + 0.5) * info.duration / 8;
        VOP_CHECK(frames[i].time >= want - 1e-3 && frames[i].time <= want + 0.04);
        if (i > 0)
            VOP_CHECK(!sameImage(frames[i].image, frames[i - 1].image));
    }
    const auto fast = sampleFrames(dec, 0, info.duration, 4, SeekMode::Fast);
    VOP_REQUIRE_EQ(fast.size(), size_t(4));
    for (const auto& f : fast) {
        VOP_CHECK(f.keyframe);
        VOP_CHECK_EQ(f.image.width, 640);
    }

    VideoDecoder small(path, DecoderOptions{180, 1});
    const VideoFrame f = small.frameAt(1.0);
    VOP_CHECK_EQ(f.image.width, 320);
    VOP_CHECK_EQ(f.image.height, 180);
}

} // namespace

VOP_TEST(sampleMp4Decodes) { checkSample("sample.mp4", "h264"); }
VOP_TEST(sampleMkvDecodes) { checkSample("sample.mkv", "h264"); }
VOP_TEST(sampleTsDecodes) { checkSample("sample.ts", "h264"); }
VOP_TEST(sampleAviDecodes) { checkSample("sample.avi", "mpeg4"); }
VOP_TEST(sampleMpgDecodes) { checkSample("sample.mpg", "mpeg2video"); }

VOP_TEST(sampleTsTimesStartAtZero)
{
    // The transport stream's clock starts at 1.47 s; frame times count from the video's start.
    VideoDecoder dec(mediaDir() + "/sample.ts");
    VOP_CHECK_NEAR(dec.info().startTime, 1.4667, 0.001);
    VOP_CHECK_NEAR(dec.frameAt(0).time, 0.0, 1e-3);
    VOP_CHECK_NEAR(dec.frameAt(2.0).time, 2.0, 0.04);
}

VOP_TEST(sameFrameFromEveryContainer)
{
    // The five containers hold the same pattern: a frame at the same time looks the same.
    VideoDecoder mp4(mediaDir() + "/sample.mp4");
    VideoDecoder mkv(mediaDir() + "/sample.mkv");
    VideoDecoder ts(mediaDir() + "/sample.ts");
    const auto a = mp4.frameAt(2.5), b = mkv.frameAt(2.5), c = ts.frameAt(2.5);
    VOP_CHECK_NEAR(a.time, b.time, 1e-3);
    VOP_CHECK_NEAR(a.time, c.time, 1e-3);
    VOP_CHECK(sameImage(a.image, b.image));
    VOP_CHECK(sameImage(a.image, c.image));
}

VOP_TEST(whiteMp4IsWhite)
{
    const std::string path = mediaDir() + "/white.mp4";
    const VideoInfo info = probe(path);
    VOP_CHECK_NEAR(info.duration, 10.0, 0.05);
    VOP_CHECK_EQ(info.width, 320);
    VOP_CHECK_EQ(info.height, 240);
    VideoDecoder dec(path);
    const auto frames = sampleFrames(dec, 0, info.duration, 6);
    for (const auto& f : frames) {
        const Rgb m = meanColour(f.image);
        VOP_CHECK(m.r > 245 && m.g > 245 && m.b > 245);
        VOP_CHECK(isBlankFrame(f.image));
    }
    VOP_CHECK(pickThumbnail(frames) < frames.size()); // all blank: still one is chosen
    const auto segs = planSegments(info.duration);
    VOP_CHECK_EQ(segs.size(), size_t(1));
}

VOP_TEST(minimalMp4RepeatsItsOneFrame)
{
    const std::string path = mediaDir() + "/minimal.mp4";
    const VideoInfo info = probe(path);
    VOP_CHECK_NEAR(info.duration, 0.04, 0.001);
    VOP_CHECK_EQ(info.width, 320);
    const auto segs = planSegments(info.duration);
    VOP_REQUIRE_EQ(segs.size(), size_t(1));
    VideoDecoder dec(path);
    const auto frames = sampleFrames(dec, segs[0].start, segs[0].end, 12);
    VOP_REQUIRE_EQ(frames.size(), size_t(12));
    for (const auto& f : frames) {
        VOP_CHECK_EQ(f.time, 0.0);
        VOP_CHECK(sameImage(f.image, frames[0].image));
    }
    VOP_CHECK(sameImage(dec.frameAt(100).image, frames[0].image)); // past the end: the last frame
    VOP_CHECK(sameImage(dec.frameAt(0, SeekMode::Fast).image, frames[0].image));
}

VOP_TEST(rotation90IsUpright)
{
    const std::string path = mediaDir() + "/video_rotation_90.mp4";
    const VideoInfo info = probe(path);
    VOP_CHECK_EQ(info.rotation, 90);
    VOP_CHECK_EQ(info.codedWidth, 100);
    VOP_CHECK_EQ(info.codedHeight, 60);
    VOP_CHECK_EQ(info.width, 60);
    VOP_CHECK_EQ(info.height, 100);
    VideoDecoder dec(path);
    for (const auto& f : sampleFrames(dec, 0, info.duration, 3)) {
        VOP_CHECK_EQ(f.image.width, 60);
        VOP_CHECK_EQ(f.image.height, 100);
    }
    VideoDecoder small(path, DecoderOptions{30, 0});
    const auto f = small.frameAt(0);
    VOP_CHECK_EQ(f.image.width, 30);
    VOP_CHECK_EQ(f.image.height, 50);
}

VOP_TEST(partialFileIsAClearError)
{
    // Its sample tables promise 10 s but the data stops before the first frame completes.
    VOP_CHECK_THROWS_WITH(probe(mediaDir() + "/bipbop_nonfragment_header.mp4"), "no decodable video frames");
    VideoDecoder dec(mediaDir() + "/bipbop_nonfragment_header.mp4");
    VOP_CHECK_THROWS_WITH(dec.frameAt(1.0), "no decodable video frames");
}

VOP_TEST(corruptSampleTablesCannotOpen)
{
    VOP_CHECK_THROWS_WITH(probe(mediaDir() + "/chunk_out_of_range.mp4"),
                          "cannot open: Invalid data found when processing input");
}

VOP_TEST(encryptedIsAClearError)
{
    const std::string path = mediaDir() + "/short-cenc.mp4";
    VOP_CHECK_THROWS_WITH(probe(path), "encrypted stream");
    const VideoInfo headersOnly = probe(path, ProbeOptions{false});
    VOP_CHECK(headersOnly.encrypted);
    VOP_CHECK_EQ(headersOnly.codec, std::string("h264"));
    VideoDecoder dec(path);
    VOP_CHECK_THROWS_WITH(dec.frameAt(0.2), "encrypted stream");
    VOP_CHECK_THROWS_WITH(dec.frameAt(0.2, SeekMode::Fast), "encrypted stream");
}

VOP_TEST(audioOnlyFilesHaveNoVideoStream)
{
    for (const char* name : {"bipbop_audioinit.mp4", "sample.mp3", "sample.ogg"}) {
        VOP_CHECK_THROWS_WITH(probe(mediaDir() + "/" + name), "no video stream (audio only)");
        VOP_CHECK_THROWS_WITH(VideoDecoder(mediaDir() + "/" + name), "no video stream (audio only)");
    }
}

VOP_TEST(everySharedFileIsIndexedOrRefusedWithInputError)
{
    // The scanner's contract: probe either succeeds or throws InputError, never anything else.
    int ok = 0, refused = 0;
    for (const auto& entry : fs::directory_iterator(mediaDir())) {
        if (entry.path().extension() == ".md")
            continue;
        try {
            const VideoInfo info = probe(entry.path().string());
            VideoDecoder dec(entry.path().string(), DecoderOptions{64, 0});
            for (const auto& seg : planSegments(info.duration))
                VOP_CHECK_EQ(sampleFrames(dec, seg.start, seg.end, 4).size(), size_t(4));
            ++ok;
        } catch (const vop::InputError& e) {
            VOP_CHECK(std::string(e.what()).size() > 5);
            ++refused;
        }
    }
    VOP_CHECK_EQ(ok, 8);      // sample x5, white, minimal, rotation
    VOP_CHECK_EQ(refused, 6); // partial, chunk, cenc, audioinit, mp3, ogg
}

// ---- still images ----------------------------------------------------------------------

namespace {

// What the ffmpeg CLI makes of an image: raw RGB24 bytes.
std::string cliRgbDump(const std::string& image)
{
    const std::string out = tempDir() + "/dump-" + std::to_string(std::hash<std::string>{}(image)) + ".rgb";
    ffmpeg("-i " + shellQuote(image) + " -f rawvideo -pix_fmt rgb24 " + shellQuote(out));
    return readBytes(out);
}

int maxAbsDiff(const std::string& a, const std::vector<uint8_t>& b)
{
    if (a.size() != b.size())
        return 256;
    int m = 0;
    for (size_t i = 0; i < a.size(); ++i)
        m = std::max(m, std::abs(int(uint8_t(a[i])) - int(b[i])));
    return m;
}

} // namespace

VOP_TEST(fixturePngsDecodeExactly)
{
    const std::string dir = vop::test::sharedDir() + "/fixtures/clip-tiny/images";
    int n = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string path = entry.path().string();
        const vop::RgbImage img = decodeImageFile(path);
        const std::string want = cliRgbDump(path);
        VOP_REQUIRE(!img.empty());
        VOP_CHECK_EQ(img.pixels.size(), size_t(img.width) * img.height * 3);
        VOP_CHECK(want.size() == img.pixels.size() &&
                  std::equal(want.begin(), want.end(), img.pixels.begin(),
                             [](char a, uint8_t b) { return uint8_t(a) == b; }));
        ++n;
    }
    VOP_CHECK_EQ(n, 4);
}

VOP_TEST(otherImageKindsConvertToRgb)
{
    const std::string src = vop::test::sharedDir() + "/fixtures/clip-tiny/images/img0.png";
    struct Kind {
        const char* file;
        const char* args;
        int tolerance;
    };
    const Kind kinds[] = {
        {"rgba.png", "-pix_fmt rgba", 0},
        {"gray.png", "-pix_fmt gray", 0},
        {"pal8.png", "-vf format=pal8", 0},
        {"rgb48.png", "-pix_fmt rgb48be", 0},
        {"photo.jpg", "-q:v 3", 2},
        {"photo.bmp", "", 0},
        {"photo.webp", "-c:v libwebp -lossless 1", 1},
        {"pct%d.png", "-update 1", 0}, // a '%' is a pattern for image2 files: not for us
    };
    for (const Kind& k : kinds) {
        const std::string path = tempDir() + "/" + k.file;
        const std::string quoted = shellQuote(path);
        const int rc = std::system(("ffmpeg -nostdin -v error -y -i " + shellQuote(src) + " " + k.args + " " +
                                    quoted + " 2>/dev/null").c_str());
        if (rc != 0) {
            std::cout << "  (skipping " << k.file << ": this ffmpeg cannot write it)" << std::endl;
            continue;
        }
        vop::RgbImage img;
        try {
            img = decodeImageFile(path);
        } catch (const std::exception& e) {
            vop::test::fail(__FILE__, __LINE__, std::string(k.file) + ": " + e.what(), false);
            continue;
        }
        VOP_CHECK_EQ(img.width, 64);
        VOP_CHECK_EQ(img.height, 64);
        // ffmpeg itself reads a '%' name as a numbered sequence: compare with the source
        const bool pattern = std::string(k.file).find('%') != std::string::npos;
        const int diff = maxAbsDiff(cliRgbDump(pattern ? src : path), img.pixels);
        if (diff > k.tolerance)
            vop::test::fail(__FILE__, __LINE__, std::string(k.file) + " differs from ffmpeg's by " + std::to_string(diff), false);
    }
}

VOP_TEST(imageDownscaleKeepsAspect)
{
    const std::string wide = vop::test::sharedDir() + "/fixtures/clip-tiny/images/wide.png";
    const vop::RgbImage full = decodeImageFile(wide);
    const vop::RgbImage small = decodeImageFile(wide, 32);
    VOP_CHECK_EQ(std::min(small.width, small.height), 32);
    VOP_CHECK_NEAR(double(small.width) / small.height, double(full.width) / full.height, 0.05);
}

VOP_TEST(badImagesAreInputErrors)
{
    VOP_CHECK_THROWS_WITH(decodeImageFile(tempDir() + "/does-not-exist.png"), "No such file");
    const std::string empty = tempDir() + "/empty.png";
    writeBytes(empty, "");
    VOP_CHECK_THROWS_WITH(decodeImageFile(empty), "empty file");
    const std::string text = tempDir() + "/text.png";
    writeBytes(text, "this is not a picture, only words\n");
    VOP_CHECK_THROWS_WITH(decodeImageFile(text), "not an image");
    // a PNG cut short: the header parses, the picture does not
    const std::string png = readBytes(vop::test::sharedDir() + "/fixtures/clip-tiny/images/img0.png");
    VOP_CHECK_THROWS_WITH(decodeImage(png.substr(0, 100)), "not an image");
}

VOP_TEST(jpegRoundTrip)
{
    const vop::RgbImage img = decodeImageFile(vop::test::sharedDir() + "/fixtures/clip-tiny/images/wide.png");
    const std::string jpeg = encodeJpeg(img, 160, 90);
    VOP_REQUIRE(jpeg.size() > 100);
    VOP_CHECK_EQ(uint8_t(jpeg[0]), 0xFF); // SOI marker
    VOP_CHECK_EQ(uint8_t(jpeg[1]), 0xD8);
    const vop::RgbImage back = decodeImage(jpeg);
    VOP_CHECK_EQ(std::max(back.width, back.height), 160);
    VOP_CHECK_NEAR(double(back.width) / back.height, double(img.width) / img.height, 0.02);
    const Rgb a = meanColour(img), b = meanColour(back);
    VOP_CHECK_NEAR(a.r, b.r, 3.0);
    VOP_CHECK_NEAR(a.g, b.g, 3.0);
    VOP_CHECK_NEAR(a.b, b.b, 3.0);
    // better quality, more bytes; no shrink below maxSide
    VOP_CHECK(encodeJpeg(img, 160, 95).size() > encodeJpeg(img, 160, 30).size());
    const vop::RgbImage same = decodeImage(encodeJpeg(img, 0, 85));
    VOP_CHECK_EQ(same.width, img.width);
    VOP_CHECK_EQ(same.height, img.height);
    VOP_CHECK_THROWS_WITH(encodeJpeg(vop::RgbImage{}), "empty image");
    // odd sizes (4:2:0 chroma has to round) and a tiny image
    for (const auto& [w, h] : {std::pair{33, 17}, std::pair{1, 1}, std::pair{5, 320}}) {
        vop::RgbImage odd;
        odd.width = w;
        odd.height = h;
        odd.pixels.assign(size_t(w) * h * 3, 200);
        const vop::RgbImage back = decodeImage(encodeJpeg(odd, 320, 85));
        VOP_CHECK_EQ(back.width, w);
        VOP_CHECK_EQ(back.height, h);
        VOP_CHECK_NEAR(meanColour(back).g, 200.0, 3.0);
    }
}
