// vopsearch-cli models list|fetch: the model files of the manifest and their download into the
// user's model folder (the same core download as the window's first-run dialog).
#include "Commands.h"
#include "Interrupt.h"

#include "service/ModelDownload.h"
#include "util/Paths.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>
#include <unistd.h>

namespace vop::cli {
namespace {

const char* kUsage =
    "usage: vopsearch-cli models list [--manifest FILE] [--dir DIR] [--json]\n"
    "       vopsearch-cli models fetch [NAME...] [--manifest FILE] [--dir DIR] [--quiet]\n"
    "list:  the downloadable model files (models/manifest.tsv) and whether each is in the folder.\n"
    "fetch: downloads NAME (default: vit-b-32, CLIP ViT-B/32) into the folder, resuming an\n"
    "       unfinished download (FILE.part) and verifying its sha256 before putting it in place;\n"
    "       a file already there and verified is kept. Ctrl-C stops and keeps the part for later.\n"
    "  --manifest FILE   the list of models (default: the installed or source-tree manifest.tsv,\n"
    "                    or $VOPSEARCH_MODEL_MANIFEST)\n"
    "  --dir DIR         where models go (default: ${XDG_DATA_HOME:-~/.local/share}/vopsearch/models)\n"
    "The BPE vocabulary ships with vopsearch; only checkpoints need fetching.";

std::string manifestPath(const Args& a)
{
    return a.has("manifest") ? a.get("manifest") : service::defaultManifestPath();
}

// Where a file that is not in the download folder is found anyway (another model folder, or
// the copy of the BPE vocabulary that ships with the program); "" when nowhere.
std::string foundElsewhere(const service::ModelEntry& e)
{
    if (!e.isCheckpoint()) {
        try {
            return e.file == "bpe_simple_vocab_16e6.txt.gz" ? paths::resolveBpeVocab("") : std::string();
        } catch (const std::exception&) {
            return {};
        }
    }
    return paths::findModelFile(e.file);
}

int runList(const Args& a)
{
    const auto path = manifestPath(a);
    const auto manifest = service::readModelManifest(path);
    const std::string dir = a.get("dir", service::defaultDownloadDir());
    if (a.has("json")) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& e : manifest) {
            const auto s = service::localModelState(e, dir);
            out.push_back({{"name", e.name}, {"file", e.file}, {"url", e.url}, {"sha256", e.sha256},
                           {"size", e.size}, {"path", s.path}, {"present", s.present}, {"partBytes", s.partBytes}});
        }
        printJson(out.dump(2));
        return 0;
    }
    std::printf("%-10s %-30s %-9s %s\n", "NAME", "FILE", "SIZE", "STATE");
    for (const auto& e : manifest) {
        const auto s = service::localModelState(e, dir);
        std::string state = s.present ? "present" : "missing";
        if (!s.present && s.partBytes > 0)
            state = "partly downloaded (" + service::formatBytes(s.partBytes) + ")";
        else if (!s.present)
            if (auto other = foundElsewhere(e); !other.empty())
                state = "found at " + other;
        std::printf("%-10s %-30s %-9s %s\n", e.name.c_str(), e.file.c_str(),
                    e.size > 0 ? service::formatBytes(e.size).c_str() : "?", state.c_str());
    }
    std::printf("folder: %s\nmanifest: %s\n", dir.c_str(), path.c_str());
    return 0;
}

// One status line: "\r" rewrites on a terminal; elsewhere a line per tenth of the phase.
class ProgressPrinter {
public:
    explicit ProgressPrinter(bool quiet) : m_quiet(quiet), m_tty(::isatty(STDERR_FILENO)) {}
    void operator()(const service::JobProgress& p)
    {
        if (m_quiet || (p.done == 0 && p.total == 0))
            return; // nothing to say before the first byte or the size
        const int tenth = p.total > 0 ? int(p.fraction() * 10) : -1;
        if (!m_tty && p.phase == m_phase && tenth == m_tenth)
            return;
        m_phase = p.phase;
        m_tenth = tenth;
        std::string line = p.phase + ": ";
        if (p.total > 0)
            line += std::to_string(int(p.fraction() * 100)) + "% " + service::formatBytes(p.done) + " of " +
                    service::formatBytes(p.total);
        else
            line += service::formatBytes(p.done);
        if (p.rate > 0)
            line += ", " + service::formatBytes(int64_t(p.rate)) + "/s";
        if (p.etaSeconds >= 0)
            line += ", " + (p.etaSeconds < 0 ? std::string("?") : clockTime(p.etaSeconds)) + " left";
        if (p.paused)
            line += " (paused)";
        if (m_tty) {
            std::fprintf(stderr, "\r%-78s", line.c_str());
            m_open = true;
        } else {
            std::fprintf(stderr, "%s\n", line.c_str());
        }
    }
    void endLine()
    {
        if (m_open)
            std::fprintf(stderr, "\n");
        m_open = false;
    }

private:
    bool m_quiet, m_tty;
    bool m_open = false;
    std::string m_phase;
    int m_tenth = -2;
};

int runFetch(const Args& a)
{
    const auto manifest = service::readModelManifest(manifestPath(a));
    std::vector<std::string> names(a.positionals().begin() + 1, a.positionals().end());
    if (names.empty())
        names.push_back(service::kDefaultModelName);
    for (const auto& n : names)
        (void)service::findModel(manifest, n); // unknown names fail before any download

    service::DownloadOptions options;
    options.destDir = a.get("dir");
    int status = 0;
    installInterruptHandler();
    for (const auto& name : names) {
        const auto& entry = service::findModel(manifest, name);
        ProgressPrinter printer(a.has("quiet"));
        service::JobControl job;
        job.onProgress([&](const service::JobProgress& p) { printer(p); });
        service::JobOutcome<service::DownloadResult> out;
        std::thread worker([&] {
            out = service::runJob<service::DownloadResult>(
                job, [&](service::JobControl& c) { return service::downloadModel(entry, c, options); });
        });
        while (job.state() == service::JobState::Pending || job.state() == service::JobState::Running) {
            if (interruptFlag() && !job.isCancelled())
                job.cancel();
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        worker.join();
        printer.endLine();
        if (out.state == service::JobState::Cancelled) {
            std::fprintf(stderr, "models fetch: stopped; run it again to resume %s\n", entry.file.c_str());
            restoreDefaultInterrupt();
            return 130;
        }
        if (!out.ok()) {
            std::fprintf(stderr, "models fetch: %s: %s\n", entry.name.c_str(), out.error.c_str());
            status = 1;
            continue;
        }
        const auto& r = *out.result;
        if (r.alreadyPresent)
            std::printf("%s: present and verified (%s)\n", entry.name.c_str(), r.path.c_str());
        else
            std::printf("%s: downloaded %s%s and verified (sha256 %s): %s\n", entry.name.c_str(),
                        service::formatBytes(r.downloaded).c_str(),
                        r.resumedFrom > 0 ? (" after " + service::formatBytes(r.resumedFrom) + " kept").c_str() : "",
                        entry.sha256.substr(0, 12).c_str(), r.path.c_str());
    }
    restoreDefaultInterrupt();
    return status;
}

int runModels(const std::vector<std::string>& argv)
{
    Args a(argv, {"manifest", "dir"}, {"json", "quiet"});
    if (a.positionals().empty())
        throw UsageError("models needs a subcommand: list or fetch");
    const auto& sub = a.positionals().front();
    if (sub == "list") {
        if (a.positionals().size() > 1)
            throw UsageError("models list takes no names");
        return runList(a);
    }
    if (sub == "fetch")
        return runFetch(a);
    throw UsageError("unknown subcommand 'models " + sub + "'; use list or fetch");
}

Command reg{"models", "list or download model checkpoints (resumable, sha256-verified)", kUsage, &runModels};

} // namespace
} // namespace vop::cli
