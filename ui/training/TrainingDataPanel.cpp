#include "training/TrainingDataPanel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStandardItemModel>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace vop::ui {

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

// What "too small" means, said once under the service's warnings.
const char* kTooSmallMeaning =
    "Too small means: so few clips per caption that the prompts learn those particular clips by heart "
    "instead of what the captions mean, and a validation part so small that one clip more or less "
    "right changes the score by many points. The run still works; its verdict is just not to be trusted.";

} // namespace

TrainingDataPanel::TrainingDataPanel(QWidget* parent) : QWidget(parent)
{
    auto* form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

    m_format = new QComboBox(this);
    m_format->setAccessibleName(QStringLiteral("Data format"));
    m_format->addItem(QStringLiteral("Labelled folders (folder name = caption)"), QStringLiteral("folders"));
    m_format->addItem(QStringLiteral("Sidecar captions (clip.mp4 + clip.txt)"), QStringLiteral("sidecar"));
    m_format->addItem(QStringLiteral("MSR-VTT annotations + videos folder"), QStringLiteral("msrvtt"));
    m_format->setToolTip(QStringLiteral(
        "Labelled folders: DATA/<label>/*.mp4, the folder name is the caption (_ reads as a space).\n"
        "Sidecar captions: every clip.mp4 has a clip.txt beside it with one caption per line.\n"
        "MSR-VTT: the annotation file (MSRVTT_data.json or a CSV) and the folder of its videos."));
    form->addRow(QStringLiteral("Data &format:"), m_format);

    auto* pathRow = new QWidget(this);
    auto* pathLayout = new QHBoxLayout(pathRow);
    pathLayout->setContentsMargins(0, 0, 0, 0);
    m_path = new QLineEdit(pathRow);
    m_path->setAccessibleName(QStringLiteral("Training data"));
    m_path->setPlaceholderText(QStringLiteral("a folder of labelled clips (type, paste or choose)"));
    m_path->setToolTip(QStringLiteral("The dataset folder, or for MSR-VTT the annotation file"));
    m_path->setClearButtonEnabled(true);
    m_choose = new QPushButton(QStringLiteral("Choose..."), pathRow);
    m_choose->setAccessibleName(QStringLiteral("Choose training data"));
    pathLayout->addWidget(m_path, 1);
    pathLayout->addWidget(m_choose);
    form->addRow(QStringLiteral("Training &data:"), pathRow);

    m_template = new QLineEdit(this);
    m_template->setAccessibleName(QStringLiteral("Caption template"));
    m_template->setPlaceholderText(QStringLiteral("{}   e.g. a video of {}"));
    m_template->setToolTip(QStringLiteral("How a folder name becomes a caption: {} is replaced by the label"));
    m_templateLabel = new QLabel(QStringLiteral("Caption &template:"), this);
    m_templateLabel->setBuddy(m_template);
    form->addRow(m_templateLabel, m_template);

    m_videosRow = new QWidget(this);
    auto* videosLayout = new QHBoxLayout(m_videosRow);
    videosLayout->setContentsMargins(0, 0, 0, 0);
    m_videos = new QLineEdit(m_videosRow);
    m_videos->setAccessibleName(QStringLiteral("Videos folder"));
    m_videos->setPlaceholderText(QStringLiteral("default: videos/all or videos beside the annotations"));
    auto* chooseVideos = new QPushButton(QStringLiteral("Choose..."), m_videosRow);
    videosLayout->addWidget(m_videos, 1);
    videosLayout->addWidget(chooseVideos);
    m_videosLabel = new QLabel(QStringLiteral("&Videos folder:"), this);
    m_videosLabel->setBuddy(m_videos);
    form->addRow(m_videosLabel, m_videosRow);

    m_validation = new QDoubleSpinBox(this);
    m_validation->setAccessibleName(QStringLiteral("Validation part"));
    m_validation->setRange(0, 50);
    m_validation->setDecimals(0);
    m_validation->setSuffix(QStringLiteral(" % of the clips"));
    m_validation->setValue(10);
    m_validation->setToolTip(QStringLiteral(
        "Clips held out (never trained on) to measure whether the prompts beat zero-shot CLIP. 0: no "
        "comparison, the last prompts are kept."));
    form->addRow(QStringLiteral("&Held out:"), m_validation);

    m_found = new QLabel(QStringLiteral("Choose a folder to see what it holds."), this);
    m_found->setWordWrap(true);
    m_found->setAccessibleName(QStringLiteral("Data summary"));
    form->addRow(m_found);

    m_labels = new QStandardItemModel(0, 2, this);
    m_labels->setHorizontalHeaderLabels({QStringLiteral("Caption"), QStringLiteral("Clips")});
    m_labelsView = new QTableView(this);
    m_labelsView->setModel(m_labels);
    m_labelsView->setAccessibleName(QStringLiteral("Training labels"));
    m_labelsView->verticalHeader()->hide();
    m_labelsView->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_labelsView->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_labelsView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_labelsView->setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    form->addRow(m_labelsView);

    m_warnings = new QLabel(this);
    m_warnings->setWordWrap(true);
    m_warnings->setAccessibleName(QStringLiteral("Data warnings"));
    m_warnings->setStyleSheet(QStringLiteral("color: #9a5b00;"));
    m_warnings->hide();
    form->addRow(m_warnings);

    m_skipped = new QPlainTextEdit(this);
    m_skipped->setReadOnly(true);
    m_skipped->setAccessibleName(QStringLiteral("Skipped files"));
    m_skipped->setMaximumHeight(70);
    m_skipped->hide();
    form->addRow(m_skipped);

    m_debounce = new QTimer(this);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(400);
    connect(m_debounce, &QTimer::timeout, this, &TrainingDataPanel::inspectNow);

    connect(m_choose, &QPushButton::clicked, this, [this] {
        const bool file = m_format->currentData().toString() == QLatin1String("msrvtt");
        const QString p = file ? QFileDialog::getOpenFileName(this, QStringLiteral("MSR-VTT annotations"), m_path->text(),
                                                              QStringLiteral("Annotations (*.json *.csv);;All files (*)"))
                               : QFileDialog::getExistingDirectory(this, QStringLiteral("Training data"), m_path->text());
        if (!p.isEmpty()) {
            m_path->setText(p);
            inspectNow();
        }
    });
    connect(chooseVideos, &QPushButton::clicked, this, [this] {
        const QString p = QFileDialog::getExistingDirectory(this, QStringLiteral("MSR-VTT videos"), m_videos->text());
        if (!p.isEmpty()) m_videos->setText(p);
        scheduleInspect();
    });
    connect(m_path, &QLineEdit::textChanged, this, &TrainingDataPanel::scheduleInspect);
    connect(m_template, &QLineEdit::textChanged, this, &TrainingDataPanel::scheduleInspect);
    connect(m_videos, &QLineEdit::textChanged, this, &TrainingDataPanel::scheduleInspect);
    connect(m_validation, &QDoubleSpinBox::valueChanged, this, &TrainingDataPanel::scheduleInspect);
    connect(m_format, &QComboBox::currentIndexChanged, this, &TrainingDataPanel::formatChanged);
    connect(&m_watch, &QFutureWatcher<Inspection>::finished, this, [this] {
        m_inspecting = false;
        const Inspection r = m_watch.result();
        if (m_again) {
            m_again = false;
            inspectNow();
            return;
        }
        m_summary = r.summary;
        if (r.summary) showSummary();
        else showProblem(r.error);
        Q_EMIT inspected(bool(r.summary));
    });
    formatChanged();
}

TrainingDataPanel::~TrainingDataPanel()
{
    m_watch.waitForFinished();
}

vop::service::DataSource TrainingDataPanel::dataSource() const
{
    vop::service::DataSource d;
    d.path = m_path->text().trimmed().toStdString();
    d.format = m_format->currentData().toString().toStdString();
    const QString tmpl = m_template->text().trimmed();
    if (d.format == "folders" && !tmpl.isEmpty()) d.options.captionTemplate = tmpl.toStdString();
    if (d.format == "msrvtt") d.options.videoDir = m_videos->text().trimmed().toStdString();
    d.validationFraction = m_validation->value() / 100.0;
    return d;
}

void TrainingDataPanel::setSource(const QString& path, const QString& format, const QString& captionTemplate)
{
    const QSignalBlocker b1(m_path), b2(m_format), b3(m_template);
    m_format->setCurrentIndex(std::max(0, m_format->findData(format)));
    m_path->setText(path);
    m_template->setText(captionTemplate);
    formatChanged();
    inspectNow();
}

void TrainingDataPanel::setDataSource(const vop::service::DataSource& source)
{
    {
        const QSignalBlocker b1(m_videos), b2(m_validation);
        m_videos->setText(qs(source.options.videoDir));
        m_validation->setValue(source.validationFraction * 100.0);
    }
    const std::string tmpl = source.options.captionTemplate == "{}" ? std::string() : source.options.captionTemplate;
    setSource(qs(source.path), qs(source.format), qs(tmpl));
}

void TrainingDataPanel::setValidationPercent(double percent)
{
    const QSignalBlocker b(m_validation);
    m_validation->setValue(percent);
    scheduleInspect();
}

void TrainingDataPanel::setEditable(bool editable)
{
    for (QWidget* w : {static_cast<QWidget*>(m_path), static_cast<QWidget*>(m_choose), static_cast<QWidget*>(m_format),
                       static_cast<QWidget*>(m_template), static_cast<QWidget*>(m_videosRow),
                       static_cast<QWidget*>(m_validation)})
        w->setEnabled(editable);
}

void TrainingDataPanel::formatChanged()
{
    const QString f = m_format->currentData().toString();
    m_templateLabel->setVisible(f == QLatin1String("folders"));
    m_template->setVisible(f == QLatin1String("folders"));
    m_videosLabel->setVisible(f == QLatin1String("msrvtt"));
    m_videosRow->setVisible(f == QLatin1String("msrvtt"));
    m_path->setPlaceholderText(f == QLatin1String("msrvtt") ? QStringLiteral("MSRVTT_data.json or an annotations CSV")
                                                            : QStringLiteral("a folder of clips (type, paste or choose)"));
    scheduleInspect();
}

void TrainingDataPanel::scheduleInspect()
{
    m_summary.reset();
    Q_EMIT sourceChanged();
    m_debounce->start();
}

void TrainingDataPanel::inspectNow()
{
    m_debounce->stop();
    const auto source = dataSource();
    if (source.path.empty()) {
        m_summary.reset();
        showProblem(QString());
        return;
    }
    if (m_inspecting) {
        m_again = true;
        return;
    }
    m_inspecting = true;
    m_summary.reset();
    m_found->setText(QStringLiteral("Reading %1 ...").arg(qs(source.path)));
    m_watch.setFuture(QtConcurrent::run([source]() -> Inspection {
        Inspection r;
        try {
            r.summary = vop::service::TrainingService::inspect(source);
        } catch (const std::exception& e) {
            r.error = QString::fromUtf8(e.what());
        }
        return r;
    }));
}

void TrainingDataPanel::showSummary()
{
    const auto& s = *m_summary;
    m_problem.clear();
    m_labels->removeRows(0, m_labels->rowCount());
    for (const auto& [caption, clips] : s.labels) {
        auto* c = new QStandardItem(qs(caption));
        auto* n = new QStandardItem(QString::number(qulonglong(clips)));
        n->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_labels->appendRow({c, n});
    }
    // As tall as its rows, up to eight; more scroll.
    const int rows = std::clamp(m_labels->rowCount(), 1, 8);
    m_labelsView->setFixedHeight(m_labelsView->horizontalHeader()->height() + rows * m_labelsView->verticalHeader()->defaultSectionSize() + 4);
    QString text = QStringLiteral("<b>%1 clips</b> with %2 distinct captions").arg(s.videos).arg(s.labels.size());
    if (s.captions != s.labels.size()) text += QStringLiteral(" (%1 captions in all)").arg(s.captions);
    text += QStringLiteral(".<br>Split: <b>%1</b> for training, <b>%2</b> held out for validation.")
                .arg(s.trainVideos)
                .arg(s.validationVideos);
    if (!s.skipped.empty()) text += QStringLiteral("<br>%1 file(s) skipped (below).").arg(s.skipped.size());
    m_found->setText(text);
    if (s.warnings.empty()) {
        m_warnings->hide();
    } else {
        QStringList w;
        for (const auto& x : s.warnings) w << QStringLiteral("\u26a0 ") + qs(x);
        w << QString::fromUtf8(kTooSmallMeaning);
        m_warnings->setText(w.join(QStringLiteral("\n")));
        m_warnings->show();
    }
    QStringList skipped;
    for (const auto& x : s.skipped) skipped << qs(x);
    m_skipped->setPlainText(skipped.join(QLatin1Char('\n')));
    m_skipped->setVisible(!skipped.isEmpty());
}

void TrainingDataPanel::showProblem(const QString& text)
{
    m_problem = text;
    m_labels->removeRows(0, m_labels->rowCount());
    m_warnings->hide();
    m_skipped->hide();
    if (text.isEmpty()) {
        m_found->setText(QStringLiteral("Choose a folder to see what it holds."));
        m_found->setStyleSheet(QString());
    } else {
        m_found->setText(QStringLiteral("Cannot use this data: ") + text.toHtmlEscaped());
    }
}

} // namespace vop::ui
