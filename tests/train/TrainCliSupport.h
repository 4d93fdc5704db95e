#pragma once
// vopsearch-cli as the training tests run it: stdout and stderr apart, stderr shown with
// VOP_TEST_VERBOSE=1. The test target defines VOPSEARCH_CLI (the built binary).
#include "CliRunner.h"
#include "TrainTestSupport.h"

#include <cstdlib>
#include <iostream>
#include <string>

namespace vop::test::train {

using Run = vop::test::CliRun;

inline Run cli(const std::string& args)
{
    Run r = vop::test::runCommandSplit(VOPSEARCH_CLI, args, tempDir() + "/stdout.txt");
    if (std::getenv("VOP_TEST_VERBOSE")) std::cerr << "  stderr of " << args.substr(0, 60) << "...:\n" << r.err << "\n";
    return r;
}

} // namespace vop::test::train
