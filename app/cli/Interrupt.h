#pragma once
// Ctrl-C for long CLI commands (index, train, eval): the first SIGINT/SIGTERM sets a flag that the
// running job polls and finishes cleanly on (work committed so far stays); a second one ends the
// process at once.
#include <atomic>

namespace vop::cli {

std::atomic<bool>& interruptFlag();
void installInterruptHandler();  // clears the flag and installs the handler
void restoreDefaultInterrupt();  // back to the default action (after the job)

} // namespace vop::cli
