#include "util/BlasTuning.h"

#include <cstdlib>
#include <dlfcn.h>
#include <unistd.h>

namespace vop {

std::string blasCoreName()
{
    using CoreNameFn = char* (*)();
    auto fn = reinterpret_cast<CoreNameFn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
    const char* name = fn ? fn() : nullptr;
    return name ? std::string(name) : std::string();
}

void ensureFastBlas(char** argv)
{
    if (std::getenv("OPENBLAS_CORETYPE") || std::getenv("VOPSEARCH_NO_BLAS_TUNING"))
        return;
    const std::string core = blasCoreName();
    if (core != "Prescott" && core != "prescott")
        return; // not OpenBLAS, or it recognised the CPU
#if defined(__x86_64__) || defined(__i386__)
    const char* target = nullptr;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        target = "SkylakeX";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        target = "Haswell";
    if (!target)
        return;
    ::setenv("OPENBLAS_CORETYPE", target, 1);
    ::execv("/proc/self/exe", argv); // returns only on failure: carry on with the slow kernels
#else
    (void)argv;
#endif
}

} // namespace vop
