// VectorIndex: recall, labels, duplicates, deletes, save/load and the refusal of bad files.
#include "StoreTestUtil.h"
#include "TestMain.h"

#include "store/VectorIndex.h"
#include "store/internal/Checksum.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <thread>

using namespace vop;
using namespace vop::store;
using vop::test::TempDir;

namespace {

const IndexKey kKey{3, std::nullopt};

std::vector<float> randomVectors(size_t n, int dim, uint64_t seed)
{
    std::vector<float> out;
    out.reserve(n * dim);
    for (size_t i = 0; i < n; ++i) {
        auto v = test::testVector(dim, seed + i);
        out.insert(out.end(), v.begin(), v.end());
    }
    return out;
}

std::vector<int64_t> exactTop(const std::vector<float>& data, const std::vector<int64_t>& ids, const float* q, int dim,
                              size_t k)
{
    std::vector<std::pair<float, int64_t>> scored;
    for (size_t i = 0; i < ids.size(); ++i) {
        const float* v = &data[i * dim];
        double dot = 0, nv = 0, nq = 0;
        for (int d = 0; d < dim; ++d) {
            dot += double(v[d]) * q[d];
            nv += double(v[d]) * v[d];
            nq += double(q[d]) * q[d];
        }
        scored.emplace_back(static_cast<float>(dot / std::sqrt(nv * nq)), ids[i]);
    }
    std::partial_sort(scored.begin(), scored.begin() + k, scored.end(), std::greater<>());
    std::vector<int64_t> top;
    for (size_t i = 0; i < k; ++i)
        top.push_back(scored[i].second);
    return top;
}

// The best hit's label, by value (VOP_CHECK_EQ must not hold a reference into a temporary).
int64_t topRowid(const VectorIndex& index, const float* q)
{
    auto hits = index.search(q, 1);
    return hits.empty() ? -1 : hits[0].rowid;
}

// An index of n random vectors labelled 10, 17, 24, ... (labels are rowids, not positions).
struct Filled {
    std::vector<float> data;
    std::vector<int64_t> ids;
    std::unique_ptr<VectorIndex> index;
};

Filled filled(size_t n, int dim, uint64_t seed = 1)
{
    Filled f;
    f.data = randomVectors(n, dim, seed);
    f.ids.resize(n);
    for (size_t i = 0; i < n; ++i)
        f.ids[i] = 10 + 7 * static_cast<int64_t>(i);
    f.index = std::make_unique<VectorIndex>("catalog-A", kKey, dim);
    f.index->addBatch(f.ids.data(), f.data.data(), n);
    return f;
}

} // namespace

VOP_TEST(indexRecallAgainstBruteForce)
{
    // Unstructured gaussian vectors are the hard case for HNSW (real embeddings have a low
    // intrinsic dimension); the default parameters must still reach recall@10 >= 0.98.
    // One build thread keeps the graph, and so the figure, the same on every run.
    const int dim = 64;
    const size_t n = 4000, k = 10, queries = 200;
    IndexParams params;
    params.threads = 1;
    auto data = randomVectors(n, dim, 1);
    std::vector<int64_t> ids(n);
    for (size_t i = 0; i < n; ++i)
        ids[i] = 10 + 7 * static_cast<int64_t>(i);
    VectorIndex index("catalog-A", kKey, dim, params);
    index.addBatch(ids.data(), data.data(), n);
    VOP_CHECK_EQ(index.size(), n);
    auto qs = randomVectors(queries, dim, 900000);
    double recall = 0;
    for (size_t q = 0; q < queries; ++q) {
        auto truth = exactTop(data, ids, &qs[q * dim], dim, k);
        auto hits = index.search(&qs[q * dim], k);
        VOP_REQUIRE_EQ(hits.size(), k);
        for (size_t i = 1; i < hits.size(); ++i)
            VOP_CHECK(hits[i - 1].score >= hits[i].score);
        size_t found = 0;
        for (const auto& h : hits)
            found += std::count(truth.begin(), truth.end(), h.rowid);
        recall += double(found) / k;
    }
    recall /= queries;
    std::cout << "  recall@10 = " << recall << " (" << n << " random " << dim << "-d vectors, ef "
              << index.efSearch() << ")\n";
    VOP_CHECK(recall >= 0.98);
}

VOP_TEST(indexLabelsAreRowidsAndVectorsAreNormalised)
{
    const int dim = 32;
    Filled f = filled(500, dim);
    VOP_CHECK_EQ(f.index->watermark(), f.ids.back());
    VOP_CHECK(f.index->labels() == f.ids);
    for (size_t i : {size_t(0), size_t(123), size_t(499)}) {
        std::vector<float> q(f.data.begin() + i * dim, f.data.begin() + (i + 1) * dim);
        for (auto& x : q)
            x *= -0.001f; // the opposite direction, tiny: nothing like itself
        auto far = f.index->search(q.data(), 1);
        VOP_REQUIRE_EQ(far.size(), 1u);
        VOP_CHECK(far[0].rowid != f.ids[i]);
        for (auto& x : q)
            x *= -5000.f; // scaled, un-normalised copy of the stored vector
        auto hits = f.index->search(q.data(), 3);
        VOP_REQUIRE(!hits.empty());
        VOP_CHECK_EQ(hits[0].rowid, f.ids[i]);
        VOP_CHECK_NEAR(hits[0].score, 1.0, 1e-4);
    }
    std::vector<float> zero(dim, 0.f);
    VOP_CHECK(f.index->search(zero.data(), 5).empty());
}

VOP_TEST(indexNeverAddsALabelTwice)
{
    const int dim = 16;
    Filled f = filled(300, dim);
    const size_t before = f.index->size();
    auto other = randomVectors(300, dim, 777);
    VOP_CHECK_EQ(f.index->addBatch(f.ids.data(), other.data(), f.ids.size()), 0u);
    VOP_CHECK(!f.index->add(f.ids[5], other.data()));
    VOP_CHECK_EQ(f.index->size(), before);
    // The stored vector is the first one, not the second.
    std::vector<float> q(f.data.begin() + 5 * dim, f.data.begin() + 6 * dim);
    VOP_CHECK_EQ(topRowid(*f.index, q.data()), f.ids[5]);
    // Repeats inside one batch count once.
    std::vector<int64_t> repeated = {5000, 5000, 5001, 5000};
    auto vecs = randomVectors(4, dim, 4242);
    VOP_CHECK_EQ(f.index->addBatch(repeated.data(), vecs.data(), 4), 2u);
    VOP_CHECK_EQ(f.index->size(), before + 2);
    VOP_CHECK_EQ(f.index->watermark(), int64_t(5001));
}

VOP_TEST(indexDeletedLabelsLeaveResults)
{
    const int dim = 16;
    Filled f = filled(400, dim);
    std::vector<float> q(f.data.begin() + 7 * dim, f.data.begin() + 8 * dim);
    VOP_CHECK_EQ(topRowid(*f.index, q.data()), f.ids[7]);
    VOP_CHECK(f.index->remove(f.ids[7]));
    VOP_CHECK(!f.index->remove(f.ids[7]));
    VOP_CHECK(!f.index->remove(999999));
    VOP_CHECK(!f.index->contains(f.ids[7]));
    VOP_CHECK(f.index->everAdded(f.ids[7]));
    VOP_CHECK_EQ(f.index->size(), 399u);
    VOP_CHECK_EQ(f.index->deletedCount(), 1u);
    for (const auto& h : f.index->search(q.data(), 50))
        VOP_CHECK(h.rowid != f.ids[7]);
    VOP_CHECK(!f.index->add(f.ids[7], q.data())); // a deleted label is never resurrected
    VOP_CHECK_EQ(f.index->size(), 399u);
}

VOP_TEST(indexGrowsPastItsCapacity)
{
    const int dim = 8;
    VectorIndex index("c", kKey, dim, IndexParams{}, 16);
    auto data = randomVectors(3000, dim, 3);
    for (int64_t i = 0; i < 3000; ++i)
        VOP_REQUIRE(index.add(i + 1, &data[i * dim]));
    VOP_CHECK_EQ(index.size(), 3000u);
    VOP_CHECK(index.capacity() >= 3000u);
    VOP_CHECK_EQ(topRowid(index, &data[1234 * dim]), int64_t(1235));
    VOP_CHECK(index.memoryBytes() > 3000u * dim * sizeof(float));
}

VOP_TEST(indexSaveLoadRoundTrip)
{
    TempDir dir;
    const int dim = 24;
    Filled f = filled(1500, dim);
    f.index->remove(f.ids[3]);
    const std::string path = dir.file("idx/m3-zs.hnsw");
    f.index->save(path);
    VOP_CHECK(std::filesystem::exists(VectorIndex::metaPath(path)));
    auto meta = VectorIndex::readMeta(path);
    VOP_CHECK_EQ(meta.count, 1499u);
    VOP_CHECK_EQ(meta.elements, 1500u);
    VOP_CHECK_EQ(meta.watermark, f.ids.back());
    VOP_CHECK_EQ(meta.dim, dim);
    VOP_CHECK_EQ(meta.fileSize, uint64_t(std::filesystem::file_size(path)));

    auto loaded = VectorIndex::load(path, "catalog-A", kKey, dim);
    VOP_CHECK_EQ(loaded->size(), 1499u);
    VOP_CHECK_EQ(loaded->deletedCount(), 1u);
    VOP_CHECK_EQ(loaded->watermark(), f.ids.back());
    VOP_CHECK(loaded->labels() == f.index->labels());
    VOP_CHECK_EQ(loaded->efSearch(), IndexParams{}.efSearch);
    auto qs = randomVectors(20, dim, 5555);
    for (int q = 0; q < 20; ++q) {
        auto a = f.index->search(&qs[q * dim], 10), b = loaded->search(&qs[q * dim], 10);
        VOP_REQUIRE_EQ(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i)
            VOP_CHECK_EQ(a[i].rowid, b[i].rowid);
    }
    // The loaded index keeps working: it grows, refuses old labels.
    VOP_CHECK(!loaded->add(f.ids[10], &qs[0]));
    VOP_CHECK(!loaded->add(f.ids[3], &qs[0]));
    VOP_CHECK(loaded->add(f.ids.back() + 1, &qs[0]));
    // Saving over an existing file replaces it whole.
    loaded->save(path);
    VOP_CHECK_EQ(VectorIndex::load(path, "catalog-A", kKey, dim)->size(), 1500u);
    size_t leftovers = 0;
    for (auto& e : std::filesystem::directory_iterator(dir.file("idx")))
        leftovers += e.path().filename().string().find(".tmp") != std::string::npos;
    VOP_CHECK_EQ(leftovers, 0u);
}

VOP_TEST(indexLoadRejectsMismatchesWithReasons)
{
    TempDir dir;
    const int dim = 16;
    Filled f = filled(200, dim);
    const std::string path = dir.file("a.hnsw");
    f.index->save(path);
    VOP_CHECK_THROWS_WITH(VectorIndex::load(path, "catalog-A", kKey, 32), "dimension 16, expected 32");
    VOP_CHECK_THROWS_WITH(VectorIndex::load(path, "catalog-A", IndexKey{4, std::nullopt}, dim),
                          "built for model 3, zero-shot, expected model 4, zero-shot");
    VOP_CHECK_THROWS_WITH(VectorIndex::load(path, "catalog-A", IndexKey{3, 9}, dim), "expected model 3, prompt set 9");
    VOP_CHECK_THROWS_WITH(VectorIndex::load(path, "catalog-B", kKey, dim), "another catalog");
    VOP_CHECK_THROWS_WITH(VectorIndex::load(dir.file("none.hnsw"), "catalog-A", kKey, dim), "missing");
    VOP_CHECK(VectorIndex::load(path, "catalog-A", kKey, dim) != nullptr);
}

VOP_TEST(indexLoadRejectsDamagedFiles)
{
    TempDir dir;
    const int dim = 16;
    Filled f = filled(300, dim);
    const std::string path = dir.file("a.hnsw");
    f.index->save(path);
    const std::string good = test::readBytes(path);
    const std::string goodMeta = test::readBytes(VectorIndex::metaPath(path));

    std::string flipped = good;
    for (size_t i = 200; i < flipped.size(); i += flipped.size() / 7)
        flipped[i] = static_cast<char>(flipped[i] ^ 0x5A);
    test::writeBytes(path, flipped);
    VOP_CHECK_THROWS_WITH(VectorIndex::load(path, "catalog-A", kKey, dim), "damaged");

    test::writeBytes(path, good.substr(0, good.size() / 2));
    VOP_CHECK_THROWS_WITH(VectorIndex::load(path, "catalog-A", kKey, dim), "truncated");
    test::writeBytes(path, good.substr(0, 40));
    VOP_CHECK_THROWS_WITH(VectorIndex::load(path, "catalog-A", kKey, dim), "truncated");

    // A damaged header whose checksum was "fixed up" still does not reach hnswlib.
    std::string badHeader = good;
    badHeader[16] = static_cast<char>(0xFF); // cur_element_count
    test::writeBytes(path, badHeader);
    auto digest = detail::digestFile(path);
    std::string meta = goodMeta;
    auto pos = meta.find("\"xxh64\": \"");
    VOP_REQUIRE(pos != std::string::npos);
    meta.replace(pos + 10, 16, detail::toHex(digest.xxh64));
    test::writeBytes(VectorIndex::metaPath(path), meta);
    VOP_CHECK_THROWS_WITH(VectorIndex::load(path, "catalog-A", kKey, dim), "header");

    test::writeBytes(path, good);
    test::writeBytes(VectorIndex::metaPath(path), "{ not json");
    VOP_CHECK_THROWS_WITH(VectorIndex::load(path, "catalog-A", kKey, dim), "unreadable");
    std::filesystem::remove(VectorIndex::metaPath(path));
    VOP_CHECK_THROWS_WITH(VectorIndex::load(path, "catalog-A", kKey, dim), "metadata");
    test::writeBytes(VectorIndex::metaPath(path), goodMeta);
    VOP_CHECK_EQ(VectorIndex::load(path, "catalog-A", kKey, dim)->size(), 300u);
}

VOP_TEST(indexSearchesRunAlongsideInserts)
{
    const int dim = 16;
    VectorIndex index("c", kKey, dim);
    auto data = randomVectors(4000, dim, 11);
    std::atomic<bool> done{false};
    std::atomic<int> bad{0};
    std::thread searcher([&] {
        while (!done)
            for (const auto& h : index.search(&data[0], 5))
                bad += (h.rowid < 1 || h.rowid > 4000);
    });
    for (int64_t start = 0; start < 4000; start += 500) {
        std::vector<int64_t> ids(500);
        std::iota(ids.begin(), ids.end(), start + 1);
        index.addBatch(ids.data(), &data[start * dim], 500);
    }
    done = true;
    searcher.join();
    VOP_CHECK_EQ(bad.load(), 0);
    VOP_CHECK_EQ(index.size(), 4000u);
}

VOP_TEST(checksumMatchesXxh64Reference)
{
    VOP_CHECK_EQ(detail::toHex(detail::Xxh64().digest()), std::string("ef46db3751d8e999"));
    detail::Xxh64 abc;
    abc.update("abc", 3);
    VOP_CHECK_EQ(detail::toHex(abc.digest()), std::string("44bc2cf5ad770999"));
    // Streaming in odd pieces gives the one-shot result.
    std::string text(1000, 'x');
    for (size_t i = 0; i < text.size(); ++i)
        text[i] = static_cast<char>('a' + i * 7 % 26);
    detail::Xxh64 whole, pieces;
    whole.update(text.data(), text.size());
    for (size_t i = 0; i < text.size(); i += 13)
        pieces.update(text.data() + i, std::min<size_t>(13, text.size() - i));
    VOP_CHECK_EQ(whole.digest(), pieces.digest());
}
