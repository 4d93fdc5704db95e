#pragma once
// Runs vopsearch-cli (or any command) in a child process and collects its standard output and
// exit code: the one popen runner of the test executables.
#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <sys/wait.h>

namespace vop::test {

struct CliRun {
    int code = -1;
    std::string out;
    double seconds = 0;
};

// `program args`, stderr dropped unless `withStderr` (then merged into out).
inline CliRun runCommand(const std::string& program, const std::string& args, bool withStderr = false)
{
    const std::string cmd = program + " " + args + (withStderr ? " 2>&1" : " 2>/dev/null");
    CliRun r;
    const auto t0 = std::chrono::steady_clock::now();
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p)
        return r;
    std::array<char, 65536> buf{};
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
        r.out.append(buf.data(), n);
    const int status = ::pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

} // namespace vop::test
