#pragma once
// A small test harness for core tests, so that the model part can be tested on a machine that
// has LibTorch but no Qt (GUI tests use Qt Test). Each test executable is one CTest test;
// it prints every failure with file and line, and a closing "N passed, N failed" line.
//
//   VOP_TEST(tokenizerKeepsApostrophes) { VOP_CHECK_EQ(ids.size(), 5u); }
//   int main(int argc, char** argv) { return vop::test::runAll(argc, argv); }   // or VOP_TEST_MAIN()
#include <cmath>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace vop::test {

struct Case {
    const char* name;
    std::function<void()> fn;
};

inline std::vector<Case>& registry()
{
    static std::vector<Case> cases;
    return cases;
}

struct Registrar {
    Registrar(const char* name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};

struct Failure {
    std::string message;
};

inline int& failuresInCase()
{
    static int n = 0;
    return n;
}

inline void fail(const char* file, int line, const std::string& what, bool fatal)
{
    std::cerr << file << ":" << line << ": FAILED: " << what << std::endl;
    ++failuresInCase();
    if (fatal)
        throw Failure{what};
}

// The folder with the shared fixtures (VOPSEARCH_SHARED_DIR at build time, or $VOPSEARCH_SHARED).
inline std::string sharedDir()
{
    if (const char* env = std::getenv("VOPSEARCH_SHARED"); env && *env)
        return env;
#ifdef VOPSEARCH_SHARED_DIR
    return VOPSEARCH_SHARED_DIR;
#else
    return "../shared";
#endif
}

// Run every registered test, or only those whose name contains argv[1].
inline int runAll(int argc, char** argv)
{
    int passed = 0, failed = 0;
    std::string filter = argc > 1 ? argv[1] : "";
    for (const auto& c : registry()) {
        if (!filter.empty() && std::string(c.name).find(filter) == std::string::npos)
            continue;
        failuresInCase() = 0;
        std::cout << "[ RUN  ] " << c.name << std::endl;
        try {
            c.fn();
        } catch (const Failure&) {
        } catch (const std::exception& e) {
            std::cerr << "  unexpected exception: " << e.what() << std::endl;
            ++failuresInCase();
        } catch (...) {
            std::cerr << "  unexpected non-standard exception" << std::endl;
            ++failuresInCase();
        }
        if (failuresInCase() == 0) {
            ++passed;
            std::cout << "[  OK  ] " << c.name << std::endl;
        } else {
            ++failed;
            std::cout << "[ FAIL ] " << c.name << std::endl;
        }
    }
    std::cout << passed << " passed, " << failed << " failed" << std::endl;
    return failed == 0 && passed > 0 ? 0 : 1;
}

template <typename A, typename B>
std::string describe(const char* ea, const char* eb, const A& a, const B& b)
{
    std::ostringstream ss;
    ss << ea << " == " << eb << " (" << a << " vs " << b << ")";
    return ss.str();
}

} // namespace vop::test

#define VOP_TEST_CONCAT2(a, b) a##b
#define VOP_TEST_CONCAT(a, b) VOP_TEST_CONCAT2(a, b)
#define VOP_TEST(name)                                                                      \
    static void name();                                                                     \
    static ::vop::test::Registrar VOP_TEST_CONCAT(vopTestReg_, name)(#name, &name);         \
    static void name()
#define VOP_TEST_MAIN()                                                                     \
    int main(int argc, char** argv) { return ::vop::test::runAll(argc, argv); }

// CHECK records a failure and goes on; REQUIRE stops the test case.
#define VOP_CHECK(cond)                                                                     \
    do { if (!(cond)) ::vop::test::fail(__FILE__, __LINE__, #cond, false); } while (0)
#define VOP_REQUIRE(cond)                                                                   \
    do { if (!(cond)) ::vop::test::fail(__FILE__, __LINE__, #cond, true); } while (0)
#define VOP_CHECK_EQ(a, b)                                                                  \
    do { const auto& va_ = (a); const auto& vb_ = (b);                                       \
         if (!(va_ == vb_)) ::vop::test::fail(__FILE__, __LINE__, ::vop::test::describe(#a, #b, va_, vb_), false); } while (0)
#define VOP_REQUIRE_EQ(a, b)                                                                \
    do { const auto& va_ = (a); const auto& vb_ = (b);                                       \
         if (!(va_ == vb_)) ::vop::test::fail(__FILE__, __LINE__, ::vop::test::describe(#a, #b, va_, vb_), true); } while (0)
#define VOP_CHECK_NEAR(a, b, tol)                                                           \
    do { double va_ = (a), vb_ = (b);                                                        \
         if (!(std::fabs(va_ - vb_) <= (tol))) ::vop::test::fail(__FILE__, __LINE__,         \
             ::vop::test::describe(#a, #b, va_, vb_) + " within " #tol, false); } while (0)
// Expects `expr` to throw a std::exception whose what() contains `substr`.
#define VOP_CHECK_THROWS_WITH(expr, substr)                                                 \
    do { bool threw_ = false;                                                               \
         try { (void)(expr); } catch (const std::exception& e_) {                           \
             threw_ = true;                                                                 \
             if (std::string(e_.what()).find(substr) == std::string::npos)                  \
                 ::vop::test::fail(__FILE__, __LINE__, std::string(#expr " threw '") + e_.what() + \
                                   "', expected it to mention '" + (substr) + "'", false);  \
         }                                                                                  \
         if (!threw_) ::vop::test::fail(__FILE__, __LINE__, #expr " did not throw", false); \
    } while (0)
