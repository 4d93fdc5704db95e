#include "model/Checkpoint.h"

#include "model/SafeTensors.h"
#include "model/TorchArchive.h"
#include "util/Error.h"
#include "util/Log.h"

#include <torch/script.h>

#include <cstring>
#include <fstream>
#include <regex>

namespace vop {

namespace {

const char* kExtraNames[] = {"input_resolution", "context_length", "vocab_size"};

bool isExtra(const std::string& name)
{
    for (const char* e : kExtraNames)
        if (name == e) return true;
    return false;
}

torch::Dtype torchDtype(safetensors::DType t, const std::string& name, const std::string& path)
{
    using safetensors::DType;
    switch (t) {
    case DType::F16: return torch::kFloat16;
    case DType::BF16: return torch::kBFloat16;
    case DType::F32: return torch::kFloat32;
    case DType::F64: return torch::kFloat64;
    case DType::I64: return torch::kInt64;
    case DType::I32: return torch::kInt32;
    default:
        throw InputError("tensor '" + name + "' in '" + path + "' has dtype " + safetensors::dtypeName(t) +
                         ", which a CLIP checkpoint does not use");
    }
}

bool startsWithZip(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    in.read(magic, 4);
    return in.gcount() == 4 && std::memcmp(magic, "PK\x03\x04", 4) == 0;
}

Checkpoint readTorchScript(const std::string& path, const TensorFilter& want)
{
    Checkpoint c;
    c.path = path;
    c.format = "torchscript";
    torch::jit::Module m;
    try {
        m = torch::jit::load(path, torch::kCPU);
    } catch (const std::exception& e) {
        std::string what = e.what();
        what = what.substr(0, what.find('\n'));
        throw InputError("'" + path + "' is a zip archive but not a TorchScript checkpoint this LibTorch can read (" +
                         what + ")");
    }
    auto take = [&](const std::string& name, const torch::Tensor& t) {
        if (isExtra(name)) {
            if (t.numel() == 1) c.extras[name] = t.item<int64_t>();
            return;
        }
        c.allShapes[name] = t.sizes().vec();
        if (!want || want(name))
            c.weights[name] = t.detach(); // the tensors own their storage: no copy needed
    };
    for (const auto& p : m.named_parameters(/*recurse=*/true)) take(p.name, p.value);
    for (const auto& b : m.named_buffers(/*recurse=*/true)) take(b.name, b.value);
    // Some archives keep the scalars as plain attributes of the root module.
    for (const char* e : kExtraNames) {
        if (!c.extras.count(e) && m.hasattr(e)) {
            auto v = m.attr(e);
            if (v.isTensor() && v.toTensor().numel() == 1) c.extras[e] = v.toTensor().item<int64_t>();
            else if (v.isInt()) c.extras[e] = v.toInt();
        }
    }
    if (c.allShapes.empty())
        throw InputError("'" + path + "' is a TorchScript archive without parameters: not a CLIP checkpoint");
    return c;
}

torch::Tensor tensorOf(const safetensors::File& file, const safetensors::TensorInfo& info)
{
    const auto dtype = torchDtype(info.dtype, info.name, file.path());
    auto t = torch::empty(info.shape, torch::TensorOptions().dtype(dtype));
    std::memcpy(t.data_ptr(), file.data(info), info.end - info.begin);
    return t;
}

// A view of the tensor in the file's (read-only) mapping, which stays mapped while the tensor
// lives: nothing is read until it is used.
torch::Tensor viewOf(const std::shared_ptr<safetensors::File>& file, const safetensors::TensorInfo& info)
{
    const auto dtype = torchDtype(info.dtype, info.name, file->path());
    return torch::from_blob(const_cast<uint8_t*>(file->data(info)), info.shape, [file](void*) {},
                            torch::TensorOptions().dtype(dtype));
}

Checkpoint readSafeTensorsCheckpoint(const std::string& path, const std::function<bool(double)>& progress,
                                     const TensorFilter& want)
{
    auto file = std::make_shared<safetensors::File>(safetensors::File::open(path));
    Checkpoint c;
    c.path = path;
    c.format = "safetensors";
    c.keepAlive = file; // each view keeps it mapped too (viewOf); this says so to a reader
    bool hf = false;
    for (const auto& info : file->tensors())
        hf = hf || info.name.rfind("vision_model.", 0) == 0 || info.name.rfind("text_model.", 0) == 0;
    size_t done = 0;
    for (const auto& info : file->tensors()) {
        if (isExtra(info.name)) {
            auto t = tensorOf(*file, info);
            if (t.numel() == 1) c.extras[info.name] = t.to(torch::kInt64).item<int64_t>();
        } else {
            c.allShapes[info.name] = info.shape;
            if (hf || !want || want(info.name)) // Hugging Face names: filtered once mapped below
                c.weights[info.name] = viewOf(file, info);
        }
        if (progress && !progress(double(++done) / double(file->tensors().size())))
            throw Cancelled();
    }
    if (c.allShapes.empty())
        throw InputError("safetensors file '" + path + "' holds no tensors");
    if (hf) {
        c.weights = fromHuggingFaceNames(c.weights);
        c.format = "safetensors-hf";
        c.allShapes.clear();
        for (auto it = c.weights.begin(); it != c.weights.end();) {
            c.allShapes[it->first] = it->second.sizes().vec();
            it = !want || want(it->first) ? std::next(it) : c.weights.erase(it);
        }
    }
    return c;
}

} // namespace

ShapeMap Checkpoint::shapes() const
{
    if (!allShapes.empty())
        return allShapes;
    ShapeMap s;
    for (const auto& [name, t] : weights) s[name] = t.sizes().vec();
    return s;
}

Checkpoint readCheckpoint(const std::string& path, const std::function<bool(double)>& progress,
                          const TensorFilter& want)
{
    std::ifstream probe(path, std::ios::binary);
    if (!probe)
        throw InputError("cannot open checkpoint '" + path + "'");
    probe.seekg(0, std::ios::end);
    if (probe.tellg() <= 0)
        throw InputError("checkpoint '" + path + "' is empty");
    probe.close();
    if (startsWithZip(path)) {
        torcharchive::checkFile(path); // the zip structure and its sizes, before LibTorch allocates
        auto c = readTorchScript(path, want);
        if (progress) progress(1.0);
        return c;
    }
    if (safetensors::File::looksLikeSafeTensors(path))
        return readSafeTensorsCheckpoint(path, progress, want);
    throw InputError("'" + path + "' is not a checkpoint: expected an OpenAI TorchScript archive (.pt) or a "
                     "safetensors file");
}

bool looksLikeHuggingFaceNames(const WeightMap& weights)
{
    for (const auto& [name, t] : weights)
        if (name.rfind("vision_model.", 0) == 0 || name.rfind("text_model.", 0) == 0) return true;
    return false;
}

WeightMap fromHuggingFaceNames(const WeightMap& hf)
{
    static const std::map<std::string, std::string> direct = {
        {"text_model.embeddings.token_embedding.weight", "token_embedding.weight"},
        {"text_model.embeddings.position_embedding.weight", "positional_embedding"},
        {"text_model.final_layer_norm.weight", "ln_final.weight"},
        {"text_model.final_layer_norm.bias", "ln_final.bias"},
        {"vision_model.embeddings.class_embedding", "visual.class_embedding"},
        {"vision_model.embeddings.patch_embedding.weight", "visual.conv1.weight"},
        {"vision_model.embeddings.position_embedding.weight", "visual.positional_embedding"},
        {"vision_model.pre_layrnorm.weight", "visual.ln_pre.weight"},
        {"vision_model.pre_layrnorm.bias", "visual.ln_pre.bias"},
        {"vision_model.post_layernorm.weight", "visual.ln_post.weight"},
        {"vision_model.post_layernorm.bias", "visual.ln_post.bias"},
        {"logit_scale", "logit_scale"},
    };
    static const std::map<std::string, std::string> blockParts = {
        {"self_attn.out_proj.weight", "attn.out_proj.weight"}, {"self_attn.out_proj.bias", "attn.out_proj.bias"},
        {"layer_norm1.weight", "ln_1.weight"},                 {"layer_norm1.bias", "ln_1.bias"},
        {"layer_norm2.weight", "ln_2.weight"},                 {"layer_norm2.bias", "ln_2.bias"},
        {"mlp.fc1.weight", "mlp.c_fc.weight"},                 {"mlp.fc1.bias", "mlp.c_fc.bias"},
        {"mlp.fc2.weight", "mlp.c_proj.weight"},               {"mlp.fc2.bias", "mlp.c_proj.bias"},
    };
    static const std::regex layerRe(R"(^(text_model|vision_model)\.encoder\.layers\.(\d+)\.(.+)$)");

    WeightMap out;
    std::map<std::string, std::map<std::string, torch::Tensor>> qkv; // official prefix -> {q_proj.weight: ...}
    for (const auto& [name, t] : hf) {
        if (name.find("position_ids") != std::string::npos)
            continue; // a buffer of indices, not a weight
        if (auto it = direct.find(name); it != direct.end()) {
            out[it->second] = t;
        } else if (name == "text_projection.weight") {
            out["text_projection"] = t.t().contiguous(); // HF Linear [embed, width] -> [width, embed]
        } else if (name == "visual_projection.weight") {
            out["visual.proj"] = t.t().contiguous();
        } else {
            std::smatch m;
            if (!std::regex_match(name, m, layerRe))
                throw InputError("unexpected tensor '" + name + "' in a Hugging Face CLIP checkpoint");
            const std::string prefix = (m[1] == "text_model" ? std::string("transformer.resblocks.")
                                                             : std::string("visual.transformer.resblocks.")) +
                                       m[2].str() + ".";
            const std::string part = m[3];
            if (part.rfind("self_attn.q_proj.", 0) == 0 || part.rfind("self_attn.k_proj.", 0) == 0 ||
                part.rfind("self_attn.v_proj.", 0) == 0) {
                qkv[prefix][part.substr(std::strlen("self_attn."))] = t;
            } else if (auto b = blockParts.find(part); b != blockParts.end()) {
                out[prefix + b->second] = t;
            } else {
                throw InputError("unexpected tensor '" + name + "' in a Hugging Face CLIP checkpoint");
            }
        }
    }
    for (auto& [prefix, parts] : qkv) {
        for (const char* kind : {"weight", "bias"}) {
            std::vector<torch::Tensor> pieces;
            for (const char* p : {"q_proj.", "k_proj.", "v_proj."}) {
                auto it = parts.find(std::string(p) + kind);
                if (it == parts.end())
                    throw InputError("Hugging Face checkpoint lacks the " + std::string(p) + kind +
                                     " tensor of layer '" + prefix + "'");
                pieces.push_back(it->second);
            }
            out[prefix + "attn.in_proj_" + kind] = torch::cat(pieces, 0);
        }
    }
    return out;
}

void writeSafeTensors(const std::string& path, const WeightMap& tensors,
                      const std::map<std::string, std::string>& metadata)
{
    std::vector<safetensors::OutTensor> out;
    for (const auto& [name, t0] : tensors) {
        auto t = t0.detach().to(torch::kCPU).contiguous();
        safetensors::OutTensor o;
        o.name = name;
        switch (t.scalar_type()) {
        case torch::kFloat16: o.dtype = safetensors::DType::F16; break;
        case torch::kBFloat16: o.dtype = safetensors::DType::BF16; break;
        case torch::kFloat32: o.dtype = safetensors::DType::F32; break;
        case torch::kFloat64: o.dtype = safetensors::DType::F64; break;
        case torch::kInt64: o.dtype = safetensors::DType::I64; break;
        case torch::kInt32: o.dtype = safetensors::DType::I32; break;
        default: throw Error("tensor '" + name + "' has a dtype safetensors files here do not store");
        }
        o.shape = t.sizes().vec();
        o.bytes.assign(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
        out.push_back(std::move(o));
    }
    safetensors::write(path, out, metadata);
}

WeightMap readSafeTensors(const std::string& path, std::map<std::string, std::string>* metadata)
{
    auto file = safetensors::File::open(path);
    WeightMap out;
    for (const auto& info : file.tensors()) out[info.name] = tensorOf(file, info);
    if (metadata)
        *metadata = file.metadata();
    return out;
}

void crossCheckExtras(const Checkpoint& ckpt, const ClipConfig& config)
{
    auto check = [&](const char* name, int64_t expected) {
        auto it = ckpt.extras.find(name);
        if (it != ckpt.extras.end() && it->second != expected)
            throw InputError("checkpoint '" + ckpt.path + "' says " + name + " = " + std::to_string(it->second) +
                             " but its weights imply " + std::to_string(expected));
    };
    check("input_resolution", config.imageResolution);
    check("context_length", config.contextLength);
    check("vocab_size", config.vocabSize);
}

} // namespace vop
