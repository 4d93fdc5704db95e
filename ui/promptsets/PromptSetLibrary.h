#pragma once
// The installed prompt sets are core's (service/PromptSetLibrary.h: the CLI's `prompts list` and
// `prompts install` use the same code); the window's code names them through this header.
#include "service/PromptSetLibrary.h"

namespace vop::ui {
using service::BackboneInfo;
using service::checkFitsBackbone;
using service::describeBackbone;
using service::formatCount;
using service::PromptSetEntry;
using service::PromptSetLibrary;
using service::readCheckpointConfig;
using service::readPromptSetEntry;
} // namespace vop::ui
