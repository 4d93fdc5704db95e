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

void setBlasThreads(int n)
{
    using SetThreadsFn = void (*)(int);
    if (auto fn = reinterpret_cast<SetThreadsFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        fn(n);
}

void ensureFastBlas(char** argv)
{
    if (std::getenv("VOPSEARCH_NO_BLAS_TUNING"))
        return;
    const std::string core = blasCoreName();
    if (core.empty())
        return; // not OpenBLAS
    bool changed = false;
    if (!std::getenv("OPENBLAS_THREAD_TIMEOUT")) {
        ::setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1);
        changed = true;
    }
#if defined(__x86_64__) || defined(__i386__)
    if (!std::getenv("OPENBLAS_CORETYPE") && (core == "Prescott" || core == "prescott")) {
        const char* target = nullptr;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
            target = "SkylakeX";
        else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            target = "Haswell";
        if (target) {
            ::setenv("OPENBLAS_CORETYPE", target, 1);
            changed = true;
        }
    }
#endif
    if (changed)
        ::execv("/proc/self/exe", argv); // returns only on failure: carry on as we are
}

} // namespace vop
