#pragma once
// Prompt-set files: safetensors holding only a variant's trainable tensors, with metadata that
// says which variant and hyper-parameters, which backbone (sha256 of the checkpoint and its
// shape summary), where it came from (dataset, size, epochs, metrics, date) and a format
// version. Written atomically. Loading refuses a file for another backbone or variant, or with a
// mis-shaped tensor, with a message that says which. Needs torch: code that only reads a prompt
// set's metadata or checks a file includes prompts/PromptSetInfo.h instead.
#include "prompts/PromptSetInfo.h"
#include "prompts/VopModel.h"

#include <map>
#include <string>

namespace vop {

void savePromptSet(const std::string& path, VopPromptsImpl& prompts, const BackboneIdentity& backbone,
                   const std::map<std::string, std::string>& provenance = {});

// Builds the prompt module from the file for `config`, after checking the backbone: its shape
// must equal `config`, and when both sides know the checkpoint sha256 those must be equal too.
// `expectVariant` (optional) must match the file's variant.
VopPrompts loadPromptSet(const std::string& path, const ClipConfig& config, const BackboneIdentity& backbone,
                         const std::string& expectVariant = "");

} // namespace vop
