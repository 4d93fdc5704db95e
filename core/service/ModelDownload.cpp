#include "service/ModelDownload.h"

#include "util/Error.h"
#include "util/Paths.h"
#include "util/Sha256.h"

#include <curl/curl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <unistd.h>

#ifndef VOPSEARCH_SOURCE_MODELS_DIR
#define VOPSEARCH_SOURCE_MODELS_DIR ""
#endif

namespace fs = std::filesystem;

namespace vop::service {

bool ModelEntry::isCheckpoint() const
{
    return file.size() > 3 && (file.compare(file.size() - 3, 3, ".pt") == 0 ||
                               (file.size() > 12 && file.compare(file.size() - 12, 12, ".safetensors") == 0));
}

std::string defaultManifestPath()
{
    if (const char* env = std::getenv("VOPSEARCH_MODEL_MANIFEST"); env && *env)
        return env;
    std::vector<std::string> candidates;
    if (auto installed = paths::installedDataDir(); !installed.empty())
        candidates.push_back((fs::path(installed) / "models" / "manifest.tsv").string());
    if (*VOPSEARCH_SOURCE_MODELS_DIR)
        candidates.push_back((fs::path(VOPSEARCH_SOURCE_MODELS_DIR) / "manifest.tsv").string());
    for (const auto& c : candidates)
        if (paths::fileExists(c))
            return c;
    std::string looked;
    for (const auto& c : candidates)
        looked += (looked.empty() ? "" : ", ") + c;
    throw InputError("the list of downloadable models (manifest.tsv) was not found in " + looked +
                     "; reinstall vopsearch or set VOPSEARCH_MODEL_MANIFEST");
}

std::vector<ModelEntry> readModelManifest(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        throw InputError("cannot open the model manifest '" + path + "'");
    std::vector<ModelEntry> out;
    std::string line;
    for (int lineNo = 1; std::getline(in, line); ++lineNo) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty() || line[0] == '#')
            continue;
        std::vector<std::string> cols;
        std::stringstream ss(line);
        for (std::string col; std::getline(ss, col, '\t');)
            cols.push_back(col);
        const auto where = path + ":" + std::to_string(lineNo);
        if (cols.size() < 4)
            throw InputError(where + ": expected name, file, url, sha256[, size] separated by tabs");
        ModelEntry e{cols[0], cols[1], cols[2], cols[3], 0};
        std::transform(e.sha256.begin(), e.sha256.end(), e.sha256.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        if (e.sha256.size() != 64 || e.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
            throw InputError(where + ": '" + cols[3] + "' is not a sha256 (64 hex digits)");
        if (e.file.empty() || e.file.find('/') != std::string::npos || e.file == "." || e.file == "..")
            throw InputError(where + ": '" + e.file + "' is not a plain file name");
        if (cols.size() >= 5 && !cols[4].empty()) {
            try {
                e.size = std::stoll(cols[4]);
            } catch (const std::exception&) {
                throw InputError(where + ": size '" + cols[4] + "' is not a number");
            }
        }
        out.push_back(std::move(e));
    }
    return out;
}

const ModelEntry& findModel(const std::vector<ModelEntry>& manifest, const std::string& name)
{
    for (const auto& e : manifest)
        if (e.name == name)
            return e;
    std::string known;
    for (const auto& e : manifest)
        known += (known.empty() ? "" : ", ") + e.name;
    throw InputError("unknown model '" + name + "'; known: " + known);
}

std::string defaultDownloadDir()
{
    return (fs::path(paths::userDataDir()) / "models").string();
}

static std::string destDirOf(const DownloadOptions& o)
{
    return o.destDir.empty() ? defaultDownloadDir() : o.destDir;
}

LocalModelState localModelState(const ModelEntry& entry, const std::string& destDir)
{
    LocalModelState s;
    const fs::path dir = destDir.empty() ? defaultDownloadDir() : destDir;
    s.path = (dir / entry.file).string();
    s.present = paths::fileExists(s.path);
    std::error_code ec;
    auto part = fs::file_size(s.path + ".part", ec);
    s.partBytes = ec ? 0 : int64_t(part);
    return s;
}

std::string formatBytes(int64_t bytes)
{
    char buf[32];
    const double b = double(bytes);
    if (bytes < 1000)
        std::snprintf(buf, sizeof buf, "%lld B", (long long)bytes);
    else if (bytes < 1000 * 1000)
        std::snprintf(buf, sizeof buf, "%.0f kB", b / 1e3);
    else if (bytes < 1000LL * 1000 * 1000)
        std::snprintf(buf, sizeof buf, b < 1e7 ? "%.1f MB" : "%.0f MB", b / 1e6);
    else
        std::snprintf(buf, sizeof buf, "%.1f GB", b / 1e9);
    return buf;
}

namespace {

using Clock = std::chrono::steady_clock;

void initCurlOnce()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string hostOf(const std::string& url)
{
    auto start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    auto end = url.find_first_of("/?#", start);
    return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string diskFullMessage(const fs::path& dir, int64_t needed)
{
    std::error_code ec;
    auto space = fs::space(dir, ec);
    std::string msg = "the disk is full: " + dir.string() + " has " +
                      (ec ? std::string("no room") : formatBytes(int64_t(space.available)) + " free");
    if (needed > 0)
        msg += " and the model needs " + formatBytes(needed) + " more";
    return msg + ". Free some space and try again (the part already downloaded is kept).";
}

// One transfer attempt: appends to the .part file, hashing what it writes.
struct Transfer {
    JobControl* job = nullptr;
    std::FILE* out = nullptr;
    Sha256* hash = nullptr;
    int64_t have = 0;           // bytes in the .part file
    int64_t total = 0;          // expected size (0: unknown)
    int64_t startHave = 0;      // bytes present when this run began (for the rate)
    int64_t connHave = 0;       // bytes present when this connection began (its Range start)
    Clock::time_point started;
    Clock::time_point lastReport;
    int writeErrno = 0;
    bool pausedAbort = false;
    std::string detail;

    void report(bool force)
    {
        const auto now = Clock::now();
        if (!force && now - lastReport < std::chrono::milliseconds(100))
            return;
        lastReport = now;
        JobProgress p;
        p.phase = phase::DownloadingModel;
        p.unit = "bytes";
        p.rateUnit = "bytes/s";
        p.done = have;
        p.total = total;
        p.detail = detail;
        const double secs = std::chrono::duration<double>(now - started).count();
        if (secs > 0.2 && have > startHave) {
            p.rate = double(have - startHave) / secs;
            if (total > 0)
                p.etaSeconds = double(std::max<int64_t>(0, total - have)) / p.rate;
        }
        job->report(p);
    }
};

size_t onData(char* data, size_t size, size_t n, void* user)
{
    auto* t = static_cast<Transfer*>(user);
    const size_t bytes = size * n;
    if (std::fwrite(data, 1, bytes, t->out) != bytes) {
        t->writeErrno = errno ? errno : EIO;
        return 0; // CURLE_WRITE_ERROR
    }
    t->hash->update(data, bytes);
    t->have += int64_t(bytes);
    return bytes;
}

int onProgress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t)
{
    auto* t = static_cast<Transfer*>(user);
    (void)dlnow;
    if (t->total == 0 && dltotal > 0)
        t->total = t->connHave + int64_t(dltotal); // a 206's length is what remains
    if (t->job->isCancelled())
        return 1;
    if (t->job->isPaused()) {
        t->pausedAbort = true; // end this connection; the caller waits and reconnects (Range)
        return 1;
    }
    t->report(false);
    return 0;
}

struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};

// Hashes the first `bytes` of `path` into `hash` (the kept part of a resumed download).
void hashPrefix(const std::string& path, int64_t bytes, Sha256& hash, JobControl& job, int64_t total)
{
    std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
    if (!f)
        throw Error("cannot read the partial download '" + path + "': " + std::strerror(errno));
    std::vector<char> buf(1 << 20);
    int64_t done = 0;
    auto last = Clock::now();
    while (done < bytes) {
        const size_t want = size_t(std::min<int64_t>(int64_t(buf.size()), bytes - done));
        const size_t got = std::fread(buf.data(), 1, want, f.get());
        if (got == 0)
            throw Error("the partial download '" + path + "' could not be read back");
        hash.update(buf.data(), got);
        done += int64_t(got);
        if (Clock::now() - last > std::chrono::milliseconds(100) || done == bytes) {
            last = Clock::now();
            JobProgress p;
            p.phase = phase::VerifyingModel;
            p.unit = "bytes";
            p.done = done;
            p.total = bytes;
            p.detail = "checking the part downloaded before (" + formatBytes(bytes) + " of " +
                       (total > 0 ? formatBytes(total) : std::string("?")) + ")";
            job.report(p);
        }
        job.throwIfCancelled();
    }
}

bool fileVerifies(const std::string& path, const std::string& sha256, JobControl& job)
{
    std::error_code ec;
    const auto size = int64_t(fs::file_size(path, ec));
    auto last = Clock::now();
    auto digest = sha256File(path, [&](uint64_t done, uint64_t total) {
        if (Clock::now() - last > std::chrono::milliseconds(100) || done == total) {
            last = Clock::now();
            JobProgress p;
            p.phase = phase::VerifyingModel;
            p.unit = "bytes";
            p.done = int64_t(done);
            p.total = int64_t(total ? total : uint64_t(size));
            p.detail = path;
            job.report(p);
        }
        return job.checkpoint();
    });
    return digest == sha256;
}

// One GET of `entry` from byte `from` on, writing through `t` (errors land in `errbuf`).
std::unique_ptr<CURL, CurlDeleter> makeRequest(const ModelEntry& entry, const DownloadOptions& options, Transfer& t,
                                               int64_t from, char* errbuf)
{
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl)
        throw Error("could not start a download (libcurl failed to initialise)");
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, entry.url.c_str());
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "vopsearch");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options.connectTimeoutSeconds);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options.stallSeconds);
    curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, curl_off_t(from));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &onData);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &onProgress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    return curl;
}

// Verifies what arrived (the hash was computed while writing) and puts the file in place.
void verifyAndPlace(const ModelEntry& entry, const std::string& part, const fs::path& target, int64_t have,
                    Sha256& hash, JobControl& job)
{
    std::error_code ec;
    JobProgress p;
    p.phase = phase::VerifyingModel;
    p.unit = "bytes";
    p.done = have;
    p.total = have;
    p.detail = entry.file;
    job.report(p);
    if (entry.size > 0 && have != entry.size) {
        fs::remove(part, ec);
        throw Error("the download of " + entry.file + " has " + std::to_string(have) + " bytes, expected " +
                    std::to_string(entry.size) + "; the partial file was removed, try again");
    }
    const std::string digest = hash.hexDigest();
    if (digest != entry.sha256) {
        fs::remove(part, ec);
        throw Error("checksum mismatch for " + entry.file + ": sha256 " + digest + ", expected " + entry.sha256 +
                    ". The download was damaged or the file on the server changed; the partial file was "
                    "removed: try again, or choose a checkpoint file you already have.");
    }
    fs::rename(part, target, ec);
    if (ec)
        throw Error("cannot move " + part + " to " + target.string() + ": " + ec.message());
}

} // namespace

DownloadResult downloadModel(const ModelEntry& entry, JobControl& job, const DownloadOptions& options)
{
    const fs::path dir = destDirOf(options);
    const fs::path target = dir / entry.file;
    const std::string part = target.string() + ".part";
    DownloadResult result;
    result.path = target.string();

    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
        throw Error("cannot create the model folder " + dir.string() + ": " + ec.message() +
                    ". Choose a checkpoint file you already have, or make that folder writable.");

    if (paths::fileExists(target.string())) {
        if (fileVerifies(target.string(), entry.sha256, job)) {
            result.bytes = int64_t(fs::file_size(target));
            result.alreadyPresent = true;
            return result;
        }
        // A damaged or different file: fetch it again beside it and replace it at the end.
    }

    initCurlOnce();
    Sha256 hash;
    int64_t have = 0;
    if (auto size = fs::file_size(part, ec); !ec)
        have = int64_t(size);
    if (entry.size > 0 && have > entry.size) {
        fs::resize_file(part, 0, ec);
        have = 0;
    }
    if (have > 0)
        hashPrefix(part, have, hash, job, entry.size);
    result.resumedFrom = have;

    int attemptsLeft = std::max(0, options.retries);
    const auto started = Clock::now();
    const int64_t startHave = have;
    while (true) {
        job.throwIfCancelled(); // also waits out a pause between connections
        if (entry.size > 0 && have == entry.size)
            break; // the .part is complete: verify it
        if (entry.size > 0) {
            auto space = fs::space(dir, ec);
            if (!ec && int64_t(space.available) < entry.size - have)
                throw Error(diskFullMessage(dir, entry.size - have));
        }
        std::unique_ptr<std::FILE, FileCloser> out(std::fopen(part.c_str(), have > 0 ? "ab" : "wb"));
        if (!out)
            throw Error("cannot write " + part + ": " + std::strerror(errno) +
                        ". Choose a checkpoint file you already have, or make that folder writable.");

        Transfer t;
        t.job = &job;
        t.out = out.get();
        t.hash = &hash;
        t.have = have;
        t.total = entry.size;
        t.startHave = startHave;
        t.connHave = have;
        t.started = started;
        t.detail = entry.file + " from " + hostOf(entry.url);
        t.report(true);

        char errbuf[CURL_ERROR_SIZE] = {0};
        auto curl = makeRequest(entry, options, t, have, errbuf);
        CURL* c = curl.get();

        const CURLcode rc = curl_easy_perform(c);
        long http = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
        const bool flushed = std::fflush(out.get()) == 0 && ::fsync(fileno(out.get())) == 0;
        const int flushErrno = errno;
        out.reset();
        result.downloaded += t.have - have;
        have = t.have;

        if (rc == CURLE_OK) {
            if (!flushed)
                throw Error(flushErrno == ENOSPC ? diskFullMessage(dir, 0)
                                                 : "cannot write " + part + ": " + std::strerror(flushErrno));
            break;
        }
        if (rc == CURLE_ABORTED_BY_CALLBACK) {
            if (job.isCancelled())
                throw Cancelled(); // the .part stays for the next run
            continue; // paused: throwIfCancelled() waits, then we reconnect with a Range
        }
        if (rc == CURLE_WRITE_ERROR) {
            if (t.writeErrno == ENOSPC || t.writeErrno == EDQUOT)
                throw Error(diskFullMessage(dir, t.total > 0 ? t.total - have : 0));
            throw Error("cannot write " + part + ": " + std::strerror(t.writeErrno));
        }
        if (rc == CURLE_HTTP_RETURNED_ERROR && http == 416 && have > 0)
            break; // the .part already holds the whole file (its size was not in the manifest)
        if (rc == CURLE_RANGE_ERROR) {
            // The server cannot resume (it answered 200 to our Range): start from the first byte.
            fs::resize_file(part, 0, ec);
            have = 0;
            hash = Sha256();
            if (attemptsLeft-- <= 0)
                throw Error("the server of " + entry.url + " does not resume downloads and the transfer broke off; try again");
            continue;
        }
        const std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
        if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_PROXY ||
            (rc == CURLE_OPERATION_TIMEDOUT && t.have == have && have == result.resumedFrom && result.downloaded == 0)) {
            throw Error("could not reach " + hostOf(entry.url) + " (" + why +
                        "): check your connection, or choose a checkpoint file you already have");
        }
        if (rc == CURLE_HTTP_RETURNED_ERROR)
            throw Error("the server answered HTTP " + std::to_string(http) + " for " + entry.url +
                        "; the model may have moved: choose a checkpoint file you already have, or try again later");
        // A connection that broke off mid-way: reconnect and resume.
        if (attemptsLeft-- > 0)
            continue;
        throw Error("the download of " + entry.file + " broke off (" + why + ") after " + formatBytes(have) +
                    "; try again: it resumes where it stopped");
    }

    verifyAndPlace(entry, part, target, have, hash, job);
    result.bytes = have;
    return result;
}

} // namespace vop::service
