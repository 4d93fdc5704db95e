#pragma once
// A local HTTP file server for download tests: runs tests/service/range_server.py (python3,
// standard library) on 127.0.0.1 with a free port, serving the files of one folder with byte
// ranges. The process is started here and ended here (by its pid) when the object goes away.
//
//   vop::test::LocalHttpServer server(folder, {"--rate", "200000"});
//   server.url("model.bin");      // http://127.0.0.1:PORT/model.bin
//   server.requests();            // lines "GET /model.bin range=bytes=1048576-"
#include "TestFiles.h"

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#ifndef VOP_RANGE_SERVER_SCRIPT
#error "define VOP_RANGE_SERVER_SCRIPT (the path of tests/service/range_server.py)"
#endif

namespace vop::test {

class LocalHttpServer {
public:
    LocalHttpServer(const std::string& root, const std::vector<std::string>& extra = {})
    {
        static int serial = 0;
        const std::string base = runTempDir() + "/http-" + std::to_string(::getpid()) + "-" + std::to_string(++serial);
        m_portFile = base + ".port";
        m_log = base + ".log";
        std::vector<std::string> argv = {"python3", VOP_RANGE_SERVER_SCRIPT, "--root", root,
                                         "--port-file", m_portFile, "--log", m_log};
        argv.insert(argv.end(), extra.begin(), extra.end());
        m_pid = ::fork();
        if (m_pid < 0)
            throw std::runtime_error("fork failed");
        if (m_pid == 0) {
            std::vector<char*> cargv;
            for (auto& a : argv)
                cargv.push_back(a.data());
            cargv.push_back(nullptr);
            ::execvp("python3", cargv.data());
            ::_exit(127);
        }
        for (int i = 0; i < 300; ++i) { // up to 30 s on a loaded machine
            std::ifstream in(m_portFile);
            if (in >> m_port)
                return;
            int status = 0;
            if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
                m_pid = -1;
                throw std::runtime_error("the test HTTP server exited at start");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        stop();
        throw std::runtime_error("the test HTTP server did not start");
    }
    ~LocalHttpServer() { stop(); }
    LocalHttpServer(const LocalHttpServer&) = delete;
    LocalHttpServer& operator=(const LocalHttpServer&) = delete;

    int port() const { return m_port; }
    std::string url(const std::string& name) const
    {
        return "http://127.0.0.1:" + std::to_string(m_port) + "/" + name;
    }
    std::vector<std::string> requests() const
    {
        std::vector<std::string> lines;
        std::ifstream in(m_log);
        for (std::string l; std::getline(in, l);)
            lines.push_back(l);
        return lines;
    }
    void stop()
    {
        if (m_pid > 0) {
            ::kill(m_pid, SIGTERM);
            int status = 0;
            ::waitpid(m_pid, &status, 0);
            m_pid = -1;
        }
    }

private:
    pid_t m_pid = -1;
    int m_port = 0;
    std::string m_portFile, m_log;
};

// A manifest row (tab-separated) for tests: name, file, url, sha256, size.
inline std::string manifestRow(const std::string& name, const std::string& file, const std::string& url,
                               const std::string& sha256, long long size)
{
    return name + "\t" + file + "\t" + url + "\t" + sha256 + "\t" + std::to_string(size) + "\n";
}

} // namespace vop::test
