#include "SettingsDialog.h"

#include "Settings.h"

#include "util/Paths.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace vop::ui {

namespace {

// A line edit with a "Browse…" button next to it.
QWidget* pathRow(QLineEdit* edit, QPushButton* browse, QWidget* parent)
{
    auto* w = new QWidget(parent);
    auto* l = new QHBoxLayout(w);
    l->setContentsMargins(0, 0, 0, 0);
    edit->setClearButtonEnabled(true);
    edit->setMinimumWidth(320);
    l->addWidget(edit, 1);
    l->addWidget(browse);
    return w;
}

QString defaultDatabase()
{
    try {
        return QDir::toNativeSeparators(QString::fromStdString(vop::paths::defaultDatabasePath()));
    } catch (...) {
        return {};
    }
}

} // namespace

SettingsDialog::SettingsDialog(Settings& settings, QWidget* parent)
    : QDialog(parent)
    , m_settings(settings)
{
    setWindowTitle(tr("Settings"));
    auto* layout = new QVBoxLayout(this);

    // Model ------------------------------------------------------------------------------------
    auto* model = new QGroupBox(tr("Model"), this);
    auto* mf = new QFormLayout(model);
    m_checkpoint = new QLineEdit(model);
    m_checkpoint->setAccessibleName(tr("Model checkpoint"));
    m_checkpoint->setPlaceholderText(tr("default: ViT-B-32.pt from the model folders"));
    m_checkpoint->setToolTip(tr("The CLIP checkpoint (.pt or .safetensors) that embeds videos and queries"));
    auto* browseCkpt = new QPushButton(tr("Browse…"), model);
    browseCkpt->setAccessibleName(tr("Browse for a checkpoint"));
    connect(browseCkpt, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Choose a CLIP checkpoint"), m_checkpoint->text(),
                                                       tr("CLIP checkpoints (*.pt *.safetensors);;All files (*)"));
        if (!f.isEmpty())
            m_checkpoint->setText(f);
    });
    mf->addRow(tr("&Checkpoint:"), pathRow(m_checkpoint, browseCkpt, model));

    m_prompts = new QLineEdit(model);
    m_prompts->setAccessibleName(tr("Prompt set"));
    m_prompts->setPlaceholderText(tr("none: zero-shot CLIP"));
    m_prompts->setToolTip(tr("A prompt set fitted on your own labelled videos (Training tab); empty for plain CLIP"));
    auto* browsePrompts = new QPushButton(tr("Browse…"), model);
    browsePrompts->setAccessibleName(tr("Browse for a prompt set"));
    connect(browsePrompts, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Choose a prompt set"), m_prompts->text(),
                                                       tr("Prompt sets (*.safetensors);;All files (*)"));
        if (!f.isEmpty())
            m_prompts->setText(f);
    });
    mf->addRow(tr("&Prompt set:"), pathRow(m_prompts, browsePrompts, model));

    m_device = new QComboBox(model);
    m_device->setAccessibleName(tr("Device"));
    m_device->addItem(tr("Automatic (GPU when there is one)"), QStringLiteral("auto"));
    m_device->addItem(tr("CPU"), QStringLiteral("cpu"));
    m_device->addItem(tr("CUDA GPU"), QStringLiteral("cuda"));
    m_device->setToolTip(tr("Where the model runs"));
    mf->addRow(tr("&Device:"), m_device);

    m_precision = new QComboBox(model);
    m_precision->setAccessibleName(tr("Precision"));
    m_precision->addItem(tr("Automatic (fastest at full search quality)"), QStringLiteral("auto"));
    m_precision->addItem(tr("fp32 (exact)"), QStringLiteral("fp32"));
    m_precision->addItem(tr("int8 (faster where the CPU has VNNI)"), QStringLiteral("int8"));
    m_precision->setToolTip(tr("How precisely the model computes on the CPU. int8 keeps every embedding within "
                               "cosine 0.99 of fp32, so the index stays valid either way"));
    mf->addRow(tr("P&recision:"), m_precision);

    m_threads = new QSpinBox(model);
    m_threads->setAccessibleName(tr("Threads"));
    m_threads->setRange(0, 256);
    m_threads->setSpecialValueText(tr("All cores"));
    m_threads->setToolTip(tr("CPU threads for the model; fewer keep the computer responsive while indexing"));
    mf->addRow(tr("&Threads:"), m_threads);

    m_frames = new QSpinBox(model);
    m_frames->setAccessibleName(tr("Frames per clip"));
    m_frames->setRange(1, 64);
    m_frames->setToolTip(tr("Frames looked at per segment by zero-shot CLIP (a prompt set has its own); "
                            "changing it needs a new index"));
    mf->addRow(tr("&Frames per clip:"), m_frames);
    layout->addWidget(model);

    // Indexing and view ----------------------------------------------------------------------------
    auto* library = new QGroupBox(tr("Library"), this);
    auto* lf = new QFormLayout(library);
    m_segment = new QDoubleSpinBox(library);
    m_segment->setAccessibleName(tr("Segment length"));
    m_segment->setRange(2, 600);
    m_segment->setDecimals(0);
    m_segment->setSuffix(tr(" s"));
    m_segment->setToolTip(tr("Long videos are cut into moments of this length; a video up to twice as long "
                             "is one moment. Applies to videos indexed from now on."));
    lf->addRow(tr("&Segment length:"), m_segment);

    m_rescan = new QSpinBox(library);
    m_rescan->setAccessibleName(tr("Rescan interval"));
    m_rescan->setRange(0, 24 * 60);
    m_rescan->setSuffix(tr(" min"));
    m_rescan->setSpecialValueText(tr("Never"));
    m_rescan->setToolTip(tr("How often every folder is scanned again for changes that watching misses "
                            "(network shares, very large folders)"));
    lf->addRow(tr("&Rescan every:"), m_rescan);

    m_thumbnail = new QSpinBox(library);
    m_thumbnail->setAccessibleName(tr("Thumbnail size"));
    m_thumbnail->setRange(64, 512);
    m_thumbnail->setSingleStep(16);
    m_thumbnail->setSuffix(tr(" px"));
    m_thumbnail->setToolTip(tr("Size of the result thumbnails in the Search tab"));
    lf->addRow(tr("T&humbnail size:"), m_thumbnail);

    m_database = new QLineEdit(library);
    m_database->setAccessibleName(tr("Database location"));
    m_database->setPlaceholderText(tr("default: %1").arg(defaultDatabase()));
    m_database->setToolTip(tr("The catalog file that remembers folders, moments and embeddings"));
    auto* browseDb = new QPushButton(tr("Browse…"), library);
    browseDb->setAccessibleName(tr("Browse for a database"));
    connect(browseDb, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Catalog file"), m_database->text(),
                                                       tr("Catalogs (*.sqlite *.db);;All files (*)"), nullptr,
                                                       QFileDialog::DontConfirmOverwrite);
        if (!f.isEmpty())
            m_database->setText(f);
    });
    lf->addRow(tr("D&atabase:"), pathRow(m_database, browseDb, library));
    layout->addWidget(library);

    auto* note = new QLabel(tr("The database location takes effect at the next start. Options given on the "
                               "command line (--db, --checkpoint, --prompts, --device) win over these for one run."),
                            this);
    note->setWordWrap(true);
    note->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(note);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        apply();
        accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    load();
}

void SettingsDialog::load()
{
    m_checkpoint->setText(m_settings.checkpoint());
    m_prompts->setText(m_settings.prompts());
    const QString device = m_settings.device();
    int i = m_device->findData(device);
    if (i < 0) { // "cuda:1" and the like
        m_device->addItem(device, device);
        i = m_device->count() - 1;
    }
    m_device->setCurrentIndex(i);
    m_precision->setCurrentIndex(std::max(0, m_precision->findData(m_settings.precision())));
    m_threads->setValue(m_settings.threads());
    m_frames->setValue(m_settings.framesPerClip());
    m_segment->setValue(m_settings.segmentSeconds());
    m_rescan->setValue(m_settings.rescanMinutes());
    m_thumbnail->setValue(m_settings.thumbnailSize());
    m_database->setText(m_settings.databasePath());
}

void SettingsDialog::apply()
{
    m_settings.setCheckpoint(m_checkpoint->text().trimmed());
    m_settings.setPrompts(m_prompts->text().trimmed());
    m_settings.setDevice(m_device->currentData().toString());
    m_settings.setPrecision(m_precision->currentData().toString());
    m_settings.setThreads(m_threads->value());
    m_settings.setFramesPerClip(m_frames->value());
    m_settings.setSegmentSeconds(m_segment->value());
    m_settings.setRescanMinutes(m_rescan->value());
    m_settings.setThumbnailSize(m_thumbnail->value());
    m_settings.setDatabasePath(m_database->text().trimmed());
    m_settings.sync();
}

} // namespace vop::ui
