#include "model/Int8Linear.h"

#include "util/Error.h"

#include <ATen/Context.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/torch.h>

#include <cstdlib>
#include <mutex>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#endif

namespace vop {

namespace {

c10::OperatorHandle quantizedOp(const char* name)
{
    return c10::Dispatcher::singleton().findSchemaOrThrow(name, "");
}

// oneDNN first: it has the x86 kernels (AVX2, AVX-512, VNNI); QNNPACK is the ARM engine and
// ran 2-3x slower than oneDNN on the project's x86 machine (docs/BENCHMARKS.md).
at::QEngine pickEngine()
{
    const auto engines = at::globalContext().supportedQEngines();
    for (auto want : {at::QEngine::ONEDNN, at::QEngine::QNNPACK})
        for (auto e : engines)
            if (e == want)
                return e;
    return at::QEngine::NoQEngine;
}

at::QEngine engine()
{
    static std::once_flag once;
    static at::QEngine chosen = at::QEngine::NoQEngine;
    std::call_once(once, [] {
        // oneDNN's AMX kernels died with SIGILL on the project's Sapphire Rapids VM (bf16; the
        // hypervisor does not grant AMX): on AMX CPUs keep its kernels at AVX-512 VNNI unless the
        // user says otherwise. oneDNN reads this when it first dispatches, after this point
        // unless something ran through oneDNN before the first int8 layer was packed.
        if (cpuHasAmx())
            ::setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_VNNI", /*overwrite=*/0);
        chosen = pickEngine();
        if (chosen != at::QEngine::NoQEngine)
            at::globalContext().setQEngine(chosen);
    });
    return chosen;
}

} // namespace

bool cpuHasVnni()
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni");
#else
    return false;
#endif
}

bool cpuHasAmx()
{
#if defined(__x86_64__) && defined(__GNUC__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return false;
    return (d >> 24) & 1u; // AMX-TILE
#else
    return false;
#endif
}

std::string int8Engine()
{
    switch (engine()) {
    case at::QEngine::ONEDNN: return "onednn";
    case at::QEngine::QNNPACK: return "qnnpack";
    default: return "";
    }
}

Int8Linear::Int8Linear(const torch::Tensor& weight, const torch::Tensor& bias)
{
    if (int8Engine().empty())
        throw Error("int8 needs a quantized engine (oneDNN or QNNPACK), and this LibTorch has none");
    torch::NoGradGuard noGrad;
    auto w = weight.detach().to(torch::kFloat32).contiguous();                   // [N, K]
    auto scales = (w.abs().amax(1) / 127.0).clamp_min(1e-12).to(torch::kDouble); // [N]
    auto zeros = torch::zeros({w.size(0)}, torch::kLong);                        // [N]
    auto q = torch::quantize_per_channel(w, scales, zeros, 0, torch::kQInt8);    // [N, K] int8
    c10::optional<at::Tensor> b;
    if (bias.defined())
        b = bias.detach().to(torch::kFloat32).contiguous();
    torch::jit::Stack stack{q, b};
    static const auto prepack = quantizedOp("quantized::linear_prepack");
    prepack.callBoxed(&stack);
    m_packed = std::move(stack.at(0));
    // Without VNNI, x86 int8 kernels add pairs of u8*s8 products in int16 (vpmaddubsw), which
    // can saturate; activations quantised to 7 bits cannot. With VNNI the sums are 32-bit.
    m_reduceRange = !cpuHasVnni();
}

torch::Tensor Int8Linear::operator()(const torch::Tensor& x) const
{
    torch::jit::Stack stack{x.contiguous(), m_packed, m_reduceRange};
    static const auto dynamic = quantizedOp("quantized::linear_dynamic");
    dynamic.callBoxed(&stack);
    return stack.at(0).toTensor();
}

} // namespace vop
