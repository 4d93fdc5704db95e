#pragma once
// An inline, dismissable message at the top of a view: what happened (bold) and what to do
// (plain), with an optional action button ("Choose model…"). Hidden until showMessage().
// Replaces a modal box for errors that leave the window usable.
#include <QFrame>

class QLabel;
class QPushButton;
class QToolButton;

namespace vop::ui {

class ErrorBanner : public QFrame {
    Q_OBJECT
public:
    enum class Level { Error, Warning, Info };

    explicit ErrorBanner(QWidget* parent = nullptr);

    // Shows the banner. `whatToDo` may be empty. An action button appears when `actionText`
    // is not empty; pressing it emits actionTriggered().
    void showMessage(const QString& whatHappened, const QString& whatToDo = {}, Level level = Level::Error,
                     const QString& actionText = {});
    QString text() const;
    QString hint() const;
    Level level() const { return m_level; }

public Q_SLOTS:
    void dismiss();

Q_SIGNALS:
    void dismissed();
    void actionTriggered();

private:
    QLabel* m_what = nullptr;
    QLabel* m_hint = nullptr;
    QPushButton* m_action = nullptr;
    QToolButton* m_close = nullptr;
    Level m_level = Level::Error;
};

} // namespace vop::ui
