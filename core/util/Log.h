#pragma once
// One logger per area (model, media, store, train, ui, library, search). spdlog when it is
// available; a plain stderr logger otherwise, so the model part builds with LibTorch alone.
#include <string>

#ifdef VOPSEARCH_HAVE_SPDLOG
#include <spdlog/spdlog.h>
#include <memory>
namespace vop::log {
std::shared_ptr<spdlog::logger> get(const char* area);
}
#define VOP_LOG_INFO(area, ...) ::vop::log::get(area)->info(__VA_ARGS__)
#define VOP_LOG_WARN(area, ...) ::vop::log::get(area)->warn(__VA_ARGS__)
#define VOP_LOG_ERROR(area, ...) ::vop::log::get(area)->error(__VA_ARGS__)
#define VOP_LOG_DEBUG(area, ...) ::vop::log::get(area)->debug(__VA_ARGS__)
#else
#include <cstdio>
#define VOP_LOG_INFO(area, fmt, ...) ((void)0)
#define VOP_LOG_DEBUG(area, fmt, ...) ((void)0)
#define VOP_LOG_WARN(area, fmt, ...) std::fprintf(stderr, "[%s] warning: %s\n", area, fmt)
#define VOP_LOG_ERROR(area, fmt, ...) std::fprintf(stderr, "[%s] error: %s\n", area, fmt)
#endif

namespace vop::log {
// Level for every area logger: "debug", "info", "warn", "error", "off". Default "warn" so the
// CLI's stdout/stderr stay readable; VOPSEARCH_LOG overrides it.
void setLevel(const std::string& level);
}
