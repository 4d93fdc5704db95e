// Videos whose headers claim too much, and a long one (issue 14, resource limits): absurd
// dimensions and an absurd duration are refused when the file is opened, with a message naming
// the bound; a 10-hour video is cut into its 2400 windows and any of them is read by decoding a
// few frames near it, not the hours before it (bounded memory, time in proportion to the frames
// sampled). The files are made at test time with the ffmpeg CLI and patched.
#include "TestMain.h"
#include "TestVideos.h"

#include "library/VideoSegments.h"
#include "media/VideoInfo.h"
#include "util/AtomicFile.h"
#include "util/Error.h"
#include "util/Paths.h"

#include <cstring>

using namespace vop;

namespace {

// The header of a 16x16 YUV4MPEG2 file says the size in text: rewrite it.
std::string y4mClaiming(const std::string& name, const std::string& size)
{
    const auto dir = test::runTempDir();
    const auto src = dir + "/small.y4m";
    test::ffmpeg("-f lavfi -i color=c=red:s=16x16:d=1:r=2 -f yuv4mpegpipe " + test::shellQuote(src));
    std::string bytes = paths::readFile(src);
    const auto pos = bytes.find("W16 H16");
    VOP_REQUIRE(pos != std::string::npos);
    bytes.replace(pos, 7, size);
    writeFileAtomic(dir + "/" + name, bytes);
    return dir + "/" + name;
}

// A 2-second Matroska file whose segment header says it lasts `ms` milliseconds.
std::string mkvClaiming(double ms)
{
    const auto path = test::runTempDir() + "/long-claim.mkv";
    test::ffmpeg("-f lavfi -i color=c=red:s=16x16:d=2:r=2 -c:v mpeg4 " + test::shellQuote(path));
    std::string bytes = paths::readFile(path);
    const auto pos = bytes.find("\x44\x89\x88"); // Duration, an 8-byte big-endian float
    VOP_REQUIRE(pos != std::string::npos);
    uint64_t bits = 0;
    std::memcpy(&bits, &ms, 8);
    for (int i = 0; i < 8; ++i) bytes[pos + 3 + size_t(i)] = char((bits >> (8 * (7 - i))) & 0xff);
    writeFileAtomic(path, bytes);
    return path;
}

} // namespace

VOP_TEST(absurdDimensionsAreRefusedOnOpen)
{
    const auto big = y4mClaiming("big.y4m", "W9000 H9000");
    VOP_CHECK_THROWS_WITH(media::probe(big), "the video claims 9000x9000 pixels; vopsearch reads videos up to 16384");
    VOP_CHECK_THROWS_WITH(library::VideoSegments(big, {}), "claims 9000x9000 pixels");
    const auto wide = y4mClaiming("wide.y4m", "W20000 H16");
    VOP_CHECK_THROWS_WITH(media::probe(wide), "claims 20000x16 pixels");
    const auto fine = y4mClaiming("fine.y4m", "W16 H16");
    VOP_CHECK_EQ(media::probe(fine).width, 16);
}

VOP_TEST(absurdDurationIsRefusedOnOpen)
{
    const auto path = mkvClaiming(1e15); // 31,700 years
    VOP_CHECK_THROWS_WITH(media::probe(path), "hours; vopsearch reads videos up to 168 hours long");
    VOP_CHECK_THROWS_WITH(library::VideoSegments(path, {}), "the video claims to last");
}

VOP_TEST(tenHourVideoIsReadWindowByWindow)
{
    const auto path = test::runTempDir() + "/ten-hours.mp4";
    // One frame a minute, a keyframe every 10 frames: 600 frames, about 25 KB.
    test::ffmpeg("-f lavfi -i color=c=red:s=32x32:r=1/60:d=36000 -c:v mpeg4 -g 10 " + test::shellQuote(path));
    library::SegmentOptions o;
    o.thumbnails = false;
    library::VideoSegments video(path, o);
    VOP_CHECK_NEAR(video.info().duration, 36000.0, 1.0);
    VOP_REQUIRE_EQ(video.segments().size(), size_t(2400)); // 15-second windows
    for (size_t i : {size_t(0), size_t(1200), size_t(2399)}) {
        const auto before = video.stats().framesDecoded;
        const auto seg = video.read(video.segments()[i]);
        VOP_CHECK_EQ(seg.frames.size(), size_t(12));
        // reached by seeking: at most a group of pictures (10 frames) before it is decoded
        VOP_CHECK(video.stats().framesDecoded - before <= 24);
    }
}

VOP_TEST_MAIN()
