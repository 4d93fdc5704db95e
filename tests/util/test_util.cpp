#include "TestFiles.h"
#include "TestMain.h"

#include "util/AtomicFile.h"
#include "util/Paths.h"
#include "util/Sha256.h"

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

VOP_TEST(sha256KnownVectors)
{
    VOP_CHECK_EQ(vop::sha256Hex(""), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    VOP_CHECK_EQ(vop::sha256Hex("abc"), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    std::string million(1000000, 'a');
    VOP_CHECK_EQ(vop::sha256Hex(million), std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    // streaming in odd pieces gives the same digest
    vop::Sha256 h;
    for (size_t i = 0; i < million.size(); i += 777)
        h.update(million.data() + i, std::min<size_t>(777, million.size() - i));
    VOP_CHECK_EQ(h.hexDigest(), std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

VOP_TEST(atomicWriteReplacesWholeFile)
{
    const fs::path dir = vop::test::freshDir("atomic");
    auto file = (dir / "a.bin").string();
    vop::writeFileAtomic(file, "first");
    VOP_CHECK_EQ(vop::paths::readFile(file), std::string("first"));
    vop::writeFileAtomic(file, "second, longer");
    VOP_CHECK_EQ(vop::paths::readFile(file), std::string("second, longer"));
    size_t entries = 0;
    for (auto& e : fs::directory_iterator(dir)) { (void)e; ++entries; }
    VOP_CHECK_EQ(entries, size_t(1)); // no temporary left behind
    VOP_CHECK_THROWS_WITH(vop::writeFileAtomic((dir / "missing" / "x").string(), "x"), "cannot create");
}

VOP_TEST(modelResolutionOrder)
{
    const fs::path dir = vop::test::freshDir("models");
    ::setenv("VOPSEARCH_MODELS", dir.c_str(), 1);
    ::setenv("XDG_DATA_HOME", (dir / "xdg").c_str(), 1);
    VOP_CHECK_THROWS_WITH(vop::paths::resolveCheckpoint("", "NoSuch.pt"), "fetch");
    vop::writeFileAtomic((dir / "NoSuch.pt").string(), "x");
    VOP_CHECK_EQ(vop::paths::resolveCheckpoint("", "NoSuch.pt"), (dir / "NoSuch.pt").string());
    VOP_CHECK_THROWS_WITH(vop::paths::resolveCheckpoint("/nonexistent/x.pt"), "does not exist");
    VOP_CHECK_EQ(vop::paths::userDataDir(), (dir / "xdg" / "vopsearch").string());
}

VOP_TEST_MAIN()
