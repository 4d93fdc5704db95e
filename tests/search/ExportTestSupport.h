#pragma once
// Shared by the playlist export tests: hostile file names, their moments, real videos of them,
// and a shell runner.
#include "CliRunner.h"
#include "TestFiles.h"
#include "TestMain.h"
#include "TestVideos.h"

#include "search/PlaylistExport.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace vop::test::exporting {

namespace fs = std::filesystem;
using namespace vop::search;
using vop::test::readBytes;

// Relative to the library folder. Every one breaks a naive writer of some format.
const std::vector<std::string> kHostileNames = {
    "with space.mp4",   "a,b;c=d.mp4",       "#lead.mp4",         "50% off #1.mp4",
    "say \"hi\" & 'bye'.mp4", "a<b>&amp;.mp4", "caf\xC3\xA9.mp4",  "\xE6\xBC\xA2\xE5\xAD\x97.mp4",
    "\xF0\x9F\x8E\xAC clip.mp4", "=eq,start.mp4", "10:30 meeting.mp4", "q?x[1].mp4",
    "sub dir#2/nested%41.mp4", "100%41 off.mp4"};
const std::string kNewlineName = "line\nbreak.mp4";

struct Fixture {
    std::string root, lib, lists;
};

inline const Fixture& fixture()
{
    static const Fixture f = [] {
        Fixture x;
        x.root = fs::weakly_canonical(vop::test::runTempDir()).string() + "/export";
        x.lib = x.root + "/lib";
        x.lists = x.root + "/lists";
        fs::create_directories(x.lib + "/sub dir#2");
        fs::create_directories(x.lists);
        return x;
    }();
    return f;
}

// One moment per name (times with millisecond steps), and the first file once more.
inline std::vector<Moment> momentsFor(const std::vector<std::string>& names)
{
    std::vector<Moment> out;
    for (size_t k = 0; k < names.size(); ++k) {
        Moment m;
        m.path = fixture().lib + "/" + names[k];
        m.fileId = int64_t(k + 1);
        m.start = 0.25 + 0.1 * double(k) + 0.001 * double(k % 3);
        m.end = m.start + 1.2;
        m.score = 0.3125f - 0.01f * float(k);
        m.segmentId = int64_t(100 + k);
        m.segmentIds = {int64_t(100 + k), int64_t(200 + k)};
        m.status = k == 2 ? vop::store::FileStatus::Offline : vop::store::FileStatus::Indexed;
        m.fileDuration = 3.0;
        out.push_back(m);
    }
    Moment again = out.front();
    again.start = 1.5; // long enough for VLC's position polling to see it on a loaded machine
    again.end = 2.75;
    out.push_back(again);
    return out;
}

// Real videos for every name (3 s, 64x36, 5 fps), made once.
inline void makeVideos(const std::vector<std::string>& names)
{
    static std::map<std::string, bool> made;
    static const int kMoving[] = {0, 3, 4}; // makeVideo's testsrc2, mandelbrot, testsrc: no still pictures
    int variant = 0;
    for (const auto& n : names) {
        const std::string path = fixture().lib + "/" + n;
        if (!made[path])
            vop::test::makeVideo(path, 3.0, kMoving[variant % 3] + 5 * (variant / 3));
        ++variant;
        made[path] = true;
    }
}

inline std::string write(const std::vector<Moment>& moments, const std::string& path, PlaylistFormat f, bool relative)
{
    PlaylistOptions o;
    o.format = f;
    o.relativePaths = relative;
    o.title = "dog -cat & <friends>";
    writePlaylist(moments, path, o);
    return readBytes(path);
}

inline double ms(double seconds) { return double(std::llround(seconds * 1000)) / 1000; }

using Run = vop::test::CliRun;

inline Run shell(const std::string& cmd) { return vop::test::runShell(cmd); }

inline bool have(const std::string& program)
{
    return shell("command -v " + program + " >/dev/null 2>&1").code == 0;
}


} // namespace vop::test::exporting
