#include "model/SafeTensors.h"

#include "util/AtomicFile.h"
#include "util/Error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vop::safetensors {

namespace {

struct DTypeEntry {
    const char* name;
    DType type;
    size_t size;
};
constexpr DTypeEntry kDTypes[] = {
    {"F16", DType::F16, 2}, {"BF16", DType::BF16, 2}, {"F32", DType::F32, 4}, {"F64", DType::F64, 8},
    {"I64", DType::I64, 8}, {"I32", DType::I32, 4},   {"I16", DType::I16, 2}, {"I8", DType::I8, 1},
    {"U8", DType::U8, 1},   {"BOOL", DType::BOOL, 1},
};

constexpr uint64_t kMaxHeader = 100ull << 20; // the format's own limit is 100 MB

} // namespace

std::string dtypeName(DType t)
{
    for (const auto& e : kDTypes)
        if (e.type == t) return e.name;
    return "?";
}

size_t dtypeSize(DType t)
{
    for (const auto& e : kDTypes)
        if (e.type == t) return e.size;
    return 0;
}

int64_t TensorInfo::numel() const
{
    int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

struct File::Mapping {
    void* addr = nullptr;
    size_t size = 0;
    ~Mapping()
    {
        if (addr && addr != MAP_FAILED) ::munmap(addr, size);
    }
};

File::File(File&&) noexcept = default;
File& File::operator=(File&&) noexcept = default;
File::~File() = default;

bool File::looksLikeSafeTensors(const std::string& path)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    uint8_t buf[9] = {};
    ssize_t n = ::read(fd, buf, sizeof buf);
    struct stat st {};
    ::fstat(fd, &st);
    ::close(fd);
    if (n < 9) return false;
    uint64_t len = 0;
    for (int i = 7; i >= 0; --i) len = (len << 8) | buf[i];
    return len > 1 && len <= kMaxHeader && buf[8] == '{';
}

File File::open(const std::string& path)
{
    File f;
    f.m_path = path;
    const std::string where = "safetensors file '" + path + "'";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw InputError("cannot open " + where + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw InputError(where + " is not a regular file");
    }
    const uint64_t fileSize = uint64_t(st.st_size);
    if (fileSize < 8) {
        ::close(fd);
        throw InputError(where + " is truncated: " + std::to_string(fileSize) + " bytes, less than its 8-byte header length");
    }
    f.m_map = std::make_unique<Mapping>();
    f.m_map->size = size_t(fileSize);
    f.m_map->addr = ::mmap(nullptr, f.m_map->size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (f.m_map->addr == MAP_FAILED)
        throw InputError("cannot map " + where + ": " + std::strerror(errno));
    const auto* base = static_cast<const uint8_t*>(f.m_map->addr);

    uint64_t headerLen = 0;
    for (int i = 7; i >= 0; --i) headerLen = (headerLen << 8) | base[i];
    if (headerLen > kMaxHeader || headerLen > fileSize - 8)
        throw InputError(where + " is truncated or not safetensors: header length " + std::to_string(headerLen) +
                         " but the file has " + std::to_string(fileSize) + " bytes");
    const uint64_t dataSize = fileSize - 8 - headerLen;
    f.m_data = base + 8 + headerLen;

    nlohmann::json header;
    try {
        header = nlohmann::json::parse(reinterpret_cast<const char*>(base + 8),
                                       reinterpret_cast<const char*>(base + 8 + headerLen));
    } catch (const std::exception& e) {
        throw InputError(where + " has a header that is not valid JSON (" + std::string(e.what()) + ")");
    }
    if (!header.is_object())
        throw InputError(where + " has a header that is not a JSON object");

    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (!it->is_object())
                throw InputError(where + ": __metadata__ is not an object");
            for (auto m = it->begin(); m != it->end(); ++m)
                f.m_metadata[m.key()] = m->is_string() ? m->get<std::string>() : m->dump();
            continue;
        }
        const std::string tname = "tensor '" + it.key() + "' in " + where;
        const auto& v = *it;
        if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
            throw InputError(tname + " lacks dtype, shape or data_offsets");
        TensorInfo t;
        t.name = it.key();
        const std::string dt = v["dtype"].is_string() ? v["dtype"].get<std::string>() : v["dtype"].dump();
        const auto* entry = std::find_if(std::begin(kDTypes), std::end(kDTypes),
                                         [&](const DTypeEntry& e) { return dt == e.name; });
        if (entry == std::end(kDTypes))
            throw InputError(tname + " has unknown dtype '" + dt + "' (supported: F16, BF16, F32, F64, I64, I32, I16, I8, U8, BOOL)");
        t.dtype = entry->type;
        if (!v["shape"].is_array())
            throw InputError(tname + " has a shape that is not a list");
        for (const auto& d : v["shape"]) {
            if (!d.is_number_integer() || d.get<int64_t>() < 0)
                throw InputError(tname + " has an invalid dimension in its shape");
            t.shape.push_back(d.get<int64_t>());
        }
        const auto& off = v["data_offsets"];
        if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
            throw InputError(tname + " has invalid data_offsets");
        t.begin = off[0].get<uint64_t>();
        t.end = off[1].get<uint64_t>();
        if (t.begin > t.end || t.end > dataSize)
            throw InputError(tname + " points outside the file: bytes [" + std::to_string(t.begin) + ", " +
                             std::to_string(t.end) + ") of a " + std::to_string(dataSize) +
                             "-byte data section (truncated file?)");
        // The element count times the dtype size, refusing a product that overflows 64 bits: a
        // wrapped product could otherwise equal the stored byte count and pass the check below.
        // The element count must fit int64 too (numel(), torch's sizes), even when a zero
        // dimension makes the byte count 0.
        uint64_t expect = entry->size;
        int64_t elements = 1;
        for (auto d : t.shape)
            if (__builtin_mul_overflow(expect, uint64_t(d), &expect) || __builtin_mul_overflow(elements, d, &elements))
                throw InputError(tname + " has shape " + shapeString(t.shape) +
                                 ", whose size overflows 64 bits (a damaged or crafted file)");
        if (t.end - t.begin != expect)
            throw InputError(tname + " has " + std::to_string(t.end - t.begin) + " bytes but shape " +
                             shapeString(t.shape) + " of " + dt + " needs " + std::to_string(expect));
        f.m_tensors.push_back(std::move(t));
    }
    std::sort(f.m_tensors.begin(), f.m_tensors.end(),
              [](const TensorInfo& a, const TensorInfo& b) { return a.begin < b.begin; });
    return f;
}

const TensorInfo* File::find(const std::string& name) const
{
    for (const auto& t : m_tensors)
        if (t.name == name) return &t;
    return nullptr;
}

const uint8_t* File::data(const TensorInfo& t) const
{
    return m_data + t.begin;
}

std::string serialize(const std::vector<OutTensor>& tensorsIn, const std::map<std::string, std::string>& metadata)
{
    std::vector<const OutTensor*> tensors;
    for (const auto& t : tensorsIn) tensors.push_back(&t);
    std::sort(tensors.begin(), tensors.end(), [](auto a, auto b) { return a->name < b->name; });

    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) {
        nlohmann::ordered_json meta = nlohmann::ordered_json::object();
        for (const auto& [k, v] : metadata) meta[k] = v;
        header["__metadata__"] = meta;
    }
    uint64_t offset = 0;
    for (const auto* t : tensors) {
        int64_t numel = 1;
        for (auto d : t->shape) numel *= d;
        if (uint64_t(numel) * dtypeSize(t->dtype) != t->bytes.size())
            throw Error("tensor '" + t->name + "': " + std::to_string(t->bytes.size()) + " bytes do not match shape " +
                        shapeString(t->shape));
        header[t->name] = {{"dtype", dtypeName(t->dtype)},
                           {"shape", t->shape},
                           {"data_offsets", {offset, offset + t->bytes.size()}}};
        offset += t->bytes.size();
    }
    std::string h = header.dump();
    while ((8 + h.size()) % 8 != 0) h += ' ';
    std::string out;
    out.reserve(8 + h.size() + offset);
    uint64_t len = h.size();
    for (int i = 0; i < 8; ++i) out += char((len >> (8 * i)) & 0xff);
    out += h;
    for (const auto* t : tensors) out += t->bytes;
    return out;
}

void write(const std::string& path, const std::vector<OutTensor>& tensors, const std::map<std::string, std::string>& metadata)
{
    writeFileAtomic(path, serialize(tensors, metadata));
}

} // namespace vop::safetensors
