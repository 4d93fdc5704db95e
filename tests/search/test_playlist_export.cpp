// Playlist export (core/search/PlaylistExport): every format written and read back by the
// independent readers of PlaylistParsers.h (and Qt's XML reader for XSPF), absolute and relative,
// with hostile file names; the names a format cannot hold are refused; files are replaced
// atomically. No files need to exist; test_playlist_players plays real ones.
#include "ExportTestSupport.h"
#include "PlaylistParsers.h"

#include "util/Error.h"

#include <nlohmann/json.hpp>

#ifdef VOP_HAVE_QT_XML
#include <QFile>
#include <QXmlStreamReader>
#endif

#include <array>
#include <filesystem>

using namespace vop::search;
using namespace vop::test::exporting;
using namespace vop::test::playlist;
using vop::test::readBytes;
using vop::test::shellQuote;
using vop::test::writeBytes;
namespace fs = std::filesystem;

namespace {


void checkItems(const Parsed& p, const std::vector<Moment>& moments, const std::string& what)
{
    for (const auto& problem : p.problems)
        vop::test::fail(__FILE__, __LINE__, what + ": " + problem, false);
    VOP_REQUIRE_EQ(p.items.size(), moments.size());
    for (size_t i = 0; i < moments.size(); ++i) {
        const Item& it = p.items[i];
        const Moment& m = moments[i];
        if (it.path != m.path)
            vop::test::fail(__FILE__, __LINE__, what + " entry " + std::to_string(i + 1) + ": '" + it.location +
                                                     "' resolves to '" + it.path + "', expected '" + m.path + "'",
                            false);
        VOP_CHECK(it.start && std::abs(*it.start - ms(m.start)) < 1e-9);
        VOP_CHECK(it.end && std::abs(*it.end - ms(m.end)) < 1e-9);
        VOP_CHECK(it.length && std::abs(*it.length - (ms(m.end) - ms(m.start))) < 1e-9);
    }
}

#ifdef VOP_HAVE_QT_XML
// XSPF through Qt's XML reader: namespaces, entities and structure are the reader's business.
Parsed parseXspf(const std::string& file, const std::string& base)
{
    static const QString kXspf = "http://xspf.org/ns/0/", kVlc = "http://www.videolan.org/vlc/playlist/ns/0/",
                         kVlcApp = "http://www.videolan.org/vlc/playlist/0";
    Parsed p;
    QFile f(QString::fromStdString(file));
    if (!f.open(QIODevice::ReadOnly)) {
        p.problems.push_back("cannot open");
        return p;
    }
    QXmlStreamReader xml(&f);
    Item cur;
    bool inTrack = false, inVlcExtension = false;
    int ids = 0, items = 0;
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement()) {
            if (xml.isEndElement() && xml.name() == u"track" && inTrack) {
                p.items.push_back(cur);
                cur = Item{};
                inTrack = false;
            }
            if (xml.isEndElement() && xml.name() == u"extension")
                inVlcExtension = false;
            continue;
        }
        const QStringView ns = xml.namespaceUri(), name = xml.name();
        if (ns == kXspf && name == u"playlist") {
            if (xml.attributes().value("version") != u"1")
                p.problems.push_back("playlist version is not 1");
        } else if (ns == kXspf && name == u"track") {
            inTrack = true;
        } else if (ns == kXspf && name == u"extension") {
            inVlcExtension = xml.attributes().value("application") == kVlcApp;
            if (!inVlcExtension)
                p.problems.push_back("extension for another application");
        } else if (ns == kXspf && name == u"title") {
            (inTrack ? cur.title : p.title) = xml.readElementText().toStdString();
        } else if (ns == kXspf && name == u"location" && inTrack) {
            cur.location = xml.readElementText().toStdString();
            std::string problem;
            if (auto path = uriToPath(cur.location, base, problem))
                cur.path = *path;
            else
                p.problems.push_back(problem);
        } else if (ns == kXspf && name == u"duration" && inTrack) {
            if (auto v = number(xml.readElementText().toStdString()))
                cur.length = *v / 1000;
        } else if (ns == kVlc && name == u"option" && inTrack && inVlcExtension) {
            const std::string o = xml.readElementText().toStdString();
            if (o.rfind("start-time=", 0) == 0)
                cur.start = number(o.substr(11));
            else if (o.rfind("stop-time=", 0) == 0)
                cur.end = number(o.substr(10));
        } else if (ns == kVlc && name == u"id" && inTrack && inVlcExtension) {
            if (xml.readElementText().toInt() != ids++)
                p.problems.push_back("vlc:id out of order");
        } else if (ns == kVlc && name == u"item" && !inTrack && inVlcExtension) {
            if (xml.attributes().value("tid").toInt() != items++)
                p.problems.push_back("vlc:item out of order");
        } else if (ns != kXspf && ns != kVlc) {
            p.problems.push_back("element outside the XSPF and VLC namespaces: " + name.toString().toStdString());
        }
    }
    if (xml.hasError())
        p.problems.push_back("XML error: " + xml.errorString().toStdString());
    if (ids != int(p.items.size()) || items != int(p.items.size()))
        p.problems.push_back("every track needs a vlc:id and a vlc:item");
    return p;
}
#endif

// Reads a playlist back with the format's own reader and compares it with the moments.
void readBack(const std::string& file, PlaylistFormat f, const std::vector<Moment>& moments, const std::string& what)
{
    const std::string text = readBytes(file), base = fs::path(file).parent_path().string();
    switch (f) {
    case PlaylistFormat::M3u8: {
        const Parsed p = parseM3u(text, base);
        checkItems(p, moments, what);
        VOP_CHECK_EQ(p.title, std::string("dog -cat & <friends>"));
        for (size_t i = 0; i < p.items.size() && i < moments.size(); ++i)
            VOP_CHECK_EQ(p.items[i].title, momentTitle(moments[i]));
        return;
    }
    case PlaylistFormat::Xspf: {
#ifdef VOP_HAVE_QT_XML
        const Parsed p = parseXspf(file, base);
        checkItems(p, moments, what);
        VOP_CHECK_EQ(p.title, std::string("dog -cat & <friends>"));
        for (size_t i = 0; i < p.items.size() && i < moments.size(); ++i)
            VOP_CHECK_EQ(p.items[i].title, momentTitle(moments[i]));
#else
        std::cout << "  (XSPF not read back: this build has no Qt)" << std::endl;
#endif
        return;
    }
    case PlaylistFormat::Edl: {
        const Parsed p = parseEdl(text, base);
        checkItems(p, moments, what);
        return;
    }
    case PlaylistFormat::Csv: {
        std::vector<std::string> problems;
        const auto rows = parseCsv(text, problems);
        for (const auto& problem : problems)
            vop::test::fail(__FILE__, __LINE__, what + ": " + problem, false);
        VOP_REQUIRE_EQ(rows.size(), moments.size() + 1);
        VOP_CHECK(rows[0] == (std::vector<std::string>{"path", "start", "end", "duration", "score", "title"}));
        Parsed p;
        for (size_t i = 0; i < moments.size(); ++i) {
            VOP_REQUIRE_EQ(rows[i + 1].size(), size_t(6));
            const auto& r = rows[i + 1];
            p.items.push_back({joined(base, r[0]), r[0], number(r[1]), number(r[2]), number(r[3]), r[5]});
            VOP_CHECK_EQ(float(number(r[4]).value_or(-1)), moments[i].score); // shortest form, read back exactly
            VOP_CHECK_EQ(r[5], momentTitle(moments[i]));
        }
        checkItems(p, moments, what);
        return;
    }
    case PlaylistFormat::Json: {
        const auto j = nlohmann::json::parse(text);
        VOP_REQUIRE(j.is_array());
        VOP_REQUIRE_EQ(j.size(), moments.size());
        for (size_t i = 0; i < moments.size(); ++i) {
            const auto& o = j[i];
            const Moment& m = moments[i];
            VOP_CHECK_EQ(joined(base, o.at("path").get<std::string>()), m.path);
            VOP_CHECK_EQ(o.at("start").get<double>(), m.start);
            VOP_CHECK_EQ(o.at("end").get<double>(), m.end);
            VOP_CHECK_EQ(o.at("score").get<float>(), m.score);
            VOP_CHECK_EQ(o.at("file_id").get<int64_t>(), m.fileId);
            VOP_CHECK_EQ(o.at("segment_id").get<int64_t>(), m.segmentId);
            VOP_CHECK(o.at("segment_ids").get<std::vector<int64_t>>() == m.segmentIds);
            VOP_CHECK_EQ(o.at("status").get<std::string>(), std::string(vop::store::toString(m.status)));
            VOP_CHECK_EQ(o.at("duration").get<double>(), m.fileDuration);
            VOP_CHECK_EQ(o.size(), size_t(9));
        }
        return;
    }
    }
}

const std::array<PlaylistFormat, 5> kFormats = {PlaylistFormat::M3u8, PlaylistFormat::Xspf, PlaylistFormat::Edl,
                                                PlaylistFormat::Csv, PlaylistFormat::Json};

} // namespace

VOP_TEST(formatNamesAndExtensions)
{
    for (const auto f : kFormats) {
        VOP_CHECK(parsePlaylistFormat(toString(f)) == f);
        VOP_CHECK(playlistFormatForPath(std::string("/x/My List") + playlistExtension(f)) == f);
        VOP_CHECK(playlistFilterName(f).find(std::string("*") + playlistExtension(f)) != std::string::npos);
        VOP_CHECK(std::string(playlistFormatNames()).find(toString(f)) != std::string::npos);
    }
    VOP_CHECK(parsePlaylistFormat("M3U") == PlaylistFormat::M3u8);
    VOP_CHECK(playlistFormatForPath("a/b.XSPF") == PlaylistFormat::Xspf);
    VOP_CHECK(!playlistFormatForPath("list.txt"));
    VOP_CHECK(!playlistFormatForPath("list"));
    VOP_CHECK(!playlistFormatForPath("/x.m3u8/"));
    VOP_CHECK(!parsePlaylistFormat("pls"));
}

VOP_TEST(titlesAreFileNameAndTimeRange)
{
    Moment m;
    m.path = "/v/beach.mp4";
    m.start = 65.2;
    m.end = 72.0;
    VOP_CHECK_EQ(momentTitle(m), std::string("beach.mp4 1:05.2-1:12.0"));
    m.path = "/v/a\tb\nc\xFF.mp4";
    VOP_CHECK_EQ(momentTitle(m), std::string("a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD.mp4 1:05.2-1:12.0"));
}

VOP_TEST(everyFormatReadsBackAbsoluteAndRelative)
{
    const auto moments = momentsFor(kHostileNames);
    const Fixture& fx = fixture();
    for (const auto f : kFormats) {
        for (const bool relative : {false, true}) {
            // Beside the library (relative names need ".."), and inside it.
            for (const std::string& dir : {fx.lists, fx.lib}) {
                const std::string file = dir + "/moments" + (relative ? "-rel" : "-abs") + playlistExtension(f);
                const std::string text = write(moments, file, f, relative);
                readBack(file, f, moments, file);
                if (f == PlaylistFormat::Edl)
                    VOP_CHECK_EQ(text.find("\r"), std::string::npos);
                if (f == PlaylistFormat::M3u8 || f == PlaylistFormat::Xspf) {
                    // Absolute: file:// URIs; relative: as many relative names as both players read.
                    const size_t uris = [&] {
                        size_t n = 0;
                        for (size_t at = 0; (at = text.find("file:///", at)) != std::string::npos; ++at)
                            ++n;
                        return n;
                    }();
                    // Relative M3U8: the 7 names with '#', '%', '?', a quote or '<' fall back to URIs.
                    const size_t expectedUris = !relative ? moments.size() : f == PlaylistFormat::Xspf ? 0 : 7;
                    VOP_CHECK_EQ(uris, expectedUris);
                }
            }
        }
    }
    // A ':' in the first segment would read as a URL scheme to VLC: "./" in front.
    const std::string m3u = write(moments, fx.lib + "/colon.m3u8", PlaylistFormat::M3u8, true);
    VOP_CHECK(m3u.find("\n./10:30 meeting.mp4\n") != std::string::npos);
    VOP_CHECK(m3u.find("\nwith space.mp4\n") != std::string::npos);
    const std::string edl = write(moments, fx.lists + "/names.edl", PlaylistFormat::Edl, true);
    VOP_CHECK(edl.find("\n%16%../lib/#lead.mp4,0.452,1.200\n") != std::string::npos);
    VOP_CHECK(edl.find("%20%../lib/\xF0\x9F\x8E\xAC clip.mp4,") != std::string::npos); // N in UTF-8 bytes
}

// A playlist folder named through a symlink: VLC resolves ".." lexically against that name, the
// kernel (mpv) physically, so names that climb out with ".." stay absolute; names below stay relative.
VOP_TEST(relativeNamesThroughASymlinkedFolder)
{
    const Fixture& fx = fixture();
    const std::string linked = fx.root + "/linked";
    std::error_code ec;
    fs::remove(linked, ec);
    fs::create_directory_symlink(fx.lists, linked);
    auto moments = momentsFor({"with space.mp4"});
    Moment inside = moments.front();
    inside.path = fx.lists + "/inside.mp4";
    moments.push_back(inside);
    for (const auto f : {PlaylistFormat::M3u8, PlaylistFormat::Xspf, PlaylistFormat::Edl, PlaylistFormat::Csv}) {
        const std::string file = linked + "/linked" + playlistExtension(f);
        const std::string text = write(moments, file, f, true);
        VOP_CHECK(text.find("../lib") == std::string::npos);
        VOP_CHECK(text.find("/lib/with") != std::string::npos);
        VOP_CHECK(text.find(f == PlaylistFormat::Edl ? "%10%inside.mp4," : "inside.mp4") != std::string::npos);
        VOP_CHECK(text.find(fx.lists + "/inside.mp4") == std::string::npos);
    }
    const Parsed p = parseM3u(readBytes(linked + "/linked.m3u8"), linked);
    VOP_REQUIRE_EQ(p.items.size(), size_t(3));
    VOP_CHECK_EQ(p.items[0].path, moments[0].path);
    VOP_CHECK_EQ(fs::canonical(fs::path(p.items[2].path).parent_path()).string(), fx.lists);
}

VOP_TEST(namesAFormatCannotHoldAreRefused)
{
    const Fixture& fx = fixture();
    auto moments = momentsFor({"fine.mp4", kNewlineName});
    // M3U is line-based: a line break in a name is refused, naming the file, and nothing is written.
    const std::string m3u = fx.lists + "/newline.m3u8";
    writeBytes(m3u, "old");
    for (const bool relative : {false, true})
        VOP_CHECK_THROWS_WITH(write(moments, m3u, PlaylistFormat::M3u8, relative), "line");
    try {
        write(moments, m3u, PlaylistFormat::M3u8, false);
    } catch (const vop::InputError& e) {
        VOP_CHECK(std::string(e.what()).find("break.mp4") != std::string::npos);
    }
    VOP_CHECK_EQ(readBytes(m3u), std::string("old"));
    // The other formats hold it: XSPF percent-encodes it, EDL counts its bytes, CSV quotes it.
    for (const auto f : {PlaylistFormat::Xspf, PlaylistFormat::Edl, PlaylistFormat::Csv, PlaylistFormat::Json}) {
        const std::string file = fx.lists + "/newline" + playlistExtension(f);
        write(moments, file, f, false);
        readBack(file, f, moments, file);
    }
    // Names that are not UTF-8: M3U8, XSPF and EDL hold the bytes; CSV and JSON text cannot.
    moments = momentsFor({"fine.mp4", "latin1-caf\xE9.mp4"});
    for (const auto f : {PlaylistFormat::M3u8, PlaylistFormat::Xspf, PlaylistFormat::Edl}) {
        const std::string file = fx.lists + "/latin1" + playlistExtension(f);
        write(moments, file, f, true);
        readBack(file, f, moments, file);
    }
    for (const auto f : {PlaylistFormat::Csv, PlaylistFormat::Json})
        VOP_CHECK_THROWS_WITH(write(moments, fx.lists + "/latin1" + playlistExtension(f), f, false), "latin1-caf");
    VOP_CHECK(!fs::exists(fx.lists + "/latin1.csv"));
    // Times that make no moment, and an EDL without moments (mpv refuses it).
    moments = momentsFor({"fine.mp4"});
    moments[0].end = moments[0].start;
    VOP_CHECK_THROWS_WITH(renderPlaylist(moments, fx.lists + "/x.csv", {}), "fine.mp4");
    moments[0].end = std::nan("");
    VOP_CHECK_THROWS_WITH(renderPlaylist(moments, fx.lists + "/x.csv", {}), "fine.mp4");
    PlaylistOptions edl;
    edl.format = PlaylistFormat::Edl;
    VOP_CHECK_THROWS_WITH(renderPlaylist({}, fx.lists + "/x.edl", edl), "at least one moment");
    // The other formats write an empty playlist.
    VOP_CHECK_EQ(parseM3u(renderPlaylist({}, fx.lists + "/x.m3u8", {}), fx.lists).items.size(), size_t(0));
}

VOP_TEST(writesAreAtomic)
{
    const Fixture& fx = fixture();
    const auto moments = momentsFor({"fine.mp4"});
    const std::string file = fx.root + "/atomic/list.m3u8";
    fs::create_directories(fx.root + "/atomic");
    writeBytes(file, "an older playlist");
    write(moments, file, PlaylistFormat::M3u8, false);
    VOP_CHECK_EQ(parseM3u(readBytes(file), fx.root).items.size(), moments.size());
    size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(fx.root + "/atomic"))
        ++entries;
    VOP_CHECK_EQ(entries, size_t(1)); // no temporary file left beside it
    VOP_CHECK_THROWS_WITH(write(moments, fx.root + "/no such folder/list.m3u8", PlaylistFormat::M3u8, false),
                          "no such folder/list.m3u8");
}

VOP_TEST_MAIN()
