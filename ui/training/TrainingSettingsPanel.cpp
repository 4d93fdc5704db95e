#include "training/TrainingSettingsPanel.h"

#include "promptsets/PromptSetLibrary.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace vop::ui {

namespace {
QString qs(const std::string& s) { return QString::fromStdString(s); }
} // namespace

QString TrainingSettingsPanel::explanation(Variant v)
{
    switch (v) {
    case Variant::Vop: return QStringLiteral("Learned text and visual tokens in every layer; frames are averaged. Smallest and quickest.");
    case Variant::VopP: return QStringLiteral("Visual tokens of their own for each frame position plus shared ones; frames averaged.");
    case Variant::VopC: return QStringLiteral("Visual tokens generated from each clip's frames by a small network (BiLSTM). Largest; slowest to train.");
    case Variant::VopF: return QStringLiteral("Frames first alone, then attend to each other across the clip: can see motion and order.");
    case Variant::VopFP: return QStringLiteral("VoP^F with position-specific frame tokens (as VoP^P) in the frame-level layers.");
    case Variant::VopFC: return QStringLiteral("VoP^F with frame tokens generated from the clip (as VoP^C). Largest.");
    case Variant::Zero: break;
    }
    return QStringLiteral("Zero-shot CLIP, no prompts.");
}

QSpinBox* TrainingSettingsPanel::spin(const QString& name, int lo, int hi, const QString& tip)
{
    auto* s = new QSpinBox(m_advanced);
    s->setRange(lo, hi);
    s->setAccessibleName(name);
    s->setToolTip(tip);
    connect(s, &QSpinBox::valueChanged, this, &TrainingSettingsPanel::updateCounts);
    return s;
}

QDoubleSpinBox* TrainingSettingsPanel::rate(const QString& name, const QString& tip)
{
    auto* s = new QDoubleSpinBox(m_advanced);
    s->setDecimals(5);
    s->setRange(0.00001, 1.0);
    s->setSingleStep(0.0001);
    s->setAccessibleName(name);
    s->setToolTip(tip);
    connect(s, &QDoubleSpinBox::valueChanged, this, &TrainingSettingsPanel::changed);
    return s;
}

TrainingSettingsPanel::TrainingSettingsPanel(const ClipConfig& config, const QString& backboneName, QWidget* parent)
    : QWidget(parent), m_config(config)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* top = new QFormLayout;
    m_variant = new QComboBox(this);
    m_variant->setAccessibleName(QStringLiteral("Variant"));
    for (Variant v : allVariants())
        if (v != Variant::Zero) m_variant->addItem(qs(variantDisplayName(v)), int(v));
    m_variant->setToolTip(QStringLiteral("Which kind of prompts to fit; parameter counts are for %1").arg(backboneName));
    top->addRow(QStringLiteral("&Variant:"), m_variant);
    m_explain = new QLabel(this);
    m_explain->setWordWrap(true);
    m_explain->setAccessibleName(QStringLiteral("Variant explanation"));
    top->addRow(m_explain);
    layout->addLayout(top);

    m_advancedToggle = new QToolButton(this);
    m_advancedToggle->setText(QStringLiteral("Advanced"));
    m_advancedToggle->setAccessibleName(QStringLiteral("Advanced"));
    m_advancedToggle->setToolTip(QStringLiteral("The trainer's hyper-parameters (the defaults suit most data)"));
    m_advancedToggle->setCheckable(true);
    m_advancedToggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_advancedToggle->setArrowType(Qt::RightArrow);
    m_advancedToggle->setAutoRaise(true);
    layout->addWidget(m_advancedToggle);

    m_advanced = new QWidget(this);
    auto* form = new QFormLayout(m_advanced);
    form->setContentsMargins(18, 0, 0, 0);
    form->setRowWrapPolicy(QFormLayout::WrapLongRows); // narrow pane: a label above its field, not cut off
    // The lowest value of these three stands for "Automatic" (0 epochs, a batch of 1, rate 0 are
    // not settings anyone wants).
    m_epochs = spin(QStringLiteral("Epochs"), 0, 1000,
                    QStringLiteral("Passes over the training clips. Automatic: enough optimizer steps to learn from "
                                   "this much data (300 on a few dozen clips, 5 epochs on large data), capped by the "
                                   "estimated time, with warm-up and validation spaced for them"));
    m_epochs->setSpecialValueText(QStringLiteral("Automatic (fit the data)"));
    m_batch = spin(QStringLiteral("Batch"), 1, 1024,
                   QStringLiteral("Clips per step; each clip's captions are contrasted with the others of its batch. "
                                  "Automatic: all training clips in balanced batches of at most 32"));
    m_batch->setSpecialValueText(QStringLiteral("Automatic"));
    m_lr = rate(QStringLiteral("Learning rate"),
                QStringLiteral("Learning rate of the prompt tokens (AdamW, cosine schedule after warm-up). Automatic: "
                               "a few rates are tried briefly and the one that validates best is used (needs held-out "
                               "clips; without them 0.001)"));
    m_lr->setMinimum(0);
    m_lr->setSpecialValueText(QStringLiteral("Automatic (searched)"));
    m_generatorLr = rate(QStringLiteral("Generator learning rate"), QStringLiteral("Learning rate of the prompt generator networks (VoP^C, VoP^{F+C})"));
    m_frames = spin(QStringLiteral("Frames per clip"), 1, 64, QStringLiteral("Frames sampled per clip (F); the frame cache is prepared for this number"));
    m_augment = new QCheckBox(QStringLiteral("Random crops"), m_advanced);
    m_augment->setAccessibleName(QStringLiteral("Augmentation"));
    m_augment->setToolTip(QStringLiteral("Random resized crops (area 50-100 %) so the prompts do not learn the framing"));
    m_flip = new QCheckBox(QStringLiteral("Horizontal flips"), m_advanced);
    m_flip->setAccessibleName(QStringLiteral("Flip"));
    m_flip->setToolTip(QStringLiteral("Mirror clips at random, with their captions mirrored too (\"moving left\" "
                                      "trains as \"moving right\")"));
    m_randomFrame = new QCheckBox(QStringLiteral("Random frame per segment"), m_advanced);
    m_randomFrame->setAccessibleName(QStringLiteral("Random frame"));
    m_randomFrame->setToolTip(QStringLiteral("A random one of the decoded candidate frames instead of the middle one"));
    m_splitDepth = spin(QStringLiteral("Split depth"), -1, 48, QStringLiteral("K_s (VoP^F variants): frame-level layers before the joint ones"));
    m_splitDepth->setSpecialValueText(QStringLiteral("auto (2/3 of the layers)"));
    m_textLength = spin(QStringLiteral("Text prompt length"), 0, 64, QStringLiteral("Text prompt tokens per layer"));
    m_visualLength = spin(QStringLiteral("Visual prompt length"), 0, 64, QStringLiteral("Frame-level (and VoP^F video-level) visual tokens per layer"));
    m_videoLength = spin(QStringLiteral("Video prompt length"), 1, 64, QStringLiteral("VoP^P / VoP^C: shared and specific tokens per layer"));
    m_context = new QComboBox(m_advanced);
    m_context->setAccessibleName(QStringLiteral("Context module"));
    m_context->setToolTip(QStringLiteral("The network that generates prompts from a clip (VoP^C, VoP^{F+C})"));
    for (ContextModule c : {ContextModule::BiLstm, ContextModule::Lstm, ContextModule::Transformer})
        m_context->addItem(qs(contextModuleName(c)), int(c));
    m_seed = spin(QStringLiteral("Seed"), 0, 1000000, QStringLiteral("Same seed, data and settings: the same run"));
    form->addRow(QStringLiteral("&Epochs:"), m_epochs);
    form->addRow(QStringLiteral("&Batch:"), m_batch);
    form->addRow(QStringLiteral("&Learning rate:"), m_lr);
    form->addRow(QStringLiteral("&Generator learning rate:"), m_generatorLr);
    form->addRow(QStringLiteral("F&rames per clip:"), m_frames);
    form->addRow(QStringLiteral("Augmentation:"), m_augment);
    form->addRow(QString(), m_flip);
    form->addRow(QString(), m_randomFrame);
    form->addRow(QStringLiteral("&Split depth K_s:"), m_splitDepth);
    form->addRow(QStringLiteral("&Text prompt length:"), m_textLength);
    form->addRow(QStringLiteral("V&isual prompt length:"), m_visualLength);
    form->addRow(QStringLiteral("Vi&deo prompt length:"), m_videoLength);
    form->addRow(QStringLiteral("&Context module:"), m_context);
    form->addRow(QStringLiteral("See&d:"), m_seed);
    layout->addWidget(m_advanced);
    m_advanced->hide();

    connect(m_advancedToggle, &QToolButton::toggled, this, &TrainingSettingsPanel::showAdvanced);
    connect(m_variant, &QComboBox::currentIndexChanged, this, &TrainingSettingsPanel::updateCounts);
    connect(m_context, &QComboBox::currentIndexChanged, this, &TrainingSettingsPanel::updateCounts);
    for (QCheckBox* c : {m_augment, m_flip, m_randomFrame})
        connect(c, &QCheckBox::toggled, this, &TrainingSettingsPanel::changed);

    setOptions(TrainOptions{}, PlanChoices::automatic());
}

bool TrainingSettingsPanel::advancedShown() const
{
    return m_advanced->isVisibleTo(this);
}

void TrainingSettingsPanel::showAdvanced(bool show)
{
    const QSignalBlocker b(m_advancedToggle);
    m_advancedToggle->setChecked(show);
    m_advancedToggle->setArrowType(show ? Qt::DownArrow : Qt::RightArrow);
    m_advanced->setVisible(show);
}

TrainOptions TrainingSettingsPanel::options() const
{
    TrainOptions o;
    o.prompts.variant = Variant(m_variant->currentData().toInt());
    o.prompts.frames = m_frames->value();
    o.prompts.splitDepth = m_splitDepth->value();
    o.prompts.textLength = m_textLength->value();
    o.prompts.visualLength = m_visualLength->value();
    o.prompts.videoLength = m_videoLength->value();
    o.prompts.context = ContextModule(m_context->currentData().toInt());
    const TrainOptions defaults;
    o.epochs = m_epochs->value() > m_epochs->minimum() ? m_epochs->value() : defaults.epochs;
    o.batch = m_batch->value() > m_batch->minimum() ? m_batch->value() : defaults.batch;
    o.lr = m_lr->value() > m_lr->minimum() ? m_lr->value() : defaults.lr;
    o.generatorLr = m_generatorLr->value();
    o.augment = m_augment->isChecked();
    o.flip = m_flip->isChecked();
    o.randomFrame = m_randomFrame->isChecked();
    o.seed = uint64_t(m_seed->value());
    return o;
}

PlanChoices TrainingSettingsPanel::choices() const
{
    PlanChoices c;
    c.steps = c.warmup = c.evalEvery = m_epochs->value() == m_epochs->minimum();
    c.batch = m_batch->value() == m_batch->minimum();
    c.lr = m_lr->value() == m_lr->minimum();
    return c;
}

void TrainingSettingsPanel::setOptions(const TrainOptions& o, const PlanChoices& choices)
{
    m_variant->setCurrentIndex(std::max(0, m_variant->findData(int(o.prompts.variant))));
    m_frames->setValue(o.prompts.frames);
    m_splitDepth->setValue(o.prompts.splitDepth);
    m_textLength->setValue(o.prompts.textLength);
    m_visualLength->setValue(o.prompts.visualLength);
    m_videoLength->setValue(o.prompts.videoLength);
    m_context->setCurrentIndex(std::max(0, m_context->findData(int(o.prompts.context))));
    m_epochs->setValue(choices.steps ? m_epochs->minimum() : std::max(1, o.epochs));
    m_batch->setValue(choices.batch ? m_batch->minimum() : std::max(2, o.batch));
    m_lr->setValue(choices.lr ? m_lr->minimum() : std::max(0.00001, o.lr));
    m_generatorLr->setValue(o.generatorLr);
    m_augment->setChecked(o.augment);
    m_flip->setChecked(o.flip);
    m_randomFrame->setChecked(o.randomFrame);
    m_seed->setValue(int(o.seed));
    updateCounts();
}

void TrainingSettingsPanel::setEditable(bool editable)
{
    m_variant->setEnabled(editable);
    m_advanced->setEnabled(editable);
}

void TrainingSettingsPanel::updateCounts()
{
    auto o = options().prompts;
    for (int i = 0; i < m_variant->count(); ++i) {
        o.variant = Variant(m_variant->itemData(i).toInt());
        QString count;
        try {
            count = qs(formatCount(countParameters(m_config, o).total())) + QStringLiteral(" parameters");
        } catch (const std::exception& e) {
            count = QStringLiteral("not possible: ") + QString::fromUtf8(e.what());
        }
        m_variant->setItemText(i, qs(variantDisplayName(o.variant)) + QStringLiteral("  \u2014  ") + count);
        m_variant->setItemData(i, explanation(o.variant), Qt::ToolTipRole);
    }
    const Variant v = Variant(m_variant->currentData().toInt());
    m_explain->setText(explanation(v));
    const bool split = usesFunctionSplit(v), context = usesContextPrompts(v);
    m_splitDepth->setEnabled(split);
    m_context->setEnabled(context);
    m_generatorLr->setEnabled(context);
    m_videoLength->setEnabled(usesPositionPrompts(v) || context);
    m_visualLength->setEnabled(v == Variant::Vop || split);
    Q_EMIT changed();
}

} // namespace vop::ui
