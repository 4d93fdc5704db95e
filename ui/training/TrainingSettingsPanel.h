#pragma once
// The "Settings" part of the training tab: the variant (with its parameter count on the
// library's backbone and what it does, in one line) and, folded away under "Advanced", the
// trainer's hyper-parameters with the trainer's defaults (TrainOptions, PromptOptions). The
// length (epochs), the batch and the learning rate start at "Automatic": the training service
// chooses them for the data as `vopsearch-cli train` does without them (TrainPlan.h, LrSearch.h).
#include "model/ClipConfig.h"
#include "train/TrainPlan.h"
#include "train/Trainer.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSpinBox;
class QToolButton;

namespace vop::ui {

class TrainingSettingsPanel : public QWidget {
    Q_OBJECT
public:
    // `config`: the backbone the counts are for; `backboneName` names it for people.
    TrainingSettingsPanel(const ClipConfig& config, const QString& backboneName, QWidget* parent = nullptr);

    // The options the controls say (outPath, statePath... left at their defaults); a setting
    // left at "Automatic" keeps the trainer's default here and is marked in choices().
    TrainOptions options() const;
    // Which settings the service chooses for the data: steps (and with them warm-up and the
    // validation interval), batch, lr; maxSeconds stays at PlanChoices' default.
    PlanChoices choices() const;
    // Shows `options`; the settings marked in `choices` show "Automatic" instead of their value
    // (the default, no choices: every value as given).
    void setOptions(const TrainOptions& options, const PlanChoices& choices = {});
    void setEditable(bool editable);
    bool advancedShown() const;
    void showAdvanced(bool show);
    // One line per variant: "VoP^F: ...", for the tooltip and tests.
    static QString explanation(Variant v);

Q_SIGNALS:
    void changed();

private:
    void updateCounts();
    QSpinBox* spin(const QString& name, int lo, int hi, const QString& tip);
    QDoubleSpinBox* rate(const QString& name, const QString& tip);

    ClipConfig m_config;
    QComboBox* m_variant = nullptr;
    QLabel* m_explain = nullptr;
    QToolButton* m_advancedToggle = nullptr;
    QWidget* m_advanced = nullptr;
    QSpinBox* m_epochs = nullptr;
    QSpinBox* m_batch = nullptr;
    QDoubleSpinBox* m_lr = nullptr;
    QDoubleSpinBox* m_generatorLr = nullptr;
    QSpinBox* m_frames = nullptr;
    QCheckBox* m_augment = nullptr;
    QCheckBox* m_flip = nullptr;
    QCheckBox* m_randomFrame = nullptr;
    QSpinBox* m_splitDepth = nullptr;
    QSpinBox* m_textLength = nullptr;
    QSpinBox* m_visualLength = nullptr;
    QSpinBox* m_videoLength = nullptr;
    QComboBox* m_context = nullptr;
    QSpinBox* m_seed = nullptr;
};

} // namespace vop::ui
