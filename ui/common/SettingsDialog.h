#pragma once
// Preferences: the model (checkpoint, prompt set, device, precision, threads, frames per clip), indexing
// (segment length, periodic rescan), the view (thumbnail size) and the catalog's location.
// Reads a Settings on open and writes it back on OK; nothing is written on Cancel.
#include <QDialog>

class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace vop::ui {

class Settings;

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    SettingsDialog(Settings& settings, QWidget* parent = nullptr);

    // Writes the fields into the settings (what OK does).
    void apply();

    QLineEdit* checkpointEdit() const { return m_checkpoint; }
    QLineEdit* promptsEdit() const { return m_prompts; }
    QComboBox* deviceBox() const { return m_device; }
    QComboBox* precisionBox() const { return m_precision; }
    QSpinBox* threadsBox() const { return m_threads; }
    QSpinBox* framesBox() const { return m_frames; }
    QDoubleSpinBox* segmentBox() const { return m_segment; }
    QSpinBox* rescanBox() const { return m_rescan; }
    QSpinBox* thumbnailBox() const { return m_thumbnail; }
    QLineEdit* databaseEdit() const { return m_database; }

private:
    void load();

    Settings& m_settings;
    QLineEdit* m_checkpoint = nullptr;
    QLineEdit* m_prompts = nullptr;
    QComboBox* m_device = nullptr;
    QComboBox* m_precision = nullptr;
    QSpinBox* m_threads = nullptr;
    QSpinBox* m_frames = nullptr;
    QDoubleSpinBox* m_segment = nullptr;
    QSpinBox* m_rescan = nullptr;
    QSpinBox* m_thumbnail = nullptr;
    QLineEdit* m_database = nullptr;
};

} // namespace vop::ui
