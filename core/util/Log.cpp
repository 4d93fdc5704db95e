#include "util/Log.h"

#include <cstdlib>
#include <mutex>

#ifdef VOPSEARCH_HAVE_SPDLOG
#include <spdlog/sinks/stdout_color_sinks.h>
#endif

namespace vop::log {

#ifdef VOPSEARCH_HAVE_SPDLOG
namespace {
std::mutex g_mutex;
spdlog::level::level_enum g_level = [] {
    const char* env = std::getenv("VOPSEARCH_LOG");
    return env ? spdlog::level::from_str(env) : spdlog::level::warn;
}();
}

std::shared_ptr<spdlog::logger> get(const char* area)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    auto logger = spdlog::get(area);
    if (!logger) {
        logger = spdlog::stderr_color_mt(area);
        logger->set_level(g_level);
    }
    return logger;
}

void setLevel(const std::string& level)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    g_level = spdlog::level::from_str(level);
    spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->set_level(g_level); });
}
#else
void setLevel(const std::string&) {}
#endif

} // namespace vop::log
