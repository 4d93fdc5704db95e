// JobRunner: a core job on a worker thread, its progress as queued signals on the UI thread,
// pause/resume/cancel, and every exception turned into failed().
#include "common/JobRunner.h"

#include "util/Error.h"

#include <QSignalSpy>
#include <QThread>
#include <QTimer>
#include <QtTest>

#include <atomic>
#include <stdexcept>

using vop::service::JobControl;
using vop::service::JobProgress;
using vop::ui::JobProgressData;
using vop::ui::JobRunner;

namespace {
JobProgress step(const char* phase, int64_t done, int64_t total)
{
    JobProgress p;
    p.phase = phase;
    p.done = done;
    p.total = total;
    p.unit = "files";
    return p;
}
} // namespace

class TestJobRunner : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void finishedJobReportsPhasesAndProgressOnTheUiThread()
    {
        JobRunner runner;
        QSignalSpy phases(&runner, &JobRunner::phaseChanged);
        QSignalSpy finished(&runner, &JobRunner::finished);
        QSignalSpy ended(&runner, &JobRunner::ended);
        QSignalSpy failed(&runner, &JobRunner::failed);
        QThread* uiThread = QThread::currentThread();
        bool allOnUiThread = true;
        int progressCount = 0;
        connect(&runner, &JobRunner::progress, this, [&](const JobProgressData&) {
            ++progressCount;
            allOnUiThread = allOnUiThread && QThread::currentThread() == uiThread;
        });
        QVERIFY(runner.start([](JobControl& c) {
            c.report(step(vop::service::phase::Scanning, 0, 0));
            for (int i = 1; i <= 50; ++i)
                c.report(step(vop::service::phase::Indexing, i, 50));
        }));
        QVERIFY(runner.isRunning());
        QVERIFY(!runner.start([](JobControl&) {})); // one job at a time
        QVERIFY(runner.waitForEnd(30000));
        QCOMPARE(finished.count(), 1);
        QCOMPARE(ended.count(), 1);
        QCOMPARE(failed.count(), 0);
        QVERIFY(allOnUiThread);
        QVERIFY(progressCount >= 2); // coalesced, but each phase change is delivered
        QCOMPARE(phases.count(), 2);
        QCOMPARE(phases.at(0).at(0).toString(), QStringLiteral("scanning"));
        QCOMPARE(phases.at(1).at(0).toString(), QStringLiteral("indexing"));
        QCOMPARE(runner.lastProgress().done, qint64(50)); // the last report is never dropped
        QCOMPARE(runner.lastProgress().fraction(), 1.0);
        QVERIFY(!runner.isRunning());
        QCOMPARE(runner.state(), vop::service::JobState::Finished);
    }

    void throwingJobEndsInFailedNotInACrash()
    {
        JobRunner runner;
        QSignalSpy failed(&runner, &JobRunner::failed);
        QSignalSpy finished(&runner, &JobRunner::finished);
        runner.start([](JobControl&) { throw vop::InputError("no CLIP checkpoint found; put ViT-B-32.pt in ~/models"); });
        QVERIFY(runner.waitForEnd(30000));
        QCOMPARE(finished.count(), 0);
        QCOMPARE(failed.count(), 1);
        QCOMPARE(failed.at(0).at(0).toString(), QStringLiteral("no CLIP checkpoint found; put ViT-B-32.pt in ~/models"));
        QCOMPARE(runner.errorMessage(), failed.at(0).at(0).toString());

        // Something that is not a std::exception, then a runner reused for a job that works.
        runner.start([](JobControl&) { throw 42; });
        QVERIFY(runner.waitForEnd(30000));
        QCOMPARE(failed.count(), 2);
        QVERIFY(!failed.at(1).at(0).toString().isEmpty());
        runner.start([](JobControl&) {});
        QVERIFY(runner.waitForEnd(30000));
        QCOMPARE(finished.count(), 1);
        QVERIFY(runner.errorMessage().isEmpty());
    }

    void cancelBeforeStartEndsCancelledWithoutWorking()
    {
        JobRunner runner;
        QSignalSpy cancelled(&runner, &JobRunner::cancelled);
        std::atomic<bool> ran{false};
        runner.cancel();
        runner.start([&](JobControl&) { ran = true; });
        QVERIFY(runner.waitForEnd(30000));
        QCOMPARE(cancelled.count(), 1);
        QVERIFY(!ran);
        // The next job gets a fresh control.
        runner.start([&](JobControl&) { ran = true; });
        QVERIFY(runner.waitForEnd(30000));
        QVERIFY(ran);
        QCOMPARE(runner.state(), vop::service::JobState::Finished);
    }

    void pausesResumesAndCancelsWhileTheUiThreadRuns()
    {
        JobRunner runner;
        QSignalSpy pausedChanged(&runner, &JobRunner::pausedChanged);
        QSignalSpy cancelled(&runner, &JobRunner::cancelled);
        std::atomic<int64_t> steps{0};
        runner.start([&](JobControl& c) {
            for (int64_t i = 0; i < 1000000; ++i) {
                if (!c.checkpoint())
                    return;
                steps = i;
                c.report(step(vop::service::phase::Indexing, i, 1000000));
                QThread::msleep(1);
            }
        });
        int ticks = 0;
        QTimer timer;
        connect(&timer, &QTimer::timeout, this, [&] { ++ticks; });
        timer.start(5);

        QTRY_VERIFY_WITH_TIMEOUT(steps > 5, 30000);
        runner.pause();
        QTRY_VERIFY_WITH_TIMEOUT(pausedChanged.count() == 1, 30000);
        QCOMPARE(pausedChanged.at(0).at(0).toBool(), true);
        QVERIFY(runner.lastProgress().paused);
        const int64_t atPause = steps;
        const int ticksAtPause = ticks;
        QTRY_VERIFY_WITH_TIMEOUT(ticks >= ticksAtPause + 5, 30000); // the UI thread keeps running
        QCOMPARE(int64_t(steps), atPause);                           // while the job waits

        runner.resume();
        QTRY_VERIFY_WITH_TIMEOUT(pausedChanged.count() == 2, 30000);
        QCOMPARE(pausedChanged.at(1).at(0).toBool(), false);
        QTRY_VERIFY_WITH_TIMEOUT(steps > atPause + 3, 30000);

        runner.cancel();
        QVERIFY(runner.waitForEnd(30000));
        QCOMPARE(cancelled.count(), 1);
        QVERIFY(steps < 999999);
    }

    void destroyingTheRunnerCancelsAPausedJob()
    {
        std::atomic<bool> sawCancel{false};
        std::atomic<bool> running{false};
        {
            JobRunner runner;
            runner.start([&](JobControl& c) {
                running = true;
                while (c.checkpoint())
                    QThread::msleep(1);
                sawCancel = true;
            });
            QTRY_VERIFY_WITH_TIMEOUT(running, 30000);
            runner.pause();
            QTRY_VERIFY_WITH_TIMEOUT(runner.lastProgress().paused, 30000);
        } // must not hang
        QVERIFY(sawCancel);
    }
};

QTEST_MAIN(TestJobRunner)
#include "test_jobrunner.moc"
