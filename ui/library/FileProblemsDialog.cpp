#include "FileProblemsDialog.h"

#include <QApplication>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QDir>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace vop::ui {

FileProblemsDialog::FileProblemsDialog(const std::vector<vop::service::FileProblem>& problems,
                                       const QString& underRoot, QWidget* parent)
    : QDialog(parent)
{
    setWindowTitle(underRoot.isEmpty() ? tr("Files that could not be indexed")
                                       : tr("Files that could not be indexed in %1")
                                             .arg(QDir::toNativeSeparators(underRoot)));
    resize(820, 420);
    auto* layout = new QVBoxLayout(this);
    m_table = new QTableWidget(0, 3, this);
    m_table->setAccessibleName(tr("File problems"));
    m_table->setHorizontalHeaderLabels({tr("File"), tr("Status"), tr("Reason")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideMiddle);
    const QString prefix = QDir::cleanPath(underRoot) + QLatin1Char('/');
    for (const auto& p : problems) {
        const QString path = QString::fromStdString(p.path);
        if (!underRoot.isEmpty() && !path.startsWith(prefix))
            continue;
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        auto* file = new QTableWidgetItem(QDir::toNativeSeparators(path));
        file->setToolTip(QDir::toNativeSeparators(path));
        m_table->setItem(row, 0, file);
        m_table->setItem(row, 1, new QTableWidgetItem(p.status == vop::store::FileStatus::Failed ? tr("failed")
                                                                                                 : tr("skipped")));
        auto* reason = new QTableWidgetItem(QString::fromStdString(p.reason));
        reason->setToolTip(reason->text());
        m_table->setItem(row, 2, reason);
    }
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Interactive);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setColumnWidth(0, 380);
    m_table->resizeColumnToContents(1);

    auto* summary = new QLabel(m_table->rowCount() == 0
                                   ? tr("No problems: every file found could be indexed.")
                                   : (m_table->rowCount() == 1 ? tr("1 file.") : tr("%1 files.").arg(m_table->rowCount()))
                                       + QLatin1Char(' ')
                                       + tr("Failed files are tried again when they change; skipped ones are "
                                            "not videos or could not be read."),
                               this);
    summary->setWordWrap(true);
    layout->addWidget(summary);
    layout->addWidget(m_table, 1);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto* copy = buttons->addButton(tr("Copy path"), QDialogButtonBox::ActionRole);
    copy->setToolTip(tr("Copy the selected file's path to the clipboard"));
    connect(copy, &QPushButton::clicked, this, [this] {
        const int row = m_table->currentRow();
        if (row >= 0)
            QApplication::clipboard()->setText(m_table->item(row, 0)->text());
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

int FileProblemsDialog::rowCount() const
{
    return m_table->rowCount();
}

} // namespace vop::ui
