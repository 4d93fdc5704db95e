// vopsearch-cli prompt-sets list|install|rename|remove|export: the installed prompt sets, as the
// window's prompt-set manager shows them (core/service/PromptSetLibrary.h, the same code).
#include "Commands.h"

#include "prompts/Variant.h"
#include "service/PromptSetLibrary.h"
#include "util/Error.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace vop::cli {
namespace {

const char* kUsage =
    "usage: vopsearch-cli prompt-sets list [--json] [--dir DIR]\n"
    "       vopsearch-cli prompt-sets install FILE [--name NAME] [--dir DIR]\n"
    "       vopsearch-cli prompt-sets rename NAME NEW-NAME [--dir DIR]\n"
    "       vopsearch-cli prompt-sets remove NAME [--dir DIR]\n"
    "       vopsearch-cli prompt-sets export NAME FILE [--dir DIR]\n"
    "The installed prompt sets (default folder: the user's data folder, prompts/), as the window's\n"
    "prompt-set manager shows them. install checks the file first (a damaged file or one that is not a\n"
    "prompt set is refused with the reason). Use a set with --prompts PATH (list prints the paths).";

std::string pathOf(const service::PromptSetLibrary& lib, const std::string& name)
{
    for (const auto& e : lib.list())
        if (!e.builtIn() && e.name == name)
            return e.path;
    throw InputError("no installed prompt set named '" + name + "' in " + lib.dir() +
                     " (vopsearch-cli prompt-sets list shows them)");
}

int run(const std::vector<std::string>& argv)
{
    if (argv.empty())
        throw UsageError("prompt-sets needs list, install, rename, remove or export");
    const std::string sub = argv[0];
    Args a(std::vector<std::string>(argv.begin() + 1, argv.end()), {"dir", "name"}, {"json"});
    const auto& pos = a.positionals();
    service::PromptSetLibrary lib(a.get("dir"));
    auto need = [&](size_t n) {
        if (pos.size() != n)
            throw UsageError("prompt-sets " + sub + " takes " + std::to_string(n) + " argument(s)");
    };
    if (sub == "list") {
        need(0);
        nlohmann::json out = nlohmann::json::array();
        for (const auto& e : lib.list()) {
            if (a.has("json")) {
                out.push_back({{"name", e.name}, {"path", e.path}, {"variant", variantName(e.options.variant)},
                               {"parameters", e.parameters}, {"backbone_shape", e.backboneShape},
                               {"provenance", e.provenance}, {"problem", e.problem}});
                continue;
            }
            if (e.builtIn())
                std::printf("%-24s built in (zero-shot CLIP, no prompts)\n", e.name.c_str());
            else if (!e.problem.empty())
                std::printf("%-24s unusable: %s\n", e.name.c_str(), e.problem.c_str());
            else
                std::printf("%-24s %s, %s parameters  %s\n", e.name.c_str(), variantDisplayName(e.options.variant).c_str(),
                            service::formatCount(e.parameters).c_str(), e.path.c_str());
        }
        if (a.has("json"))
            printJson(out.dump(2));
        return 0;
    }
    if (sub == "install") {
        need(1);
        std::printf("installed %s\n", lib.install(pos[0], a.get("name")).c_str());
        return 0;
    }
    if (sub == "rename") {
        need(2);
        std::printf("renamed to %s\n", lib.rename(pathOf(lib, pos[0]), pos[1]).c_str());
        return 0;
    }
    if (sub == "remove") {
        need(1);
        lib.remove(pathOf(lib, pos[0]));
        std::printf("removed %s\n", pos[0].c_str());
        return 0;
    }
    if (sub == "export") {
        need(2);
        service::PromptSetLibrary::exportTo(pathOf(lib, pos[0]), pos[1]);
        std::printf("wrote %s\n", pos[1].c_str());
        return 0;
    }
    throw UsageError("unknown prompt-sets command '" + sub + "'");
}

Command reg{"prompt-sets", "the installed prompt sets: list, install, rename, remove, export", kUsage, &run};

} // namespace
} // namespace vop::cli
