#pragma once
// Runs vopsearch-cli (or any shell command) in a child process and collects its output and exit
// code: the one popen runner of the test executables.
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>

namespace vop::test {

struct CliRun {
    int code = -1;
    std::string out;  // standard output (with stderr merged in when asked)
    std::string err;  // standard error, when kept apart (runCommandSplit)
    double seconds = 0;
};

// `cmd` through /bin/sh exactly as given; collects its standard output.
inline CliRun runShell(const std::string& cmd)
{
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

// `program args`, stderr dropped unless `withStderr` (then merged into out).
inline CliRun runCommand(const std::string& program, const std::string& args, bool withStderr = false)
{
    return runShell(program + " " + args + (withStderr ? " 2>&1" : " 2>/dev/null"));
}

// `program args` with stdout and stderr apart; `stdoutFile` is a scratch file for stdout.
inline CliRun runCommandSplit(const std::string& program, const std::string& args, const std::string& stdoutFile)
{
    CliRun r = runShell(program + " " + args + " 2>&1 >" + stdoutFile);
    r.err = std::move(r.out);
    std::ifstream in(stdoutFile);
    r.out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return r;
}

} // namespace vop::test
