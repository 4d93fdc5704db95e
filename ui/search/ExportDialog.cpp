#include "search/ExportDialog.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QDir>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>

namespace vop::ui {

namespace {
constexpr search::PlaylistFormat kFormats[] = {search::PlaylistFormat::M3u8, search::PlaylistFormat::Xspf,
                                               search::PlaylistFormat::Edl, search::PlaylistFormat::Csv,
                                               search::PlaylistFormat::Json};
} // namespace

QStringList playlistNameFilters()
{
    QStringList filters;
    for (auto f : kFormats)
        filters << QString::fromStdString(search::playlistFilterName(f));
    return filters;
}

ExportChoice resolveExportTarget(QString path, search::PlaylistFormat fallback)
{
    ExportChoice c;
    if (auto f = search::playlistFormatForPath(path.toStdString())) {
        c.format = *f;
    } else {
        c.format = fallback;
        path += QString::fromLatin1(search::playlistExtension(fallback));
    }
    c.path = path;
    return c;
}

std::optional<ExportChoice> askExportTarget(QWidget* parent, const QString& suggestedPath, int selectionCount,
                                            const ExportChoice& previous)
{
    QFileDialog dialog(parent, QObject::tr("Export moments as a playlist"));
    dialog.setAcceptMode(QFileDialog::AcceptSave);
    dialog.setFileMode(QFileDialog::AnyFile);
    // Qt's own dialog: the options below live inside it (a native one has no room for them).
    dialog.setOption(QFileDialog::DontUseNativeDialog, true);
    const QStringList filters = playlistNameFilters();
    dialog.setNameFilters(filters);
    dialog.selectNameFilter(filters.at(int(previous.format)));
    // A suggested folder that does not exist (no ~/Videos) would show up as a relative name.
    const QFileInfo suggested(suggestedPath);
    dialog.setDirectory(suggested.absoluteDir().exists() ? suggested.absolutePath() : QDir::homePath());
    dialog.selectFile(suggested.fileName());
    dialog.resize(std::max(dialog.width(), 760), std::max(dialog.height(), 480));

    auto* relative = new QCheckBox(QObject::tr("Relative paths"), &dialog);
    relative->setToolTip(QObject::tr("Write the videos' paths relative to the playlist's folder, so the "
                                     "playlist and the videos can move together"));
    relative->setChecked(previous.relativePaths);
    auto* selected = new QCheckBox(selectionCount == 1 ? QObject::tr("Only the selected moment")
                                                             : QObject::tr("Only the %1 selected moments").arg(selectionCount), &dialog);
    selected->setToolTip(QObject::tr("Export the selected results instead of all the results shown"));
    selected->setChecked(selectionCount > 1);
    selected->setVisible(selectionCount > 0);
    if (auto* grid = qobject_cast<QGridLayout*>(dialog.layout())) {
        auto* row = new QHBoxLayout;
        row->addWidget(relative);
        row->addWidget(selected);
        row->addStretch(1);
        grid->addLayout(row, grid->rowCount(), 0, 1, grid->columnCount());
    }
    if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty())
        return std::nullopt;
    // A name without a playlist extension gets the chosen filter's (resolveExportTarget).
    const int fi = std::max(0, int(filters.indexOf(dialog.selectedNameFilter())));
    ExportChoice c = resolveExportTarget(dialog.selectedFiles().constFirst(), kFormats[fi]);
    c.relativePaths = relative->isChecked();
    c.selectedOnly = selectionCount > 0 && selected->isChecked();
    return c;
}

} // namespace vop::ui
