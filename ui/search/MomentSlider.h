#pragma once
// A horizontal scrub bar over a whole video (milliseconds) with the found moment painted as a
// band on the groove, so the playhead is seen inside or outside the moment at a glance.
#include <QSlider>

namespace vop::ui {

class MomentSlider : public QSlider {
    Q_OBJECT
public:
    explicit MomentSlider(QWidget* parent = nullptr);

    void setMoment(qint64 startMs, qint64 endMs);
    qint64 momentStart() const { return m_start; }
    qint64 momentEnd() const { return m_end; }

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;

private:
    qint64 m_start = 0;
    qint64 m_end = 0;
};

} // namespace vop::ui
