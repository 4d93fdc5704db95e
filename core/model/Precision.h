#pragma once
// Numeric precision of the CPU encoder, per tower (issue 12). fp32 is the reference and stays
// bit-for-bit what the parity tests check; a reduced precision is used only where it passed
// the quality gate (cosine >= 0.99 to fp32 per embedding, R@1 within 2 points; see
// docs/BENCHMARKS.md). `Auto` resolves when the model loads to the fastest precision this
// machine runs correctly for that tower. CUDA keeps its own fp16 switch (halfOnCuda).
#include <optional>
#include <string>
#include <string_view>

namespace vop {

enum class Precision { Auto, Fp32, Int8 };

inline const char* precisionName(Precision p)
{
    switch (p) {
    case Precision::Auto: return "auto";
    case Precision::Fp32: return "fp32";
    case Precision::Int8: return "int8";
    }
    return "auto";
}

// "auto" | "fp32" | "int8" -> Precision; nullopt for anything else (callers say what is allowed).
inline std::optional<Precision> parsePrecision(std::string_view s)
{
    if (s == "auto") return Precision::Auto;
    if (s == "fp32") return Precision::Fp32;
    if (s == "int8") return Precision::Int8;
    return std::nullopt;
}

} // namespace vop
