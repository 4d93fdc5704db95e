#pragma once
// The device the model tests run on: $VOPSEARCH_TEST_DEVICE ("cpu" when unset; "cuda", "cuda:N"),
// so that tools/gpu-check.sh runs the same tests on a GPU. Throws when CUDA is asked for and
// absent. Needs torch and vop_model.
#include "model/Device.h"

#include <cstdlib>
#include <string>

namespace vop::test {

inline torch::Device testDevice()
{
    const char* env = std::getenv("VOPSEARCH_TEST_DEVICE");
    return vop::resolveDevice(env && *env ? env : "cpu");
}

} // namespace vop::test
