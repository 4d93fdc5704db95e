// A device out-of-memory in an encoder batch halves the batch and goes on (model/BatchRunner.h).
// The failure is injected through BatchRunner's test hook, on the CPU, into the real encoders;
// the embeddings must equal those of a run that did not fail.
#include "TestMain.h"
#include "TestModels.h"

#include "model/BatchRunner.h"
#include "model/ClipEncoder.h"
#include "prompts/VopEncoder.h"
#include "util/Error.h"

#include <c10/util/Exception.h>

#include <random>

using namespace vop;

namespace {

ClipConfig tinyConfig() { return vop::test::smallClipConfig(64, 2, 32); }

std::vector<RgbImage> images(int n, uint32_t seed)
{
    std::mt19937 rng(seed);
    std::vector<RgbImage> out(static_cast<size_t>(n));
    for (auto& im : out) {
        im.width = 40;
        im.height = 36;
        im.pixels.resize(size_t(im.width * im.height * 3));
        for (auto& p : im.pixels) p = uint8_t(rng() & 0xff);
    }
    return out;
}

ClipEncoder encoder() { return ClipEncoder::synthetic(tinyConfig(), "cpu", "", 7); }

// Row i of `got` is row i of `want` (a batch of another size takes other kernels: ~1e-6).
void checkSameRows(const Embeddings& got, const Embeddings& want)
{
    VOP_CHECK_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
        double maxDiff = 0, maxAbs = 0;
        for (size_t j = 0; j < want[i].size(); ++j) {
            maxDiff = std::max(maxDiff, double(std::abs(got[i][j] - want[i][j])));
            maxAbs = std::max(maxAbs, double(std::abs(want[i][j])));
        }
        if (maxDiff > 1e-4 * maxAbs)
            std::cerr << "  row " << i << ": max diff " << maxDiff << " of " << maxAbs << "\n";
        VOP_CHECK(maxDiff <= 1e-4 * maxAbs);
    }
}

struct ResetInjection {
    ~ResetInjection() { BatchRunner::injectOutOfMemoryForTests(0, 0); }
};

} // namespace

VOP_TEST(imageBatchHalvesOnOutOfMemory)
{
    ResetInjection reset;
    const auto imgs = images(7, 1);
    const auto want = encoder().encodeImages(imgs, 8);
    auto enc = encoder();
    // 7 fails, 3 fails, then batches of 1.
    BatchRunner::injectOutOfMemoryForTests(2, 2, /*typed=*/true);
    const auto got = enc.encodeImages(imgs, 8);
    VOP_CHECK_EQ(BatchRunner::injectionsLeftForTests(), 0);
    checkSameRows(got, want);
    // The encoder keeps the size that fitted: no batch of more than 1 is tried again.
    BatchRunner::injectOutOfMemoryForTests(1, 1, true);
    checkSameRows(enc.encodeImages(imgs, 8), want);
    VOP_CHECK_EQ(BatchRunner::injectionsLeftForTests(), 1);
}

VOP_TEST(segmentBatchHalvesOnLibTorch1OutOfMemoryMessage)
{
    ResetInjection reset;
    std::vector<std::vector<RgbImage>> segments;
    for (uint32_t i = 0; i < 5; ++i) segments.push_back(images(2, 10 + i));
    const auto want = VopEncoder(encoder(), "", 2).encodeClips(segments, 4);
    VopEncoder enc(encoder(), "", 2);
    // A plain c10::Error saying "CUDA out of memory" (LibTorch 1.x): 4 fails, then 2, 2, 1.
    BatchRunner::injectOutOfMemoryForTests(1, 2, /*typed=*/false);
    const auto got = enc.encodeClips(segments, 4);
    VOP_CHECK_EQ(BatchRunner::injectionsLeftForTests(), 0);
    checkSameRows(got, want);
    BatchRunner::injectOutOfMemoryForTests(1, 2, true);
    checkSameRows(enc.encodeClips(segments, 4), want);
    VOP_CHECK_EQ(BatchRunner::injectionsLeftForTests(), 1); // batches of 2 from now on
}

VOP_TEST(failsWithAClearMessageWhenOneItemDoesNotFit)
{
    ResetInjection reset;
    auto enc = encoder();
    BatchRunner::injectOutOfMemoryForTests(100, 0, true);
    std::string message;
    try {
        enc.encodeImages(images(3, 2), 4);
    } catch (const Error& e) {
        message = e.what();
    }
    std::cout << "  " << message << std::endl;
    VOP_CHECK(message.find("out of memory") != std::string::npos);
    VOP_CHECK(message.find("cpu") == 0);            // names the device
    VOP_CHECK(message.find("--device cpu") != std::string::npos);
    VOP_CHECK_EQ(BatchRunner::injectionsLeftForTests(), 100 - 2); // a batch of 3, then of 1: it gave up
}

VOP_TEST(onlyAllocationFailuresCount)
{
    auto c10Error = [](const std::string& msg) -> c10::Error {
        try {
            TORCH_CHECK(false, msg);
        } catch (const c10::Error& e) {
            return e;
        }
        throw std::logic_error("unreachable");
    };
    VOP_CHECK(isOutOfMemory(c10Error("CUDA out of memory. Tried to allocate 20.00 MiB")));
    VOP_CHECK(isOutOfMemory(c10Error("CUDA error: out of memory")));
    VOP_CHECK(isOutOfMemory(c10Error("CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling cublasCreate(handle)")));
    VOP_CHECK(!isOutOfMemory(c10Error("shape '[2, 3]' is invalid for input of size 7")));
    VOP_CHECK(!isOutOfMemory(std::runtime_error("out of memory"))); // not torch's: not a batch problem
    // Any other error in a batch ends the run at once, untouched.
    BatchRunner runner("images", "cpu");
    int calls = 0;
    VOP_CHECK_THROWS_WITH(runner.run(3, 2, [&](int64_t, int64_t) {
                              ++calls;
                              TORCH_CHECK(false, "shape '[2, 3]' is invalid");
                          }),
                          "is invalid");
    VOP_CHECK_EQ(calls, 1);
    VOP_CHECK_EQ(runner.limit(), int64_t(0));
}

VOP_TEST_MAIN()
