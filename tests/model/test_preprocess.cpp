// Preprocessing must match torchvision on PIL images bit for bit: Pillow's fixed-point bicubic
// resampler (golden bytes generated with the real Pillow, tools/gen_resize_golden.py), torchvision's
// output-size rule and CenterCrop rounding.
#include "TestMain.h"

#include "model/Preprocess.h"

#include <string>

#include "resize_golden.inc"

namespace {

vop::RgbImage patternImage()
{
    const int W = 37, H = 23;
    vop::RgbImage img{W, H, std::vector<uint8_t>(W * H * 3)};
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x)
            for (int c = 0; c < 3; ++c)
                img.pixels[(y * W + x) * 3 + c] = uint8_t((x * 7 + y * 13 + c * 71 + (x * y) % 17 * 9) % 256);
    return img;
}

std::vector<uint8_t> fromHex(const std::string& hex)
{
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(uint8_t(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

} // namespace

VOP_TEST(bicubicMatchesPillowExactly)
{
    const auto img = patternImage();
    for (const auto& g : kResizeGolden) {
        auto out = vop::preprocess::resizeBicubic(img, g.w, g.h);
        VOP_CHECK_EQ(out.width, g.w);
        VOP_CHECK_EQ(out.height, g.h);
        const auto expect = fromHex(g.hex);
        size_t differing = 0;
        for (size_t i = 0; i < expect.size() && i < out.pixels.size(); ++i) differing += expect[i] != out.pixels[i];
        if (differing)
            std::cerr << "  " << g.w << "x" << g.h << ": " << differing << " bytes differ" << std::endl;
        VOP_CHECK_EQ(differing, size_t(0));
    }
}

VOP_TEST(sameSizeIsACopy)
{
    const auto img = patternImage();
    auto out = vop::preprocess::resizeBicubic(img, img.width, img.height);
    VOP_CHECK(out.pixels == img.pixels);
}

VOP_TEST(shorterSideRuleAndCenterCrop)
{
    vop::RgbImage wide{256, 160, std::vector<uint8_t>(256 * 160 * 3, 128)};
    auto r = vop::preprocess::resizeShorterSide(wide, 64);
    VOP_CHECK_EQ(r.width, 102); // int(64 * 256 / 160) = int(102.4)
    VOP_CHECK_EQ(r.height, 64);
    vop::RgbImage tall{90, 161, std::vector<uint8_t>(90 * 161 * 3, 7)};
    auto t = vop::preprocess::resizeShorterSide(tall, 224);
    VOP_CHECK_EQ(t.width, 224);
    VOP_CHECK_EQ(t.height, 400); // int(224 * 161 / 90) = int(400.71)
    // CenterCrop offsets use Python's round: (5 - 2) / 2 = 1.5 -> 2, (4 - 2) / 2 = 1
    vop::RgbImage small{5, 4, {}};
    for (int i = 0; i < 5 * 4; ++i)
        for (int c = 0; c < 3; ++c) small.pixels.push_back(uint8_t(i));
    auto c = vop::preprocess::centerCrop(small, 2);
    VOP_CHECK_EQ(int(c.pixels[0]), 1 * 5 + 2);
    // (7 - 2) / 2 = 2.5 -> 2 (half to even)
    vop::RgbImage seven{7, 2, {}};
    for (int i = 0; i < 7 * 2; ++i)
        for (int k = 0; k < 3; ++k) seven.pixels.push_back(uint8_t(i));
    VOP_CHECK_EQ(int(vop::preprocess::centerCrop(seven, 2).pixels[0]), 2);
}

VOP_TEST(normalisationUsesClipStatistics)
{
    vop::RgbImage px{1, 1, {255, 0, 128}};
    std::vector<float> out(3);
    vop::preprocess::normalizeInto(px, out.data());
    VOP_CHECK_NEAR(out[0], (1.0 - 0.48145466) / 0.26862954, 1e-5);
    VOP_CHECK_NEAR(out[1], (0.0 - 0.4578275) / 0.26130258, 1e-5);
    VOP_CHECK_NEAR(out[2], (128.0 / 255 - 0.40821073) / 0.27577711, 1e-5);
}

VOP_TEST(badImagesAreErrors)
{
    vop::RgbImage empty;
    VOP_CHECK_THROWS_WITH(vop::preprocess::clipPreprocess(empty, 224), "empty");
    vop::RgbImage lying{10, 10, std::vector<uint8_t>(5)};
    VOP_CHECK_THROWS_WITH(vop::preprocess::clipPreprocess(lying, 224), "does not match");
}

VOP_TEST_MAIN()
