#include "Commands.h"

#include "util/BlasTuning.h"
#include "util/Error.h"
#include "util/Log.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace vop::cli {

Command::Command(std::string n, std::string s, std::string u, CommandFn f)
    : name(std::move(n)), summary(std::move(s)), usage(std::move(u)), fn(std::move(f))
{
    commands().push_back(this);
}

std::vector<const Command*>& commands()
{
    static std::vector<const Command*> list;
    return list;
}

void printJson(const std::string& json)
{
    std::cout << json << std::endl;
}

std::string clockTime(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        seconds = 0;
    const long s = std::lround(seconds);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
    return buf;
}

} // namespace vop::cli

namespace {

void printHelp()
{
    auto cmds = vop::cli::commands();
    std::sort(cmds.begin(), cmds.end(), [](auto a, auto b) { return a->name < b->name; });
    std::cout << "vopsearch-cli: search your video library with words (CLIP + VoP prompts)\n\n"
                 "usage: vopsearch-cli COMMAND [options]\n\ncommands:\n";
    for (auto c : cmds)
        std::cout << "  " << c->name << std::string(c->name.size() < 14 ? 14 - c->name.size() : 1, ' ')
                  << c->summary << "\n";
    std::cout << "\n'vopsearch-cli help COMMAND' shows a command's options.\n";
}

// Whether a command multiplies big matrices (image tower, training, benchmarks). The others (a
// text query: a few small products, int8 where the CPU allows; catalog work) lose more to
// ensureFastBlas re-executing the program (a second start of torch's 289 libraries, ~0.45 s of CPU
// here) than faster OpenBLAS kernels could give them back (docs/BENCHMARKS.md, issue 12).
bool needsFastBlas(const std::vector<std::string>& args)
{
    if (args.empty())
        return false;
    auto has = [&](const std::string& opt) {
        for (const auto& a : args)
            if (a == opt || a.rfind(opt + "=", 0) == 0) return true;
        return false;
    };
    const std::string& command = args[0];
    if (command == "search")
        return has("--like-video");
    if (command == "encode")
        return has("--image") || has("--frames") || has("--video");
    for (const char* light : {"help", "--help", "-h", "status", "prompt-sets", "models", "variants", "prompts"})
        if (command == light) return false;
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    if (needsFastBlas(args))
        vop::ensureFastBlas(argv);
    if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
        if (args.size() >= 2) {
            for (auto c : vop::cli::commands())
                if (c->name == args[1]) {
                    std::cout << c->usage << "\n";
                    return 0;
                }
        }
        printHelp();
        return args.empty() ? 2 : 0;
    }
    const std::string name = args[0];
    args.erase(args.begin());
    for (auto c : vop::cli::commands()) {
        if (c->name != name)
            continue;
        if (std::find(args.begin(), args.end(), "--help") != args.end()) {
            std::cout << c->usage << "\n";
            return 0;
        }
        try {
            return c->fn(args);
        } catch (const vop::cli::UsageError& e) {
            std::cerr << "vopsearch-cli " << name << ": " << e.what() << "\n\n" << c->usage << "\n";
            return 2;
        } catch (const vop::InputError& e) {
            std::cerr << "vopsearch-cli " << name << ": error: " << e.what() << "\n";
            return 2;
        } catch (const std::exception& e) {
            std::cerr << "vopsearch-cli " << name << ": error: " << e.what() << "\n";
            return 1;
        }
    }
    std::cerr << "vopsearch-cli: unknown command '" << name << "'\n\n";
    printHelp();
    return 2;
}
