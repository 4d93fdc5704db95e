#include "Interrupt.h"

#include <csignal>

namespace vop::cli {

namespace {
std::atomic<bool> g_interrupted{false};

extern "C" void onInterrupt(int)
{
    g_interrupted = true;
}
} // namespace

std::atomic<bool>& interruptFlag()
{
    return g_interrupted;
}

void installInterruptHandler()
{
    g_interrupted = false;
    struct sigaction sa {};
    sa.sa_handler = onInterrupt;
    sa.sa_flags = SA_RESETHAND; // a second Ctrl-C ends the process at once
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

void restoreDefaultInterrupt()
{
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
}

} // namespace vop::cli
