#pragma once
// The prompt hyper-parameter options shared by `prompts new`, `variants` and `train`.
#include "Args.h"

#include "prompts/Variant.h"

#include <set>
#include <string>

namespace vop::cli {

// --variant --text-length --visual-length --video-length --frames --depth --split-depth
// --context --init-std
const std::set<std::string>& promptOptionNames();

// Options read from `args`; the paper's defaults for those not given.
PromptOptions promptOptionsFrom(const Args& args);

} // namespace vop::cli
