// The Search tab's item models and helpers without a library: ResultsModel and ResultsProxy
// under QAbstractItemModelTester, sorting and the minimum-score filter, drag data, the
// thumbnail cache (asynchronous, LRU, one row updated), the delegate's painting, the export
// target and the system player's command line.
#include "search/ExportDialog.h"
#include "search/ResultDelegate.h"
#include "search/ResultsModel.h"
#include "search/ResultsProxy.h"
#include "search/SystemPlayer.h"
#include "search/ThumbnailCache.h"

#include "TestFiles.h"

#include <QAbstractItemModelTester>
#include <QBuffer>
#include <QFile>
#include <QIcon>
#include <QListView>
#include <QMimeData>
#include <QPainter>
#include <QStyleOptionViewItem>
#include <QtTest>

#include <atomic>
#include <stdexcept>

using namespace vop;
using vop::ui::ResultsModel;
using vop::ui::ResultsProxy;

namespace {

search::Moment moment(int64_t seg, const std::string& path, double start, double end, float score, double duration)
{
    search::Moment m;
    m.fileId = seg * 10;
    m.segmentId = seg;
    m.segmentIds = {seg};
    m.path = path;
    m.start = start;
    m.end = end;
    m.score = score;
    m.fileDuration = duration;
    return m;
}

// Rank order (best first), with names, dates and durations that sort differently.
std::vector<search::Moment> sampleMoments()
{
    return {moment(1, "/v/b/clip10.mp4", 0, 3, 0.31f, 20), moment(2, "/v/a/Beach.mkv", 5, 9.5, 0.29f, 300),
            moment(3, "/v/a/clip2.mp4", 12, 15, 0.29f, 60), moment(4, "/v/c/zoo.webm", 1, 2, 0.20f, 5)};
}

std::vector<QDateTime> sampleDates()
{
    return {QDateTime(QDate(2021, 5, 1), QTime(10, 0)), QDateTime(QDate(2024, 1, 2), QTime(9, 0)),
            QDateTime(QDate(2019, 7, 3), QTime(8, 0)), QDateTime(QDate(2023, 3, 4), QTime(7, 0))};
}

QStringList column(const QAbstractItemModel& m, int role)
{
    QStringList out;
    for (int r = 0; r < m.rowCount(); ++r)
        out << m.index(r, 0).data(role).toString();
    return out;
}

std::string jpeg(QColor colour, QSize size)
{
    QImage img(size, QImage::Format_RGB32);
    img.fill(colour);
    QByteArray bytes;
    QBuffer buf(&bytes);
    buf.open(QIODevice::WriteOnly);
    img.save(&buf, "JPEG", 90);
    return bytes.toStdString();
}

} // namespace

class TestSearchModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void modelUnderTester()
    {
        ResultsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 0);
        model.setResults(sampleMoments(), sampleDates());
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.columnCount(), int(ResultsModel::ColumnCount));
        const QModelIndex i = model.index(1, 0);
        QCOMPARE(i.data(ResultsModel::PathRole).toString(), QStringLiteral("/v/a/Beach.mkv"));
        QCOMPARE(i.data(ResultsModel::FileNameRole).toString(), QStringLiteral("Beach.mkv"));
        QCOMPARE(i.data(ResultsModel::StartRole).toDouble(), 5.0);
        QCOMPARE(i.data(ResultsModel::EndRole).toDouble(), 9.5);
        QCOMPARE(i.data(ResultsModel::SegmentIdRole).toLongLong(), 2);
        QCOMPARE(i.data(ResultsModel::DurationRole).toDouble(), 300.0);
        QCOMPARE(i.data(ResultsModel::FileDateRole).toDateTime(), sampleDates()[1]);
        QCOMPARE(i.data(ResultsModel::RangeTextRole).toString(), QStringLiteral("0:05.0–0:09.5"));
        QCOMPARE(model.index(1, ResultsModel::DurationColumn).data().toString(), QStringLiteral("5:00"));
        QVERIFY(i.data(ResultsModel::ThumbnailRole).value<QImage>().isNull()); // no cache: none
        // The bar: the best fills it, the weakest still shows.
        QCOMPARE(model.index(0, 0).data(ResultsModel::ScoreFractionRole).toDouble(), 1.0);
        QVERIFY(model.index(3, 0).data(ResultsModel::ScoreFractionRole).toDouble() > 0.1);
        QVERIFY(model.index(3, 0).data(ResultsModel::ScoreFractionRole).toDouble() < 0.2);
        model.setResults(sampleMoments()); // without dates
        QVERIFY(!model.index(0, 0).data(ResultsModel::FileDateRole).toDateTime().isValid());
        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    void timesAreFormatted()
    {
        QCOMPARE(ResultsModel::formatTime(65.24), QStringLiteral("1:05.2"));
        QCOMPARE(ResultsModel::formatTime(3723.0), QStringLiteral("1:02:03.0"));
        QCOMPARE(ResultsModel::formatDuration(3723.4), QStringLiteral("1:02:03"));
        QCOMPARE(ResultsModel::formatDuration(0), QStringLiteral("–"));
    }

    void dragGivesFileUrls()
    {
        ResultsModel model;
        model.setResults(sampleMoments());
        QVERIFY(model.flags(model.index(0, 0)) & Qt::ItemIsDragEnabled);
        std::unique_ptr<QMimeData> mime(
            model.mimeData({model.index(0, 0), model.index(0, 2), model.index(3, 0)})); // row 0 twice (table)
        QVERIFY(mime);
        QCOMPARE(mime->urls(), (QList<QUrl>{QUrl::fromLocalFile("/v/b/clip10.mp4"), QUrl::fromLocalFile("/v/c/zoo.webm")}));
        QVERIFY(mime->text().contains("/v/c/zoo.webm"));
    }

    void proxySortsAndFilters()
    {
        ResultsModel model;
        ResultsProxy proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setResults(sampleMoments(), sampleDates());

        proxy.sortBy(ResultsProxy::SortKey::Score, Qt::DescendingOrder);
        // Equal scores (Beach, clip2) keep the search's rank order.
        QCOMPARE(column(proxy, ResultsModel::FileNameRole),
                 QStringList({"clip10.mp4", "Beach.mkv", "clip2.mp4", "zoo.webm"}));
        proxy.sortBy(ResultsProxy::SortKey::Score, Qt::AscendingOrder);
        QCOMPARE(column(proxy, ResultsModel::FileNameRole),
                 QStringList({"zoo.webm", "Beach.mkv", "clip2.mp4", "clip10.mp4"}));
        proxy.sortBy(ResultsProxy::SortKey::Name, Qt::AscendingOrder); // numeric, case-insensitive
        QCOMPARE(column(proxy, ResultsModel::FileNameRole),
                 QStringList({"Beach.mkv", "clip2.mp4", "clip10.mp4", "zoo.webm"}));
        proxy.sortBy(ResultsProxy::SortKey::Date, Qt::DescendingOrder);
        QCOMPARE(column(proxy, ResultsModel::FileNameRole),
                 QStringList({"Beach.mkv", "zoo.webm", "clip10.mp4", "clip2.mp4"}));
        proxy.sortBy(ResultsProxy::SortKey::Duration, Qt::AscendingOrder);
        QCOMPARE(column(proxy, ResultsModel::FileNameRole),
                 QStringList({"zoo.webm", "clip10.mp4", "clip2.mp4", "Beach.mkv"}));

        proxy.setMinimumScore(0.29);
        QCOMPARE(proxy.rowCount(), 3);
        QVERIFY(!column(proxy, ResultsModel::FileNameRole).contains("zoo.webm"));
        proxy.setMinimumScore(0.30);
        QCOMPARE(proxy.rowCount(), 1);
        proxy.setMinimumScore(-1);
        QCOMPARE(proxy.rowCount(), 4);

        // New results are sorted and filtered as they arrive.
        proxy.setMinimumScore(0.25);
        model.setResults({moment(7, "/x/b.mp4", 0, 1, 0.1f, 9), moment(8, "/x/a.mp4", 0, 1, 0.5f, 3),
                          moment(9, "/x/c.mp4", 0, 1, 0.3f, 1)});
        QCOMPARE(column(proxy, ResultsModel::FileNameRole), QStringList({"c.mp4", "a.mp4"}));
    }

    void thumbnailsLoadAsynchronouslyIntoAnLru()
    {
        std::atomic<int> fetches{0};
        ui::ThumbnailCache cache(
            [&](int64_t id) -> std::string {
                ++fetches;
                if (id == 99)
                    return {}; // no thumbnail
                if (id == 98)
                    throw std::runtime_error("catalog gone");
                return jpeg(id == 1 ? Qt::red : Qt::blue, QSize(640, 360));
            },
            nullptr, 2 * 160 * 90 * 4 + 4096, 2); // room for two 160 x 90 images
        cache.setMaximumSize(QSize(160, 160));
        QSignalSpy ready(&cache, &ui::ThumbnailCache::ready);
        QSignalSpy missing(&cache, &ui::ThumbnailCache::missing);
        QVERIFY(cache.image(1).isNull()); // scheduled
        QVERIFY(cache.image(1).isNull()); // not twice
        QCOMPARE(cache.pendingLoads(), 1);
        QTRY_COMPARE(ready.count(), 1);
        QCOMPARE(ready.at(0).at(0).toLongLong(), 1);
        const QImage one = cache.image(1);
        QCOMPARE(one.size(), QSize(160, 90)); // scaled into the box, aspect kept
        QVERIFY(qRed(one.pixel(80, 45)) > 200 && qBlue(one.pixel(80, 45)) < 60);
        QCOMPARE(fetches.load(), 1);

        cache.image(99);
        cache.image(98);
        QTRY_COMPARE(missing.count(), 2);
        QVERIFY(cache.hasNoThumbnail(99) && cache.hasNoThumbnail(98));
        QVERIFY(cache.image(99).isNull());
        QCOMPARE(fetches.load(), 3); // a missing thumbnail is not fetched again

        // Room for two: the least recently used goes.
        cache.image(2);
        QTRY_VERIFY(cache.contains(2));
        cache.image(1); // touch 1
        cache.image(3);
        QTRY_VERIFY(cache.contains(3));
        QCOMPARE(cache.size(), 2);
        QVERIFY(cache.contains(1));
        QVERIFY(!cache.contains(2));
    }

    void aThumbnailUpdatesItsRow()
    {
        ui::ThumbnailCache cache([](int64_t) { return jpeg(Qt::green, QSize(320, 180)); });
        ResultsModel model;
        model.setThumbnailCache(&cache);
        model.setResults(sampleMoments());
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QVERIFY(model.index(2, 0).data(ResultsModel::ThumbnailRole).value<QImage>().isNull());
        QTRY_COMPARE(changed.count(), 1);
        QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), 2);
        QCOMPARE(changed.at(0).at(1).value<QModelIndex>().row(), 2);
        const QImage img = model.index(2, 0).data(ResultsModel::ThumbnailRole).value<QImage>();
        QVERIFY(!img.isNull());
        QVERIFY(qGreen(img.pixel(10, 10)) > 200);
        QVERIFY(!model.index(2, 0).data(Qt::DecorationRole).value<QIcon>().isNull());
    }

    void delegatePaintsThumbnailAndBar()
    {
        ui::ThumbnailCache cache([](int64_t) { return jpeg(Qt::red, QSize(320, 180)); });
        ResultsModel model;
        model.setThumbnailCache(&cache);
        model.setResults(sampleMoments());
        model.index(0, 0).data(ResultsModel::ThumbnailRole);
        QTRY_VERIFY(cache.contains(1));
        QListView view; // the style and font come from a real view
        ui::ResultDelegate delegate;
        delegate.setThumbnailWidth(160);
        QStyleOptionViewItem opt;
        opt.initFrom(&view);
        opt.widget = &view;
        const QSize hint = delegate.sizeHint(opt, model.index(0, 0));
        QVERIFY(hint.width() >= 160 && hint.height() > 90 + 2 * opt.fontMetrics.height());
        QImage canvas(hint, QImage::Format_RGB32);
        canvas.fill(Qt::white);
        opt.rect = QRect(QPoint(0, 0), hint);
        {
            QPainter p(&canvas);
            delegate.paint(&p, opt, model.index(0, 0));
        }
        const QPoint mid(hint.width() / 2, 6 + 45); // inside the thumbnail box
        QVERIFY2(qRed(canvas.pixel(mid)) > 200 && qGreen(canvas.pixel(mid)) < 60, "the thumbnail is painted");
        // The best result's bar is filled to the end with the highlight colour.
        const QColor hl = opt.palette.color(QPalette::Highlight);
        const QRgb barEnd = canvas.pixel(hint.width() - 12, hint.height() - 6 - 3);
        QVERIFY2(qAbs(qRed(barEnd) - hl.red()) < 40 && qAbs(qBlue(barEnd) - hl.blue()) < 40, "the score bar is filled");
    }

    void exportTargetTakesTheFormatFromTheName()
    {
        auto c = ui::resolveExportTarget("/tmp/x/list", search::PlaylistFormat::Csv);
        QCOMPARE(c.path, QStringLiteral("/tmp/x/list.csv"));
        QCOMPARE(c.format, search::PlaylistFormat::Csv);
        c = ui::resolveExportTarget("/tmp/x/list.xspf", search::PlaylistFormat::Csv);
        QCOMPARE(c.format, search::PlaylistFormat::Xspf);
        QCOMPARE(c.path, QStringLiteral("/tmp/x/list.xspf"));
        QCOMPARE(ui::playlistNameFilters().size(), 5);
        QVERIFY(ui::playlistNameFilters().at(2).contains("*.edl"));
    }

    void systemPlayerStartsAtTheMoment()
    {
        const QString dir = QString::fromStdString(vop::test::runTempDir()) + "/bin";
        QDir().mkpath(dir);
        const QByteArray oldPath = qgetenv("PATH");
        qputenv("PATH", dir.toLocal8Bit());
        QVERIFY(ui::systemPlayerCommand("/v/a.mp4", 12.5).program.isEmpty()); // none: the desktop's default
        QFile mpv(dir + "/mpv");
        QVERIFY(mpv.open(QIODevice::WriteOnly));
        mpv.write("#!/bin/sh\n");
        mpv.close();
        mpv.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        const auto c = ui::systemPlayerCommand("/v/-a.mp4", 12.5);
        qputenv("PATH", oldPath);
        QCOMPARE(c.program, dir + "/mpv");
        QCOMPARE(c.arguments, (QStringList{"--start=12.500", "--", "/v/-a.mp4"}));
    }
};

QTEST_MAIN(TestSearchModel)
#include "test_search_model.moc"
