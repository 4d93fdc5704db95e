// The one translation unit that includes hnswlib: hnswlib.h defines non-inline functions.
#include "store/VectorIndex.h"

#include "store/internal/Checksum.h"
#include "store/internal/Distance.h"
#include "util/AtomicFile.h"
#include "util/Log.h"

#include <hnswlib/hnswlib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <thread>
#include <unistd.h>
#include <unordered_set>

namespace vop::store {

namespace {

const char* kArea = "store";
constexpr int kFormatVersion = 1;
constexpr const char* kFormatName = "vopsearch-hnsw";
constexpr size_t kHeaderBytes = 96; // what hnswlib 0.6.2's saveIndex writes before the data

// Cosine distance on unit vectors: 1 - <a, b>, with the widest dot product the CPU has
// (hnswlib's own kernels are chosen at compile time, i.e. SSE for a portable build).
class CosineSpace : public hnswlib::SpaceInterface<float> {
public:
    // The kernel is chosen per space (no process-wide state) and handed to hnswlib as the
    // distance function's parameter.
    explicit CosineSpace(size_t dim) : m_param{dim, detail::dotKernel()} {}
    size_t get_data_size() override { return m_param.dim * sizeof(float); }
    hnswlib::DISTFUNC<float> get_dist_func() override { return &distance; }
    void* get_dist_func_param() override { return &m_param; }

private:
    struct Param {
        size_t dim;
        detail::DotFn dot;
    };
    static float distance(const void* a, const void* b, const void* param)
    {
        const auto* p = static_cast<const Param*>(param);
        return 1.0f - p->dot(static_cast<const float*>(a), static_cast<const float*>(b), p->dim);
    }
    Param m_param;
};

using Hnsw = hnswlib::HierarchicalNSW<float>;

// The fixed-size header hnswlib writes, read to validate a file before hnswlib trusts it.
struct HnswHeader {
    size_t offsetLevel0, maxElements, curElements, sizeDataPerElement, labelOffset, offsetData;
    int maxLevel;
    unsigned enterPoint;
    size_t maxM, maxM0, M;
    double mult;
    size_t efConstruction;
};

bool readHeader(const std::string& path, HnswHeader& h)
{
    std::ifstream in(path, std::ios::binary);
    auto rd = [&](auto& v) { in.read(reinterpret_cast<char*>(&v), sizeof v); };
    rd(h.offsetLevel0); rd(h.maxElements); rd(h.curElements); rd(h.sizeDataPerElement);
    rd(h.labelOffset); rd(h.offsetData); rd(h.maxLevel); rd(h.enterPoint);
    rd(h.maxM); rd(h.maxM0); rd(h.M); rd(h.mult); rd(h.efConstruction);
    return static_cast<bool>(in);
}

void fsyncPath(const std::string& path, bool directory)
{
    int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0)
        return;
    ::fsync(fd);
    ::close(fd);
}

// Whether the index file matches its sidecar (size, hnswlib header, checksum) before hnswlib
// reads it: "" when it does, else why not (after "the index '<path>' ").
std::string fileProblem(const std::string& path, const IndexFileMeta& meta, int dim)
{
    std::error_code ec;
    const uint64_t fileSize = std::filesystem::file_size(path, ec);
    if (ec || fileSize != meta.fileSize)
        return ("is " + std::to_string(fileSize) + " bytes, its metadata says " + std::to_string(meta.fileSize) +
                     " (truncated or replaced)");
    HnswHeader h{};
    if (fileSize < kHeaderBytes || !readHeader(path, h))
        return ("is too short to be an index");
    const size_t linkBytes0 = h.maxM0 * sizeof(hnswlib::tableint) + sizeof(hnswlib::linklistsizeint);
    const size_t vecBytes = static_cast<size_t>(dim) * sizeof(float);
    const bool headerOk = h.offsetLevel0 == 0 && h.curElements == meta.elements && h.M == meta.M &&
                          h.maxM == h.M && h.maxM0 == 2 * h.M && h.offsetData == linkBytes0 &&
                          h.labelOffset == linkBytes0 + vecBytes &&
                          h.sizeDataPerElement == linkBytes0 + vecBytes + sizeof(hnswlib::labeltype) &&
                          h.maxLevel >= (h.curElements ? 0 : -1) && h.maxLevel < 64 &&
                          (h.curElements == 0 || h.enterPoint < h.curElements) &&
                          kHeaderBytes + uint64_t(h.curElements) * h.sizeDataPerElement <= fileSize;
    if (!headerOk)
        return ("has a header that does not match its metadata (damaged, or written by another hnswlib)");
    const detail::FileDigest digest = detail::digestFile(path);
    if (digest.size != meta.fileSize || detail::toHex(digest.xxh64) != meta.checksum)
        return ("is damaged: its checksum " + detail::toHex(digest.xxh64) + " does not match " + meta.checksum);
    return "";
}

// hnswlib's loader trusts the graph it reads, and its search follows every link without a bound
// check: a link to an element that does not exist (or not on that level) reads outside the
// graph. The checksum catches damage on disk, not a file written wrong, so the graph is checked
// here. "" when sound, else what is wrong.
std::string graphProblem(const Hnsw& hn)
{
    const size_t n = hn.cur_element_count;
    if (n == 0)
        return "";
    if (hn.enterpoint_node_ >= n || hn.element_levels_[hn.enterpoint_node_] != hn.maxlevel_)
        return "its entry point is not an element of the top level";
    for (size_t i = 0; i < n; ++i) {
        const int top = hn.element_levels_[i];
        if (top > hn.maxlevel_)
            return "element " + std::to_string(i) + " is above the top level";
        for (int level = 0; level <= top; ++level) {
            auto* list = hn.get_linklist_at_level(hnswlib::tableint(i), level);
            const size_t count = hn.getListCount(list);
            if (count > (level == 0 ? hn.maxM0_ : hn.maxM_))
                return "element " + std::to_string(i) + " has " + std::to_string(count) + " links on level " + std::to_string(level);
            const auto* links = reinterpret_cast<const hnswlib::tableint*>(list + 1);
            for (size_t k = 0; k < count; ++k)
                if (links[k] >= n || hn.element_levels_[links[k]] < level)
                    return "element " + std::to_string(i) + " links to " + std::to_string(links[k]) + " on level " +
                           std::to_string(level) + ", which is not there";
        }
    }
    return "";
}

} // namespace

std::string IndexKey::toString() const
{
    return "model " + std::to_string(modelId) + (promptSetId ? ", prompt set " + std::to_string(*promptSetId) : ", zero-shot");
}

struct VectorIndex::Impl {
    std::string catalogId;
    IndexKey key;
    int dim = 0;
    IndexParams params;
    std::unique_ptr<CosineSpace> space; // declared before hnsw: hnsw points into it
    std::unique_ptr<Hnsw> hnsw;
    int64_t watermark = 0;
    mutable std::shared_mutex lock;

    bool known(int64_t label) const { return hnsw->label_lookup_.count(static_cast<hnswlib::labeltype>(label)) != 0; }

    void reserve(size_t needed)
    {
        if (needed <= hnsw->max_elements_)
            return;
        size_t cap = std::max({needed, hnsw->max_elements_ * 2, size_t(1024)});
        hnsw->resizeIndex(cap);
    }

    unsigned threads() const
    {
        unsigned t = params.threads ? params.threads : std::thread::hardware_concurrency();
        return std::max(1u, t);
    }

    // Size of what hnswlib's saveIndex writes for the current graph.
    uint64_t serializedSize() const
    {
        uint64_t n = kHeaderBytes + uint64_t(hnsw->cur_element_count) * hnsw->size_data_per_element_;
        for (size_t i = 0; i < hnsw->cur_element_count; ++i)
            n += sizeof(unsigned) + (hnsw->element_levels_[i] > 0 ? hnsw->size_links_per_element_ * hnsw->element_levels_[i] : 0);
        return n;
    }
};

VectorIndex::VectorIndex(std::string catalogId, IndexKey key, int dim, const IndexParams& params, size_t capacity)
    : d(std::make_unique<Impl>())
{
    if (dim <= 0)
        throw Error("a vector index needs a positive dimension");
    d->catalogId = std::move(catalogId);
    d->key = std::move(key);
    d->dim = dim;
    d->params = params;
    d->space = std::make_unique<CosineSpace>(static_cast<size_t>(dim));
    d->hnsw = std::make_unique<Hnsw>(d->space.get(), std::max(capacity, size_t(16)), params.M, params.efConstruction);
    d->hnsw->setEf(params.efSearch);
}

VectorIndex::VectorIndex(std::unique_ptr<Impl> impl) : d(std::move(impl)) {}
VectorIndex::~VectorIndex() = default;

const std::string& VectorIndex::catalogId() const { return d->catalogId; }
const IndexKey& VectorIndex::key() const { return d->key; }
int VectorIndex::dim() const { return d->dim; }
const IndexParams& VectorIndex::params() const { return d->params; }

size_t VectorIndex::size() const
{
    std::shared_lock<std::shared_mutex> l(d->lock);
    return d->hnsw->cur_element_count - d->hnsw->num_deleted_;
}

size_t VectorIndex::deletedCount() const
{
    std::shared_lock<std::shared_mutex> l(d->lock);
    return d->hnsw->num_deleted_;
}

size_t VectorIndex::capacity() const
{
    std::shared_lock<std::shared_mutex> l(d->lock);
    return d->hnsw->max_elements_;
}

int64_t VectorIndex::watermark() const
{
    std::shared_lock<std::shared_mutex> l(d->lock);
    return d->watermark;
}

bool VectorIndex::contains(int64_t rowid) const
{
    std::shared_lock<std::shared_mutex> l(d->lock);
    auto it = d->hnsw->label_lookup_.find(static_cast<hnswlib::labeltype>(rowid));
    return it != d->hnsw->label_lookup_.end() && !d->hnsw->isMarkedDeleted(it->second);
}

bool VectorIndex::everAdded(int64_t rowid) const
{
    std::shared_lock<std::shared_mutex> l(d->lock);
    return d->known(rowid);
}

bool VectorIndex::add(int64_t rowid, const float* vec)
{
    return addBatch(&rowid, vec, 1) == 1;
}

size_t VectorIndex::addBatch(const int64_t* rowids, const float* vecs, size_t count)
{
    // Slices keep the exclusive lock short, so searches wait for at most one slice (a few
    // hundred inserts), not for a whole catch-up of thousands of rows.
    constexpr size_t kSlice = 512;
    const size_t dim = static_cast<size_t>(d->dim);
    std::unordered_set<int64_t> seen; // repeats within this call
    size_t added = 0;
    std::vector<size_t> todo;
    for (size_t begin = 0; begin < count; begin += kSlice) {
        const size_t end = std::min(count, begin + kSlice);
        std::unique_lock<std::shared_mutex> l(d->lock);
        // Never hand hnswlib a label twice: in 0.6.2 that "updates" the element in place,
        // which rewires the graph around it, and after a markDelete it silently resurrects it.
        todo.clear();
        for (size_t i = begin; i < end; ++i)
            if (rowids[i] > 0 && !d->known(rowids[i]) && seen.insert(rowids[i]).second)
                todo.push_back(i);
        if (todo.empty())
            continue;
        d->reserve(d->hnsw->cur_element_count + todo.size());

        auto insert = [&](size_t i, std::vector<float>& buf) {
            std::memcpy(buf.data(), vecs + i * dim, dim * sizeof(float));
            detail::normalize(buf.data(), dim); // a zero vector stays zero: similarity 0 to all
            d->hnsw->addPoint(buf.data(), static_cast<hnswlib::labeltype>(rowids[i]));
        };
        std::exception_ptr failure;
        // The first elements go in alone so that the entry point exists before threads race.
        size_t serial = d->hnsw->cur_element_count == 0 ? std::min(todo.size(), size_t(64)) : 0;
        const unsigned nThreads = todo.size() - serial < 64 ? 1u : d->threads();
        if (nThreads == 1)
            serial = todo.size();
        try {
            std::vector<float> buf(dim);
            for (size_t j = 0; j < serial; ++j)
                insert(todo[j], buf);
        } catch (...) {
            failure = std::current_exception();
            serial = todo.size();
        }
        if (serial < todo.size()) {
            std::atomic<size_t> next{serial};
            std::mutex failureMutex;
            std::vector<std::thread> workers;
            for (unsigned t = 0; t < nThreads; ++t) {
                workers.emplace_back([&] {
                    std::vector<float> local(dim);
                    try {
                        for (size_t j; (j = next.fetch_add(1)) < todo.size();)
                            insert(todo[j], local);
                    } catch (...) {
                        std::lock_guard<std::mutex> g(failureMutex);
                        if (!failure)
                            failure = std::current_exception();
                        next = todo.size();
                    }
                });
            }
            for (auto& w : workers)
                w.join();
        }
        // Whatever went in counts, even when a later insert failed: the watermark must cover
        // every label in the graph.
        for (size_t i : todo)
            if (d->known(rowids[i])) {
                d->watermark = std::max(d->watermark, rowids[i]);
                ++added;
            }
        if (failure)
            std::rethrow_exception(failure);
    }
    return added;
}

bool VectorIndex::remove(int64_t rowid)
{
    std::unique_lock<std::shared_mutex> l(d->lock);
    auto it = d->hnsw->label_lookup_.find(static_cast<hnswlib::labeltype>(rowid));
    if (it == d->hnsw->label_lookup_.end() || d->hnsw->isMarkedDeleted(it->second))
        return false;
    d->hnsw->markDelete(static_cast<hnswlib::labeltype>(rowid));
    return true;
}

std::vector<int64_t> VectorIndex::labels() const
{
    std::shared_lock<std::shared_mutex> l(d->lock);
    std::vector<int64_t> out;
    out.reserve(d->hnsw->label_lookup_.size());
    for (const auto& [label, internal] : d->hnsw->label_lookup_)
        if (!d->hnsw->isMarkedDeleted(internal))
            out.push_back(static_cast<int64_t>(label));
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<SearchHit> VectorIndex::search(const float* query, size_t k) const
{
    std::vector<SearchHit> hits;
    if (k == 0)
        return hits;
    const size_t dim = static_cast<size_t>(d->dim);
    std::vector<float> q(query, query + dim);
    if (!detail::normalize(q.data(), dim))
        return hits; // no direction, no neighbours
    std::shared_lock<std::shared_mutex> l(d->lock);
    if (d->hnsw->cur_element_count == d->hnsw->num_deleted_)
        return hits;
    auto pq = d->hnsw->searchKnn(q.data(), k);
    hits.resize(pq.size());
    for (size_t i = hits.size(); i-- > 0; pq.pop()) // the queue pops the farthest first
        hits[i] = SearchHit{static_cast<int64_t>(pq.top().second), 1.0f - pq.top().first};
    return hits;
}

void VectorIndex::setEfSearch(size_t ef)
{
    std::unique_lock<std::shared_mutex> l(d->lock);
    d->params.efSearch = std::max<size_t>(ef, 1);
    d->hnsw->setEf(d->params.efSearch);
}

size_t VectorIndex::efSearch() const
{
    std::shared_lock<std::shared_mutex> l(d->lock);
    return d->params.efSearch;
}

size_t VectorIndex::memoryBytes() const
{
    std::shared_lock<std::shared_mutex> l(d->lock);
    const Hnsw& h = *d->hnsw;
    size_t bytes = h.max_elements_ * h.size_data_per_element_;                       // level 0 + vectors
    for (size_t i = 0; i < h.cur_element_count; ++i)
        bytes += h.element_levels_[i] > 0 ? h.size_links_per_element_ * h.element_levels_[i] : 0; // upper levels
    bytes += h.max_elements_ * (sizeof(void*) + sizeof(int) + sizeof(std::mutex));  // linkLists_, levels, locks
    bytes += h.max_elements_ * sizeof(hnswlib::vl_type);                              // one visited list
    bytes += h.link_list_update_locks_.size() * sizeof(std::mutex);
    bytes += h.label_lookup_.size() * (sizeof(std::pair<hnswlib::labeltype, hnswlib::tableint>) + 2 * sizeof(void*))
           + h.label_lookup_.bucket_count() * sizeof(void*);
    return bytes;
}

// --- files ------------------------------------------------------------------------------------

void VectorIndex::save(const std::string& path) const
{
    namespace fs = std::filesystem;
    std::shared_lock<std::shared_mutex> l(d->lock);
    fs::path target(path);
    fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::error_code ec;
    fs::create_directories(dir, ec);
    std::string tmp = (dir / ("." + target.filename().string() + ".tmp" + std::to_string(std::random_device{}()))).string();

    d->hnsw->saveIndex(tmp); // hnswlib reports nothing: the size and checksum below check the write
    const uint64_t expected = d->serializedSize();
    detail::FileDigest digest;
    try {
        digest = detail::digestFile(tmp);
    } catch (...) {
        ::unlink(tmp.c_str());
        const bool readOnly = ::access(dir.c_str(), W_OK) != 0 && errno == EROFS;
        throw Error("cannot write the index file '" + path + "' (" +
                    (readOnly ? "the file system is read-only" : "is the folder writable?") +
                    "); the previous index file is kept");
    }
    if (digest.size != expected) {
        ::unlink(tmp.c_str());
        throw Error("cannot write the index file '" + path + "': only " + std::to_string(digest.size) + " of " +
                    std::to_string(expected) +
                    " bytes were written, the disk is probably full (free some space and run again; the previous "
                    "index file is kept)");
    }
    fsyncPath(tmp, false);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        throw Error("cannot replace the index file '" + path + "': " + why);
    }
    fsyncPath(dir.string(), true);

    nlohmann::json meta = {
        {"format", kFormatName},
        {"format_version", kFormatVersion},
        {"metric", "cosine"},
        {"catalog_id", d->catalogId},
        {"model_id", d->key.modelId},
        {"prompt_set_id", d->key.promptSetId ? nlohmann::json(*d->key.promptSetId) : nlohmann::json(nullptr)},
        {"dim", d->dim},
        {"count", d->hnsw->cur_element_count - d->hnsw->num_deleted_},
        {"elements", d->hnsw->cur_element_count},
        {"watermark", d->watermark},
        {"M", d->hnsw->M_},
        {"ef_construction", d->hnsw->ef_construction_},
        {"file_size", digest.size},
        {"xxh64", detail::toHex(digest.xxh64)},
        {"saved_at", static_cast<int64_t>(std::time(nullptr))},
    };
    // Written after the index: a crash in between leaves an old sidecar whose checksum does
    // not match, and the index is rebuilt.
    writeFileAtomic(metaPath(path), meta.dump(2) + "\n");
}

IndexFileMeta VectorIndex::readMeta(const std::string& path)
{
    const std::string mp = metaPath(path);
    std::ifstream in(mp, std::ios::binary);
    if (!in)
        throw IndexRejected("the index metadata '" + mp + "' is missing");
    IndexFileMeta meta;
    try {
        nlohmann::json j = nlohmann::json::parse(in);
        if (j.at("format").get<std::string>() != kFormatName)
            throw IndexRejected("'" + mp + "' is not vopsearch index metadata");
        meta.formatVersion = j.at("format_version").get<int>();
        meta.catalogId = j.at("catalog_id").get<std::string>();
        meta.key.modelId = j.at("model_id").get<int64_t>();
        if (!j.at("prompt_set_id").is_null())
            meta.key.promptSetId = j.at("prompt_set_id").get<int64_t>();
        meta.dim = j.at("dim").get<int>();
        meta.count = j.at("count").get<size_t>();
        meta.elements = j.at("elements").get<size_t>();
        meta.watermark = j.at("watermark").get<int64_t>();
        meta.M = j.at("M").get<size_t>();
        meta.efConstruction = j.at("ef_construction").get<size_t>();
        meta.fileSize = j.at("file_size").get<uint64_t>();
        meta.checksum = j.at("xxh64").get<std::string>();
    } catch (const IndexRejected&) {
        throw;
    } catch (const std::exception& e) {
        throw IndexRejected("the index metadata '" + mp + "' is unreadable: " + e.what());
    }
    return meta;
}

std::unique_ptr<VectorIndex> VectorIndex::load(const std::string& path, const std::string& catalogId,
                                               const IndexKey& key, int dim, const IndexParams& params)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw IndexRejected("the index file '" + path + "' is missing");
    const IndexFileMeta meta = readMeta(path);
    auto reject = [&](const std::string& why) { return IndexRejected("the index '" + path + "' " + why); };
    if (meta.formatVersion != kFormatVersion)
        throw reject("has format version " + std::to_string(meta.formatVersion) + ", expected " + std::to_string(kFormatVersion));
    if (meta.catalogId != catalogId)
        throw reject("was built for another catalog (" + meta.catalogId + ", expected " + catalogId + ")");
    if (meta.key != key)
        throw reject("was built for " + meta.key.toString() + ", expected " + key.toString());
    if (meta.dim != dim)
        throw reject("has dimension " + std::to_string(meta.dim) + ", expected " + std::to_string(dim));
    if (meta.count > meta.elements || meta.M < 2 || meta.M > 10000)
        throw reject("has inconsistent metadata");

    if (const auto problem = fileProblem(path, meta, dim); !problem.empty())
        throw reject(problem);

    auto impl = std::make_unique<Impl>();
    impl->catalogId = catalogId;
    impl->key = key;
    impl->dim = dim;
    impl->params = params;
    impl->params.M = meta.M;
    impl->params.efConstruction = meta.efConstruction;
    impl->space = std::make_unique<CosineSpace>(static_cast<size_t>(dim));
    // hnswlib's loading constructor leaves num_deleted_ (and, if loading fails, everything its
    // destructor frees) uninitialised, so start from a zeroed shell.
    impl->hnsw = std::make_unique<Hnsw>(impl->space.get());
    Hnsw& hn = *impl->hnsw;
    hn.num_deleted_ = 0;
    hn.cur_element_count = 0;
    hn.data_level0_memory_ = nullptr;
    hn.linkLists_ = nullptr;
    hn.visited_list_pool_ = nullptr;
    try {
        hn.loadIndex(path, impl->space.get(), meta.elements + meta.elements / 16 + 1024);
    } catch (const std::exception& e) {
        hn.cur_element_count = 0; // the destructor must not walk half-loaded link lists
        throw reject(std::string("could not be loaded: ") + e.what());
    }
    if (const auto problem = graphProblem(hn); !problem.empty())
        throw reject("has a damaged graph: " + problem);
    int64_t maxLabel = 0;
    for (const auto& [label, internal] : hn.label_lookup_)
        maxLabel = std::max<int64_t>(maxLabel, static_cast<int64_t>(label));
    if (hn.label_lookup_.size() != hn.cur_element_count || hn.cur_element_count - hn.num_deleted_ != meta.count ||
        maxLabel > meta.watermark)
        throw reject("holds " + std::to_string(hn.cur_element_count - hn.num_deleted_) + " live vectors with labels up to " +
                     std::to_string(maxLabel) + ", its metadata says " + std::to_string(meta.count) + " up to " +
                     std::to_string(meta.watermark));
    impl->watermark = meta.watermark;
    hn.setEf(params.efSearch);
    VOP_LOG_INFO(kArea, "loaded index '{}' ({}, {} vectors)", path, key.toString(), meta.count);
    return std::unique_ptr<VectorIndex>(new VectorIndex(std::move(impl)));
}

} // namespace vop::store
