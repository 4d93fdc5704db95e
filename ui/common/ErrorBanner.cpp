#include "ErrorBanner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace vop::ui {

namespace {
QString styleFor(ErrorBanner::Level level)
{
    // Soft backgrounds with a strong left edge: readable in light and dark themes.
    switch (level) {
    case ErrorBanner::Level::Error:
        return QStringLiteral("vop--ui--ErrorBanner { background: #fdecea; border: 1px solid #e0a8a0;"
                              " border-left: 4px solid #c0392b; border-radius: 3px; }"
                              " QLabel { color: #4a1410; background: transparent; border: none; }");
    case ErrorBanner::Level::Warning:
        return QStringLiteral("vop--ui--ErrorBanner { background: #fff4e0; border: 1px solid #e6c48a;"
                              " border-left: 4px solid #d68910; border-radius: 3px; }"
                              " QLabel { color: #4a3000; background: transparent; border: none; }");
    case ErrorBanner::Level::Info:
        break;
    }
    return QStringLiteral("vop--ui--ErrorBanner { background: #e8f1fb; border: 1px solid #a9c7e8;"
                          " border-left: 4px solid #2e6db4; border-radius: 3px; }"
                          " QLabel { color: #0e2a47; background: transparent; border: none; }");
}
} // namespace

ErrorBanner::ErrorBanner(QWidget* parent)
    : QFrame(parent)
{
    setObjectName(QStringLiteral("errorBanner"));
    setAccessibleName(tr("Message"));
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(10, 6, 6, 6);
    auto* texts = new QVBoxLayout;
    texts->setSpacing(2);
    m_what = new QLabel(this);
    m_what->setWordWrap(true);
    m_what->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont bold = m_what->font();
    bold.setBold(true);
    m_what->setFont(bold);
    m_hint = new QLabel(this);
    m_hint->setWordWrap(true);
    m_hint->setTextInteractionFlags(Qt::TextSelectableByMouse);
    texts->addWidget(m_what);
    texts->addWidget(m_hint);
    row->addLayout(texts, 1);
    m_action = new QPushButton(this);
    m_action->hide();
    connect(m_action, &QPushButton::clicked, this, &ErrorBanner::actionTriggered);
    row->addWidget(m_action, 0, Qt::AlignVCenter);
    m_close = new QToolButton(this);
    m_close->setAutoRaise(true);
    m_close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    m_close->setToolTip(tr("Dismiss this message"));
    m_close->setAccessibleName(tr("Dismiss"));
    connect(m_close, &QToolButton::clicked, this, &ErrorBanner::dismiss);
    row->addWidget(m_close, 0, Qt::AlignTop);
    hide();
}

void ErrorBanner::showMessage(const QString& whatHappened, const QString& whatToDo, Level level,
                              const QString& actionText)
{
    m_level = level;
    setStyleSheet(styleFor(level));
    m_what->setText(whatHappened);
    m_hint->setText(whatToDo);
    m_hint->setVisible(!whatToDo.isEmpty());
    m_action->setText(actionText);
    m_action->setVisible(!actionText.isEmpty());
    setAccessibleDescription(whatToDo.isEmpty() ? whatHappened : whatHappened + QLatin1Char(' ') + whatToDo);
    show();
}

QString ErrorBanner::text() const
{
    return m_what->text();
}

QString ErrorBanner::hint() const
{
    return m_hint->text();
}

void ErrorBanner::dismiss()
{
    if (isHidden())
        return;
    hide();
    Q_EMIT dismissed();
}

} // namespace vop::ui
