#pragma once
// What a run was started with (data source and options), saved beside its training state as
// <name>.run.json, so that "Resume training" after a restart of the app can fill in the same
// data and settings (the trainer refuses to resume with others). The state file itself records
// them only as a fingerprint.
#include "service/TrainingService.h"

#include <QString>

#include <optional>

namespace vop::ui {

struct SavedRun {
    QString name;
    vop::service::DataSource data;
    TrainOptions options; // outPath, statePath, resume left out
    PlanChoices choose;   // the settings left to the service (steps, batch, lr); missing in older files: none
};

// Writes `runFile` (atomically); false when it cannot (the run goes on without it).
bool saveRunFile(const QString& runFile, const SavedRun& run);
// nullopt when missing or unreadable.
std::optional<SavedRun> loadRunFile(const QString& runFile);

} // namespace vop::ui
