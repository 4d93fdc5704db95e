// Fuzz target: opening a damaged catalog (store/Catalog.cpp, Migrations.cpp): the bytes are the
// SQLite file. Opening must refuse it with a clear message or open it and answer reads.
#include "FuzzSupport.h"
#include "store/Catalog.h"

#include <cstdio>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto path = vop::fuzz::tempDir() + "/catalog.db";
    for (const char* suffix : {"-wal", "-shm", "-journal"}) std::remove((path + suffix).c_str());
    vop::fuzz::writeTemp("catalog.db", data, size);
    try {
        vop::store::CatalogOptions options;
        options.busyTimeoutMs = 0;
        vop::store::Catalog catalog(path, options);
        (void)catalog.integrityCheck();
        for (const auto& root : catalog.roots())
            for (const auto& file : catalog.filesUnderRoot(root.id)) (void)catalog.segmentsOfFile(file.id);
        (void)catalog.counts();
        for (int64_t model = 1; model <= 2; ++model)
            catalog.forEachEmbedding(model, std::nullopt, 0, [](int64_t, const float* v, int dim) {
                vop::fuzz::touch(reinterpret_cast<const uint8_t*>(v), uint64_t(dim) * sizeof(float));
            });
        (void)catalog.promptSets();
        (void)catalog.embeddingSequence();
    } catch (const vop::Error&) {
    }
    return 0;
}
