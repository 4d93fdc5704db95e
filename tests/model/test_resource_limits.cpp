// Files that promise more than they hold (issue 14, resource limits), refused before anything is
// allocated for them, torch-free: a TorchScript archive whose zip records claim terabytes, a
// safetensors checkpoint and a prompt set with huge tensor shapes, and element counts that
// overflow 64 bits on their way to a size.
#include "TestMain.h"
#include "TestFiles.h"

#include "model/SafeTensors.h"
#include "model/TorchArchive.h"
#include "prompts/PromptSetInfo.h"
#include "util/AtomicFile.h"
#include "util/Error.h"


using namespace vop;

namespace {

std::string le(uint64_t v, int bytes)
{
    std::string s;
    for (int i = 0; i < bytes; ++i) s += char((v >> (8 * i)) & 0xff);
    return s;
}

struct ZipRecord {
    std::string name;
    std::string data;          // what the file holds
    uint64_t claimedSize = 0;  // uncompressed size in the central directory (zip64 when large)
    uint16_t method = 0;
};

// A one-disk zip archive as torch.jit.save writes it (records stored), with the central
// directory saying whatever the record claims.
std::string zipArchive(const std::vector<ZipRecord>& records)
{
    std::string out, dir;
    for (const auto& r : records) {
        const uint64_t local = out.size();
        out += le(0x04034b50, 4) + le(20, 2) + le(0, 2) + le(r.method, 2) + le(0, 8) + le(r.data.size(), 4) +
               le(r.data.size(), 4) + le(r.name.size(), 2) + le(0, 2) + r.name + r.data;
        const bool big = r.claimedSize >= 0xffffffff;
        const std::string extra = big ? le(1, 2) + le(8, 2) + le(r.claimedSize, 8) : "";
        dir += le(0x02014b50, 4) + le(45, 2) + le(45, 2) + le(0, 2) + le(r.method, 2) + le(0, 8) +
               le(r.data.size(), 4) + le(big ? 0xffffffff : r.claimedSize, 4) + le(r.name.size(), 2) +
               le(extra.size(), 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(local, 4) + r.name + extra;
    }
    const uint64_t dirOffset = out.size();
    return out + dir + le(0x06054b50, 4) + le(0, 4) + le(records.size(), 2) + le(records.size(), 2) +
           le(dir.size(), 4) + le(dirOffset, 4) + le(0, 2);
}

// A safetensors file with one tensor described by `entry` (the JSON after the name).
std::string safetensorsWith(const std::string& entry, const std::string& data, const std::string& meta = "")
{
    const std::string header = "{" + meta + "\"visual.prompts\":" + entry + "}";
    return le(header.size(), 8) + header + data;
}

} // namespace

VOP_TEST(torchScriptArchiveFromTorchPasses)
{
    const auto path = test::sharedDir() + "/fixtures/clip-tiny/model.ts.pt";
    const auto archive = torcharchive::checkFile(path);
    VOP_CHECK_EQ(archive.prefix, std::string("model.ts"));
    VOP_CHECK(archive.entries.size() > 50u);
    const auto small = zipArchive({{"m/data.pkl", "pickle", 6}, {"m/version", "3\n", 2}});
    VOP_CHECK_EQ(torcharchive::check(reinterpret_cast<const uint8_t*>(small.data()), small.size(), "x").prefix,
                 std::string("m"));
}

VOP_TEST(archiveRecordsPromisingTerabytesAreRefused)
{
    const auto dir = test::freshDir("limits-zip");
    auto refuse = [&](const std::vector<ZipRecord>& records, const std::string& text) {
        const auto path = dir + "/model.pt";
        writeFileAtomic(path, zipArchive(records));
        VOP_CHECK_THROWS_WITH(torcharchive::checkFile(path), text);
    };
    // 2 TiB claimed by a stored record of 6 bytes (zip64 sizes)
    refuse({{"m/data.pkl", "pickle", 6}, {"m/data/0", "abcdef", 2ull << 40}}, "is stored but claims 2199023255552 bytes in 6");
    // 1 TiB from a 100-byte deflate stream: more than deflate can expand
    refuse({{"m/data.pkl", std::string(100, 'x'), 1ull << 40, 8}}, "more than deflate can expand");
    refuse({{"m/data.pkl", "pickle", 6}, {"m/data/0", "x", 1, 12}}, "compression method 12");
    refuse({{"m/notdata", "pickle", 6}}, "no <name>/data.pkl record");
    auto cut = zipArchive({{"m/data.pkl", "pickle", 6}});
    writeFileAtomic(dir + "/cut.pt", cut.substr(0, cut.size() - 30));
    VOP_CHECK_THROWS_WITH(torcharchive::checkFile(dir + "/cut.pt"), "no end-of-central-directory record");
}

VOP_TEST(tensorShapesPromisingTerabytesAreRefused)
{
    const auto dir = test::freshDir("limits-st");
    // [1e6, 1e6] F32 is 4 TB; the header says so and the file has 8 bytes of data
    writeFileAtomic(dir + "/tb.safetensors",
                    safetensorsWith(R"({"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,4000000000000]})",
                                    std::string(8, '\0')));
    VOP_CHECK_THROWS_WITH(safetensors::File::open(dir + "/tb.safetensors"), "points outside the file: bytes [0, 4000000000000)");
    // 2^32 x 2^31 x 0: zero bytes, but an element count past int64 on the way
    writeFileAtomic(dir + "/wide.safetensors",
                    safetensorsWith(R"({"dtype":"U8","shape":[4294967296,2147483648,0],"data_offsets":[0,0]})", ""));
    VOP_CHECK_THROWS_WITH(safetensors::File::open(dir + "/wide.safetensors"), "overflows 64 bits");
}

VOP_TEST(promptSetWithHugeShapeIsRefused)
{
    const auto dir = test::freshDir("limits-prompts");
    const std::string meta = R"("__metadata__":{"format":"vopsearch-prompts","format_version":"1","variant":"vop"},)";
    writeFileAtomic(dir + "/huge.safetensors",
                    safetensorsWith(R"({"dtype":"F32","shape":[12,100000000,512],"data_offsets":[0,2457600000000]})",
                                    std::string(16, '\0'), meta));
    VOP_CHECK_THROWS_WITH(readPromptSetInfo(dir + "/huge.safetensors"), "points outside the file");
    writeFileAtomic(dir + "/wrap.safetensors",
                    safetensorsWith(R"({"dtype":"F32","shape":[4611686018427387906],"data_offsets":[0,8]})",
                                    std::string(8, '\0'), meta));
    VOP_CHECK_THROWS_WITH(readPromptSetInfo(dir + "/wrap.safetensors"), "overflows 64 bits");
}

VOP_TEST_MAIN()
