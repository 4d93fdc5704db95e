#pragma once
// Command registry of vopsearch-cli. A command file registers itself:
//   static vop::cli::Command reg{"encode", "encode images and texts to JSON", usage, &runEncode};
// A command returns the process exit code: 0 when its run completed, 2 for usage errors or when
// nothing could run, 1 for other failures. It throws UsageError for bad arguments and any
// std::exception for failures; main() prints them as "vopsearch-cli: error: ...".
#include "Args.h"

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace vop::cli {

using CommandFn = std::function<int(const std::vector<std::string>& args)>;

struct Command {
    Command(std::string name, std::string summary, std::string usage, CommandFn fn);
    std::string name, summary, usage;
    CommandFn fn;
};

std::vector<const Command*>& commands();

// Print JSON to stdout with a trailing newline.
void printJson(const std::string& json);

// "1:05", "1:02:03" (negative or not finite: 0:00).
std::string clockTime(double seconds);

} // namespace vop::cli
