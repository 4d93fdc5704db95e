// Exported playlists in real players (tests/search/test_playlist_export.cpp reads them back by
// the formats' rules): where mpv is installed it plays each EDL (absolute and relative, hostile
// names) for the sum of the moments' lengths; where VLC and mpv are both there,
// shared/tools/check_playlists.py checks the M3U8, XSPF and EDL files with them (VLC: the
// start/stop times it applied and the positions it played; mpv: entries opened, EDL timeline,
// segments and frames). Either skips, saying so, when its players are missing.
#include "ExportTestSupport.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <sys/stat.h>

using namespace vop::search;
using namespace vop::test::exporting;
using vop::test::shellQuote;
using vop::test::writeBytes;

VOP_TEST(mpvPlaysEachEdlForTheSumOfTheLengths)
{
    if (!have("mpv")) {
        std::cout << "  (skipped: mpv is not installed; packaging/install-deps.sh installs it)" << std::endl;
        return;
    }
    std::vector<std::string> names = kHostileNames;
    names.push_back(kNewlineName);
    makeVideos(names);
    const auto moments = momentsFor(names);
    double sum = 0;
    for (const auto& m : moments)
        sum += ms(m.end) - ms(m.start);
    for (const bool relative : {false, true}) {
        const std::string file = fixture().lists + (relative ? "/play-rel.edl" : "/play-abs.edl");
        write(moments, file, PlaylistFormat::Edl, relative);
        const Run r = shell("cd / && mpv --no-config --vo=null --ao=null --frames=1 "
                            "--term-playing-msg='VOPDUR=${=duration}' " + shellQuote(file) + " 2>&1");
        const size_t at = r.out.find("VOPDUR=");
        if (r.code != 0 || at == std::string::npos)
            vop::test::fail(__FILE__, __LINE__, "mpv did not play " + file + ":\n" + r.out, false);
        else
            VOP_CHECK_NEAR(std::stod(r.out.substr(at + 7)), sum, 0.01);
    }
}

namespace {

// Writes the moments in each format, absolute and relative, into `dir`, and runs
// check_playlists.py on them; true when every playlist passes.
bool checkWithPlayers(const std::string& tool, const std::vector<Moment>& moments, const std::string& dir,
                      const std::vector<PlaylistFormat>& formats, const std::vector<bool>& relativeModes)
{
    nlohmann::json expected = nlohmann::json::array();
    for (const auto& m : moments)
        expected.push_back({{"path", m.path}, {"start", ms(m.start)}, {"end", ms(m.end)}});
    fs::create_directories(dir);
    const std::string expectedFile = dir + "/expected-" + std::to_string(moments.size()) + ".json";
    writeBytes(expectedFile, expected.dump());
    std::string lists;
    for (const auto f : formats)
        for (const bool relative : relativeModes) {
            const std::string file = dir + "/moments-" + std::to_string(moments.size()) + (relative ? "-rel" : "-abs") +
                                     playlistExtension(f);
            write(moments, file, f, relative);
            lists += " " + shellQuote(file);
        }
    // VLC refuses root; the tool runs it as 'nobody', who must be able to read the files.
    shell("chmod -R a+rX " + shellQuote(fixture().root));
    const Run r = shell("/usr/bin/python3 " + shellQuote(tool) + " --require-players --vlc-rate 1 " +
                        shellQuote(expectedFile) + lists + " 2>&1");
    std::cout << r.out;
    return r.code == 0;
}

} // namespace

VOP_TEST(checkPlaylistsWithVlcAndMpv)
{
    const std::string tool = vop::test::sharedDir() + "/tools/check_playlists.py";
    if (!fs::exists(tool) || !have("/usr/bin/python3") || !have("vlc") || !have("mpv") || !have("setpriv")) {
        std::cout << "  (skipped: needs " << tool << ", python3, vlc, mpv and setpriv)" << std::endl;
        return;
    }
    ::chmod(vop::test::runTempDir().c_str(), 0755);
    std::vector<std::string> names = kHostileNames;
    names.push_back(kNewlineName);
    makeVideos(names);
    using F = PlaylistFormat;
    // Beside the library: relative names climb out with "..".
    VOP_CHECK(checkWithPlayers(tool, momentsFor(kHostileNames), fixture().root + "/players", {F::M3u8, F::Xspf, F::Edl},
                               {false, true}));
    // Inside it: "./10:30 meeting.mp4", "sub dir#2/..." (M3U8 falls back to URIs for '#').
    VOP_CHECK(checkWithPlayers(tool, momentsFor(kHostileNames), fixture().lib, {F::M3u8, F::Xspf, F::Edl}, {true}));
    // A line break in a name: XSPF percent-encodes it, the EDL counts its bytes (M3U8 refuses it).
    VOP_CHECK(checkWithPlayers(tool, momentsFor({kNewlineName, "caf\xC3\xA9.mp4"}), fixture().root + "/players",
                               {F::Xspf, F::Edl}, {false, true}));
}

VOP_TEST_MAIN()
