// Runs the ANN search benchmark by hand (the CLI will have `vopsearch-cli bench search`).
//   store_bench_search [--vectors N] [--dim D] [--M M] [--efc C] [--ef E[,E2,...]] [--queries Q]
//                      [--recall-queries R] [--threads T] [--dir PATH] [--json]
#include "store/SearchBench.h"

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv)
{
    vop::store::SearchBenchOptions o;
    bool json = false;
    std::vector<size_t> efs;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--vectors") o.vectors = std::stoul(next());
        else if (a == "--dim") o.dim = std::stoi(next());
        else if (a == "--M") o.params.M = std::stoul(next());
        else if (a == "--efc") o.params.efConstruction = std::stoul(next());
        else if (a == "--ef") {
            std::stringstream ss(next());
            for (std::string e; std::getline(ss, e, ',');)
                efs.push_back(std::stoul(e));
        }
        else if (a == "--queries") o.latencyQueries = std::stoul(next());
        else if (a == "--recall-queries") o.recallQueries = std::stoul(next());
        else if (a == "--threads") o.params.threads = static_cast<unsigned>(std::stoul(next()));
        else if (a == "--dir") o.workDir = next();
        else if (a == "--json") json = true;
        else {
            std::cerr << "unknown argument " << a << "\n";
            return 2;
        }
    }
    if (efs.empty())
        efs.push_back(o.params.efSearch);
    o.progress = [](const std::string& s) { std::cerr << s << std::endl; };
    try {
        o.params.efSearch = efs[0];
        o.efSweep = std::vector<size_t>(efs.begin() + 1, efs.end());
        auto r = vop::store::runSearchBench(o);
        std::cout << (json ? vop::store::formatSearchBenchJson(r) : vop::store::formatSearchBenchText(r)) << std::endl;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
