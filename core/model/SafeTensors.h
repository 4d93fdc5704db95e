#pragma once
// The safetensors format, read and written without torch: 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}},
// then the raw little-endian data. Reading memory-maps the file; every offset and size is
// checked against the file before any byte is touched, so a truncated or lying file is an
// InputError, never a crash.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vop::safetensors {

enum class DType { F16, BF16, F32, F64, I64, I32, I16, I8, U8, BOOL };

std::string dtypeName(DType t);
size_t dtypeSize(DType t);

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    uint64_t begin = 0; // offsets inside the data section
    uint64_t end = 0;
    int64_t numel() const;
};

class File {
public:
    // Throws InputError naming the file and what is wrong with it.
    static File open(const std::string& path);
    File(File&&) noexcept;
    File& operator=(File&&) noexcept;
    ~File();

    const std::string& path() const { return m_path; }
    const std::vector<TensorInfo>& tensors() const { return m_tensors; }
    const TensorInfo* find(const std::string& name) const;
    const uint8_t* data(const TensorInfo& t) const; // points into the mapping
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }

    // True when the file starts like a safetensors file (a plausible header length and '{').
    static bool looksLikeSafeTensors(const std::string& path);

private:
    File() = default;
    std::string m_path;
    std::vector<TensorInfo> m_tensors;
    std::map<std::string, std::string> m_metadata;
    struct Mapping;
    std::unique_ptr<Mapping> m_map;
    const uint8_t* m_data = nullptr; // start of the data section
};

struct OutTensor {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    std::string bytes; // numel * dtypeSize(dtype) bytes, little-endian
};

// Serialises tensors (sorted by name, 8-byte aligned header) and metadata.
std::string serialize(const std::vector<OutTensor>& tensors, const std::map<std::string, std::string>& metadata);
// serialize() + writeFileAtomic().
void write(const std::string& path, const std::vector<OutTensor>& tensors,
           const std::map<std::string, std::string>& metadata);

} // namespace vop::safetensors
