#include "search/SearchFilterBar.h"

#include <QBoxLayout>
#include <QComboBox>
#include <QDateEdit>
#include <QDir>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QStyle>
#include <QToolButton>

namespace vop::ui {

namespace {
const QDate kAnyDate(1970, 1, 1); // the date boxes' minimum shows "any"

QLabel* label(const QString& text, QWidget* buddy, QWidget* parent)
{
    auto* l = new QLabel(text, parent);
    l->setBuddy(buddy);
    return l;
}
} // namespace

SearchFilterBar::SearchFilterBar(QWidget* parent) : QWidget(parent)
{
    m_folder = new QComboBox(this);
    m_folder->setEditable(true);
    m_folder->setInsertPolicy(QComboBox::NoInsert);
    m_folder->lineEdit()->setPlaceholderText(tr("All folders"));
    m_folder->lineEdit()->setClearButtonEnabled(true);
    m_folder->setMinimumContentsLength(16);
    m_folder->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_folder->setAccessibleName(QStringLiteral("Folder filter"));
    m_folder->setToolTip(tr("Only videos under this folder (any folder when empty)"));
    m_browse = new QToolButton(this);
    m_browse->setIcon(style()->standardIcon(QStyle::SP_DirOpenIcon));
    m_browse->setToolTip(tr("Choose a folder"));
    m_browse->setAccessibleName(QStringLiteral("Choose folder"));

    auto dateEdit = [this](const QString& name, const QString& tip) {
        auto* d = new QDateEdit(this);
        d->setCalendarPopup(true);
        d->setMinimumDate(kAnyDate);
        d->setSpecialValueText(tr("any"));
        d->setDate(kAnyDate);
        d->setDisplayFormat(QStringLiteral("yyyy-MM-dd"));
        d->setAccessibleName(name);
        d->setToolTip(tip);
        return d;
    };
    m_from = dateEdit(QStringLiteral("Modified from"), tr("Only videos modified on or after this day"));
    m_to = dateEdit(QStringLiteral("Modified to"), tr("Only videos modified on or before this day"));

    auto secondsBox = [this](const QString& name, const QString& tip) {
        auto* s = new QSpinBox(this);
        s->setRange(0, 24 * 3600);
        s->setSpecialValueText(tr("any"));
        s->setSuffix(tr(" s"));
        s->setAccessibleName(name);
        s->setToolTip(tip);
        return s;
    };
    m_minLength = secondsBox(QStringLiteral("Minimum length"), tr("Only videos at least this long"));
    m_maxLength = secondsBox(QStringLiteral("Maximum length"), tr("Only videos at most this long"));

    m_minScore = new QDoubleSpinBox(this);
    m_minScore->setRange(-1.0, 1.0);
    m_minScore->setDecimals(3);
    m_minScore->setSingleStep(0.005);
    m_minScore->setSpecialValueText(tr("any"));
    m_minScore->setValue(-1.0);
    m_minScore->setAccessibleName(QStringLiteral("Minimum score"));
    m_minScore->setToolTip(tr("Hide moments that score below this (scores are shown under each result)"));

    m_reset = new QToolButton(this);
    m_reset->setText(tr("Reset"));
    m_reset->setToolTip(tr("Clear every filter"));
    m_reset->setAutoRaise(true);

    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(4);
    row->addWidget(label(tr("F&older:"), m_folder, this));
    row->addWidget(m_folder, 3);
    row->addWidget(m_browse);
    row->addSpacing(10);
    row->addWidget(label(tr("&Modified:"), m_from, this));
    row->addWidget(m_from);
    row->addWidget(new QLabel(QStringLiteral("–"), this));
    row->addWidget(m_to);
    row->addSpacing(10);
    row->addWidget(label(tr("&Length:"), m_minLength, this));
    row->addWidget(m_minLength);
    row->addWidget(new QLabel(QStringLiteral("–"), this));
    row->addWidget(m_maxLength);
    row->addSpacing(10);
    row->addWidget(label(tr("Min. s&core:"), m_minScore, this));
    row->addWidget(m_minScore);
    row->addWidget(m_reset);
    row->addStretch(1);

    connect(m_folder->lineEdit(), &QLineEdit::editingFinished, this, &SearchFilterBar::filtersChanged);
    connect(m_folder, qOverload<int>(&QComboBox::activated), this, &SearchFilterBar::filtersChanged);
    connect(m_browse, &QToolButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Only videos under"), m_folder->currentText());
        if (!dir.isEmpty())
            setFolder(dir);
    });
    for (auto* d : {m_from, m_to})
        connect(d, &QDateEdit::dateChanged, this, &SearchFilterBar::filtersChanged);
    for (auto* s : {m_minLength, m_maxLength})
        connect(s, qOverload<int>(&QSpinBox::valueChanged), this, &SearchFilterBar::filtersChanged);
    connect(m_minScore, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
            [this](double) { Q_EMIT minimumScoreChanged(minimumScore()); });
    connect(m_reset, &QToolButton::clicked, this, &SearchFilterBar::reset);
}

void SearchFilterBar::setFolders(const QStringList& folders)
{
    const QString text = m_folder->currentText();
    const QSignalBlocker block(m_folder);
    m_folder->clear();
    m_folder->addItems(folders);
    m_folder->setEditText(text);
}

search::Filters SearchFilterBar::filters() const
{
    search::Filters f;
    const QString folder = m_folder->currentText().trimmed();
    if (!folder.isEmpty())
        f.folders.push_back(QDir::cleanPath(QDir::fromNativeSeparators(folder)).toStdString());
    if (m_from->date() > kAnyDate)
        f.modifiedAfter = m_from->date().startOfDay().toSecsSinceEpoch();
    if (m_to->date() > kAnyDate)
        f.modifiedBefore = m_to->date().addDays(1).startOfDay().toSecsSinceEpoch(); // the whole day
    if (m_minLength->value() > 0)
        f.minDuration = m_minLength->value();
    if (m_maxLength->value() > 0)
        f.maxDuration = m_maxLength->value();
    return f;
}

double SearchFilterBar::minimumScore() const
{
    return m_minScore->value() <= m_minScore->minimum() ? -1.0 : m_minScore->value();
}

void SearchFilterBar::setFolder(const QString& folder)
{
    m_folder->setEditText(folder);
    Q_EMIT filtersChanged();
}

void SearchFilterBar::setModifiedRange(const QDate& from, const QDate& to)
{
    const QSignalBlocker a(m_from), b(m_to);
    m_from->setDate(from.isValid() ? from : kAnyDate);
    m_to->setDate(to.isValid() ? to : kAnyDate);
    Q_EMIT filtersChanged();
}

void SearchFilterBar::setDurationRange(int minSeconds, int maxSeconds)
{
    const QSignalBlocker a(m_minLength), b(m_maxLength);
    m_minLength->setValue(minSeconds);
    m_maxLength->setValue(maxSeconds);
    Q_EMIT filtersChanged();
}

void SearchFilterBar::setMinimumScore(double score)
{
    m_minScore->setValue(score <= -1 ? m_minScore->minimum() : score); // emits through valueChanged
}

void SearchFilterBar::reset()
{
    {
        const QSignalBlocker a(m_folder), b(m_from), c(m_to), d(m_minLength), e(m_maxLength);
        m_folder->setEditText(QString());
        m_from->setDate(kAnyDate);
        m_to->setDate(kAnyDate);
        m_minLength->setValue(0);
        m_maxLength->setValue(0);
    }
    setMinimumScore(-1);
    Q_EMIT filtersChanged();
}

} // namespace vop::ui
