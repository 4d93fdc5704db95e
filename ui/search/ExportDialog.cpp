#include "search/ExportDialog.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QDir>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>

#include <algorithm>

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

std::optional<ExportChoice> askExportTarget(QWidget* parent, const QString& title, int selectionCount)
{
    QSettings settings;
    ExportChoice previous;
    previous.format = search::PlaylistFormat(std::clamp(settings.value(QStringLiteral("search/exportFormat"), 0).toInt(),
                                                        0, int(search::PlaylistFormat::Json)));
    previous.relativePaths = settings.value(QStringLiteral("search/exportRelative"), false).toBool();
    QString dir = settings.value(QStringLiteral("search/exportDir")).toString();
    if (dir.isEmpty() || !QDir(dir).exists())
        dir = QStandardPaths::writableLocation(QStandardPaths::MoviesLocation);
    if (!QDir(dir).exists())
        dir = QDir::homePath(); // no ~/Videos
    QString name = title.trimmed();
    name.replace(QRegularExpression(QStringLiteral("[^\\w\\- ]+")), QString());
    if (name.isEmpty())
        name = QObject::tr("moments");

    QFileDialog dialog(parent, QObject::tr("Export moments as a playlist"));
    dialog.setAcceptMode(QFileDialog::AcceptSave);
    dialog.setFileMode(QFileDialog::AnyFile);
    // Qt's own dialog: the options below live inside it (a native one has no room for them).
    dialog.setOption(QFileDialog::DontUseNativeDialog, true);
    const QStringList filters = playlistNameFilters();
    dialog.setNameFilters(filters);
    dialog.selectNameFilter(filters.at(int(previous.format)));
    dialog.setDirectory(dir);
    dialog.selectFile(name + QString::fromLatin1(search::playlistExtension(previous.format)));
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
    settings.setValue(QStringLiteral("search/exportDir"), QFileInfo(c.path).absolutePath());
    settings.setValue(QStringLiteral("search/exportFormat"), int(c.format));
    settings.setValue(QStringLiteral("search/exportRelative"), c.relativePaths);
    return c;
}

} // namespace vop::ui
