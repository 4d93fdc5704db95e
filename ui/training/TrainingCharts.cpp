#include "training/TrainingCharts.h"

#include <QChart>
#include <QChartView>
#include <QHBoxLayout>
#include <QLegend>
#include <QLineSeries>
#include <QScatterSeries>
#include <QValueAxis>

#include <algorithm>

namespace vop::ui {

namespace {

QChartView* makeView(const QString& title, QWidget* parent)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->legend()->setAlignment(Qt::AlignBottom);
    auto* view = new QChartView(chart, parent);
    view->setRenderHint(QPainter::Antialiasing);
    view->setAccessibleName(title);
    view->setMinimumSize(260, 250);
    return view;
}

// A tick every 1, 2, 5, 10, 20, 50... steps: at most about six labels, whole numbers.
double niceInterval(double range)
{
    double step = 1;
    for (int k = 0; range / step > 6; ++k) step = (k % 3 == 0 ? 2 : k % 3 == 1 ? 2.5 : 2) * step;
    return step;
}

QValueAxis* axis(const QString& title, const char* format)
{
    auto* a = new QValueAxis;
    a->setTickType(QValueAxis::TicksDynamic);
    a->setTickAnchor(0);
    a->setTitleText(title);
    a->setLabelFormat(QString::fromLatin1(format));
    return a;
}

} // namespace

TrainingCharts::TrainingCharts(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_lossView = makeView(QStringLiteral("Training loss"), this);
    m_lossView->setToolTip(QStringLiteral("Contrastive loss of each training step; it should fall"));
    m_recallView = makeView(QStringLiteral("Validation recall"), this);
    m_recallView->setToolTip(QStringLiteral(
        "Text-to-video recall on the held-out clips: how often the right clip is the first (R@1) or among the "
        "first five (R@5). Step 0 is zero-shot CLIP; the ringed point is the kept set."));
    layout->addWidget(m_lossView, 1);
    layout->addWidget(m_recallView, 1);

    QChart* lc = m_lossView->chart();
    m_loss = new QLineSeries;
    m_loss->setName(QStringLiteral("loss per step"));
    lc->addSeries(m_loss);
    m_lossX = axis(QStringLiteral("step"), "%d");
    m_lossY = axis(QString(), "%.2f");
    m_lossY->setTickType(QValueAxis::TicksFixed);
    lc->addAxis(m_lossX, Qt::AlignBottom);
    lc->addAxis(m_lossY, Qt::AlignLeft);
    m_loss->attachAxis(m_lossX);
    m_loss->attachAxis(m_lossY);
    lc->legend()->hide();

    QChart* rc = m_recallView->chart();
    m_r1 = new QLineSeries;
    m_r1->setName(QStringLiteral("R@1"));
    m_r5 = new QLineSeries;
    m_r5->setName(QStringLiteral("R@5"));
    m_best = new QScatterSeries;
    m_best->setName(QStringLiteral("kept"));
    m_best->setMarkerSize(11);
    m_best->setColor(Qt::transparent);
    m_best->setBorderColor(QColor(0xd0, 0x30, 0x30));
    m_zeroShot = new QLineSeries;
    m_zeroShot->setName(QStringLiteral("zero-shot R@1"));
    QPen dashed(QColor(0x70, 0x70, 0x70));
    dashed.setStyle(Qt::DashLine);
    dashed.setWidth(1);
    m_zeroShot->setPen(dashed);
    rc->addSeries(m_zeroShot);
    for (auto* s : {static_cast<QXYSeries*>(m_r1), static_cast<QXYSeries*>(m_r5), static_cast<QXYSeries*>(m_best)}) {
        s->setPointsVisible(true);
        rc->addSeries(s);
    }
    m_recallX = axis(QStringLiteral("step"), "%d");
    m_recallY = axis(QStringLiteral("%"), "%d");
    rc->addAxis(m_recallX, Qt::AlignBottom);
    rc->addAxis(m_recallY, Qt::AlignLeft);
    for (auto* s : {static_cast<QXYSeries*>(m_zeroShot), static_cast<QXYSeries*>(m_r1), static_cast<QXYSeries*>(m_r5),
                    static_cast<QXYSeries*>(m_best)}) {
        s->attachAxis(m_recallX);
        s->attachAxis(m_recallY);
    }
    clear();
}

void TrainingCharts::clear(int64_t totalSteps)
{
    m_loss->clear();
    m_r1->clear();
    m_r5->clear();
    m_best->clear();
    m_zeroShot->clear();
    m_maxLoss = 0;
    m_lossY->setRange(0, 1);
    m_lossY->setTickCount(5);
    m_recallY->setRange(0, 105); // a line at 100 % stays visible
    m_recallY->setTickInterval(25);
    setTotalSteps(totalSteps);
}

void TrainingCharts::setTotalSteps(int64_t totalSteps)
{
    m_totalSteps = totalSteps;
    const double x = double(std::max<int64_t>(totalSteps, 1));
    m_lossX->setRange(0, x);
    m_recallX->setRange(0, x);
    m_lossX->setTickInterval(niceInterval(x));
    m_recallX->setTickInterval(niceInterval(x));
    if (m_zeroShot->count() == 2) m_zeroShot->replace(1, x, m_zeroShot->at(1).y()); // the line spans the run
}

void TrainingCharts::addStep(const StepProgress& step)
{
    if (step.totalSteps > m_totalSteps) setTotalSteps(step.totalSteps);
    m_loss->append(double(step.step), step.loss);
    if (step.loss > m_maxLoss) {
        m_maxLoss = step.loss;
        m_lossY->setRange(0, m_maxLoss * 1.1);
        m_lossY->setTickCount(5);
        m_lossY->applyNiceNumbers(); // round range and ticks
    }
}

void TrainingCharts::addEvaluation(const EvalRecord& e)
{
    if (e.step > m_totalSteps) setTotalSteps(e.step);
    m_r1->append(double(e.step), e.metrics.t2v.r1);
    m_r5->append(double(e.step), e.metrics.t2v.r5);
    if (e.step == 0) { // zero-shot CLIP: the dashed line to beat, across the whole run, from the start
        m_zeroShot->clear();
        m_zeroShot->append(0, e.metrics.t2v.r1);
        m_zeroShot->append(double(std::max<int64_t>(m_totalSteps, 1)), e.metrics.t2v.r1);
    }
    if (e.best && e.step > 0) {
        m_best->clear();
        m_best->append(double(e.step), e.metrics.t2v.r1);
    }
}

void TrainingCharts::showResult(const TrainResult& r)
{
    clear(r.steps);
    for (const auto& h : r.history) {
        StepProgress p;
        p.step = h.step;
        p.epoch = h.epoch;
        p.loss = h.loss;
        p.totalSteps = r.steps;
        addStep(p);
    }
    if (r.hasValidation) {
        EvalRecord zero;
        zero.metrics = r.zeroShot;
        addEvaluation(zero);
    }
    for (const auto& e : r.evaluations) {
        EvalRecord k = e;
        k.best = e.step == r.bestStep;
        addEvaluation(k);
    }
}

int TrainingCharts::lossPoints() const
{
    return m_loss->count();
}

int TrainingCharts::zeroShotPoints() const
{
    return m_zeroShot->count();
}

int TrainingCharts::recallPoints() const
{
    return m_r1->count();
}

} // namespace vop::ui
