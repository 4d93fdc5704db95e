#pragma once
// The save dialog of a playlist export: one filter per format of core/search/PlaylistExport.h,
// plus "relative paths" and "only the selected moments". Thin on purpose: it only chooses; the
// Search tab writes (SearchTab::exportTo), which tests drive with a path.
#include "search/PlaylistExport.h"

#include <QString>

#include <optional>

class QWidget;

namespace vop::ui {

struct ExportChoice {
    QString path;
    search::PlaylistFormat format = search::PlaylistFormat::M3u8;
    bool relativePaths = false;
    bool selectedOnly = false;
};

// The format of `path` by its extension, else `fallback`; `path` gets that format's extension
// when it has none that the format knows.
ExportChoice resolveExportTarget(QString path, search::PlaylistFormat fallback);
// The dialog's name filters, in PlaylistFormat order.
QStringList playlistNameFilters();

// Asks where to export; nullopt when cancelled. The file name is suggested from `title` (the
// query) in the folder, format and path style of the last export (QSettings); `selectionCount`
// > 0 offers "only the selected", checked when more than one result is selected.
std::optional<ExportChoice> askExportTarget(QWidget* parent, const QString& title, int selectionCount);

} // namespace vop::ui
