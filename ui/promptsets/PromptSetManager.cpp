#include "promptsets/PromptSetManager.h"

#include "promptsets/PromptSetLibrary.h"
#include "promptsets/PromptSetListModel.h"

#include "library/EmbeddingSpace.h"
#include "service/LibraryService.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace vop::ui {

namespace {
QString qs(const std::string& s) { return QString::fromStdString(s); }
} // namespace

PromptSetManager::PromptSetManager(vop::service::LibraryService& service, QWidget* parent, const QString& folder)
    : QDialog(parent), m_service(service), m_library(std::make_unique<PromptSetLibrary>(folder.toStdString()))
{
    setWindowTitle(QStringLiteral("Prompt sets"));
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(QStringLiteral(
        "A prompt set adapts CLIP to your kind of videos. The active set is the one searches and the next "
        "scan use. Installed sets live in %1.").arg(qs(m_library->dir())));
    intro->setWordWrap(true);
    layout->addWidget(intro);

    m_model = new PromptSetListModel(this);
    m_view = new QTableView(this);
    m_view->setModel(m_model);
    m_view->setAccessibleName(QStringLiteral("Prompt sets"));
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setWordWrap(false);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &PromptSetManager::updateButtons);
    layout->addWidget(m_view, 1);

    m_details = new QLabel(this);
    m_details->setWordWrap(true);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details->setAccessibleName(QStringLiteral("Prompt set details"));
    m_details->setMinimumHeight(m_details->fontMetrics().lineSpacing() * 4);
    layout->addWidget(m_details);

    auto* buttons = new QHBoxLayout;
    auto button = [&](const QString& text, const QString& tip) {
        auto* b = new QPushButton(text, this);
        b->setAccessibleName(text);
        b->setToolTip(tip);
        buttons->addWidget(b);
        return b;
    };
    m_activate = button(QStringLiteral("Make active"),
                        QStringLiteral("Search with this set; the library is encoded for it at the next scan"));
    m_import = button(QStringLiteral("Import"), QStringLiteral("Install a prompt-set file (checked against the library's model)"));
    m_export = button(QStringLiteral("Export"), QStringLiteral("Save a copy of the selected set"));
    m_rename = button(QStringLiteral("Rename"), QStringLiteral("Give the selected set another name"));
    m_delete = button(QStringLiteral("Delete"), QStringLiteral("Remove the selected set from this computer"));
    buttons->addStretch(1);
    auto* close = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addWidget(close);
    layout->addLayout(buttons);

    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    m_message->setAccessibleName(QStringLiteral("Prompt set message"));
    layout->addWidget(m_message);

    connect(close, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_activate, &QPushButton::clicked, this, &PromptSetManager::makeSelectedActive);
    connect(m_import, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, QStringLiteral("Import a prompt set"), QString(),
                                                          QStringLiteral("Prompt sets (*.safetensors);;All files (*)"));
        if (!file.isEmpty()) importFile(file);
    });
    connect(m_export, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getSaveFileName(this, QStringLiteral("Export the prompt set"),
                                                          QFileInfo(selectedPath()).fileName(),
                                                          QStringLiteral("Prompt sets (*.safetensors)"));
        if (!file.isEmpty()) exportSelected(file);
    });
    connect(m_rename, &QPushButton::clicked, this, [this] {
        const auto* e = m_model->entry(m_view->currentIndex().row());
        if (!e) return;
        bool ok = false;
        const QString name = QInputDialog::getText(this, QStringLiteral("Rename the prompt set"), QStringLiteral("New name:"),
                                                   QLineEdit::Normal, qs(e->name), &ok);
        if (ok && !name.trimmed().isEmpty()) renameSelected(name.trimmed());
    });
    connect(m_delete, &QPushButton::clicked, this, [this] {
        const auto* e = m_model->entry(m_view->currentIndex().row());
        if (!e || e->builtIn()) return;
        if (QMessageBox::question(this, QStringLiteral("Delete the prompt set"),
                                  QStringLiteral("Delete '%1' from this computer?").arg(qs(e->name))) == QMessageBox::Yes)
            deleteSelected();
    });
    connect(m_view, &QTableView::doubleClicked, this, &PromptSetManager::makeSelectedActive);
    connect(&m_importWatch, &QFutureWatcher<ImportResult>::finished, this, [this] {
        const ImportResult r = m_importWatch.result();
        m_import->setEnabled(true);
        if (r.ok) {
            reload();
            selectPath(r.text);
            showMessage(QStringLiteral("Imported as '%1'. Make it active to search with it.").arg(QFileInfo(r.text).completeBaseName()), false);
        } else {
            showMessage(QStringLiteral("Not imported: ") + r.text, true);
        }
        Q_EMIT importFinished(r.ok, r.text);
    });

    reload();
    resize(960, 460);
}

PromptSetManager::~PromptSetManager()
{
    m_importWatch.waitForFinished();
}

QString PromptSetManager::message() const
{
    return m_message->text();
}

void PromptSetManager::reload()
{
    const QString keep = selectedPath();
    const bool hadSelection = m_view->selectionModel() && m_view->selectionModel()->hasSelection();
    m_model->setEntries(m_library->list());
    m_model->setActivePath(qs(m_service.modelSettings().prompts));
    m_view->resizeColumnsToContents();
    for (int c = 0; c < PromptSetListModel::ColumnCount; ++c)
        m_view->setColumnWidth(c, std::min(m_view->columnWidth(c), 280));
    if (hadSelection) selectPath(keep);
    else selectPath(qs(m_service.modelSettings().prompts));
}

void PromptSetManager::selectPath(const QString& path)
{
    int row = m_model->rowOfPath(path);
    if (row < 0) row = 0;
    m_view->selectRow(row);
    m_view->setCurrentIndex(m_model->index(row, 0));
    updateButtons();
}

QString PromptSetManager::selectedPath() const
{
    const auto* e = m_model->entry(m_view->currentIndex().row());
    return e ? qs(e->path) : QString();
}

bool PromptSetManager::selectedIsBuiltIn() const
{
    const auto* e = m_model->entry(m_view->currentIndex().row());
    return !e || e->builtIn();
}

void PromptSetManager::updateButtons()
{
    const auto* e = m_model->entry(m_view->currentIndex().row());
    const bool usable = e && e->problem.empty();
    const bool active = e && qs(e->path) == qs(m_service.modelSettings().prompts);
    m_activate->setEnabled(usable && !active);
    m_export->setEnabled(e && !e->builtIn());
    m_rename->setEnabled(e && !e->builtIn());
    m_delete->setEnabled(e && !e->builtIn() && !active);
    m_details->setText(e ? describeEntry(*e) : QString());
}

void PromptSetManager::showMessage(const QString& text, bool error)
{
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
}

void PromptSetManager::importFile(const QString& path)
{
    m_import->setEnabled(false);
    showMessage(QStringLiteral("Checking %1 ...").arg(QFileInfo(path).fileName()), false);
    const auto settings = m_service.modelSettings();
    const std::string hashCache = library::hashCacheFor(m_service.dbPath());
    const std::string dir = m_library->dir();
    m_importWatch.setFuture(QtConcurrent::run([path, settings, hashCache, dir]() -> ImportResult {
        try {
            const auto entry = readPromptSetEntry(path.toStdString());
            checkFitsBackbone(entry, describeBackbone(settings.checkpoint, hashCache));
            return {true, qs(PromptSetLibrary(dir).install(path.toStdString()))};
        } catch (const std::exception& e) {
            return {false, QString::fromUtf8(e.what())};
        }
    }));
}

bool PromptSetManager::exportSelected(const QString& destination)
{
    if (selectedIsBuiltIn()) return false;
    try {
        PromptSetLibrary::exportTo(selectedPath().toStdString(), destination.toStdString());
        showMessage(QStringLiteral("Exported to %1").arg(destination), false);
        return true;
    } catch (const std::exception& e) {
        showMessage(QStringLiteral("Not exported: ") + QString::fromUtf8(e.what()), true);
        return false;
    }
}

bool PromptSetManager::renameSelected(const QString& newName)
{
    if (selectedIsBuiltIn()) return false;
    const QString old = selectedPath();
    try {
        const QString renamed = qs(m_library->rename(old.toStdString(), newName.toStdString()));
        if (old == qs(m_service.modelSettings().prompts)) {
            auto s = m_service.modelSettings();
            s.prompts = renamed.toStdString();
            m_service.setModelSettings(s);
            Q_EMIT activeChanged(renamed);
        }
        reload();
        selectPath(renamed);
        showMessage(QStringLiteral("Renamed to '%1'").arg(newName), false);
        return true;
    } catch (const std::exception& e) {
        showMessage(QStringLiteral("Not renamed: ") + QString::fromUtf8(e.what()), true);
        return false;
    }
}

bool PromptSetManager::deleteSelected()
{
    if (selectedIsBuiltIn()) return false;
    const QString path = selectedPath();
    if (path == qs(m_service.modelSettings().prompts)) {
        showMessage(QStringLiteral("This set is active: make another one active before deleting it."), true);
        return false;
    }
    try {
        m_library->remove(path.toStdString());
        reload();
        showMessage(QStringLiteral("Deleted '%1'").arg(QFileInfo(path).completeBaseName()), false);
        return true;
    } catch (const std::exception& e) {
        showMessage(QStringLiteral("Not deleted: ") + QString::fromUtf8(e.what()), true);
        return false;
    }
}

bool PromptSetManager::makeSelectedActive()
{
    const auto* e = m_model->entry(m_view->currentIndex().row());
    if (!e || !e->problem.empty()) return false;
    const QString path = qs(e->path);
    try {
        auto s = m_service.modelSettings();
        s.prompts = path.toStdString();
        m_service.setModelSettings(s);
    } catch (const std::exception& ex) {
        showMessage(QStringLiteral("Not switched: ") + QString::fromUtf8(ex.what()), true);
        return false;
    }
    m_model->setActivePath(path);
    updateButtons();
    showMessage(e->builtIn() ? QStringLiteral("Zero-shot CLIP is active.")
                             : QStringLiteral("'%1' is active. Files not yet encoded for it are encoded at the next "
                                              "scan (Library tab: Scan now); until then searches use the "
                                              "previous set's index.").arg(qs(e->name)),
                false);
    Q_EMIT activeChanged(path);
    return true;
}

} // namespace vop::ui
