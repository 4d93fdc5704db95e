#pragma once
// The live charts of a training run: the loss of every step, and the validation recall
// (t2v R@1 and R@5) of every evaluation, zero-shot CLIP being the evaluation at step 0.
#include "train/Trainer.h"

#include <QWidget>

class QChartView;
class QLineSeries;
class QScatterSeries;
class QValueAxis;

namespace vop::ui {

class TrainingCharts : public QWidget {
    Q_OBJECT
public:
    explicit TrainingCharts(QWidget* parent = nullptr);

    void clear(int64_t totalSteps = 0);
    void setTotalSteps(int64_t totalSteps);
    void addStep(const StepProgress& step);
    void addEvaluation(const EvalRecord& evaluation);
    // Redraws everything from a finished run (a resumed run's earlier steps included), with
    // zero-shot CLIP at step 0 and as a dashed reference line.
    void showResult(const TrainResult& result);

    QChartView* lossView() const { return m_lossView; }
    QChartView* recallView() const { return m_recallView; }
    int lossPoints() const;
    int recallPoints() const; // R@1 points
    int zeroShotPoints() const; // the dashed zero-shot line: 2 points from its evaluation on, else 0

private:
    QChartView* m_lossView = nullptr;
    QChartView* m_recallView = nullptr;
    QLineSeries* m_loss = nullptr;
    QLineSeries* m_r1 = nullptr;
    QLineSeries* m_r5 = nullptr;
    QScatterSeries* m_best = nullptr;
    QLineSeries* m_zeroShot = nullptr;
    QValueAxis* m_lossX = nullptr;
    QValueAxis* m_lossY = nullptr;
    QValueAxis* m_recallX = nullptr;
    QValueAxis* m_recallY = nullptr;
    double m_maxLoss = 0;
    int64_t m_totalSteps = 0;
};

} // namespace vop::ui
