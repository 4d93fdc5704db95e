#include "search/MomentSlider.h"

#include <QMouseEvent>
#include <QPainter>
#include <QStyle>
#include <QStyleOptionSlider>

#include <algorithm>

namespace vop::ui {

MomentSlider::MomentSlider(QWidget* parent) : QSlider(Qt::Horizontal, parent)
{
    setMinimumHeight(22);
    setPageStep(5000);
    setSingleStep(1000);
}

void MomentSlider::setMoment(qint64 startMs, qint64 endMs)
{
    m_start = startMs;
    m_end = std::max(startMs, endMs);
    update();
}

void MomentSlider::paintEvent(QPaintEvent* event)
{
    QSlider::paintEvent(event);
    if (maximum() <= minimum() || m_end <= m_start)
        return;
    QStyleOptionSlider opt;
    initStyleOption(&opt);
    const QRect groove = style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderGroove, this);
    const QRect handle = style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderHandle, this);
    // Positions map onto the span the handle's centre travels.
    const int x0 = groove.left() + handle.width() / 2, span = groove.width() - handle.width();
    auto xOf = [&](qint64 v) {
        return x0 + int(double(span) * double(v - minimum()) / double(maximum() - minimum()));
    };
    const int a = xOf(std::clamp<qint64>(m_start, minimum(), maximum()));
    const int b = std::max(a + 3, xOf(std::clamp<qint64>(m_end, minimum(), maximum())));
    QPainter p(this);
    QColor band(255, 190, 30, 150);
    const int h = std::max(6, groove.height() / 2);
    const QRect r(a, groove.center().y() - h / 2, b - a, h);
    p.fillRect(r, band);
    p.setPen(QColor(200, 140, 0));
    p.drawLine(a, r.top() - 2, a, r.bottom() + 2);
    p.drawLine(b, r.top() - 2, b, r.bottom() + 2);
}

void MomentSlider::mousePressEvent(QMouseEvent* event)
{
    // A click on the groove jumps there (not a page step): scrubbing a clip is about places.
    if (event->button() == Qt::LeftButton && maximum() > minimum()) {
        QStyleOptionSlider opt;
        initStyleOption(&opt);
        const QRect handle = style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderHandle, this);
        if (!handle.contains(event->position().toPoint())) {
            const QRect groove = style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderGroove, this);
            const int v = QStyle::sliderValueFromPosition(minimum(), maximum(),
                                                          int(event->position().x()) - groove.left() - handle.width() / 2,
                                                          groove.width() - handle.width());
            setValue(v);
            Q_EMIT sliderMoved(v);
            event->accept();
            return;
        }
    }
    QSlider::mousePressEvent(event);
}

} // namespace vop::ui
