#pragma once
// The prompt-set manager: the installed sets (zero-shot CLIP built in) with variant, parameters,
// backbone, training data, validation result and date; make one active, import (checked against
// the library's model first: a damaged file or a set for another backbone is refused with the
// reason), export, rename, delete. Import checks run on a worker (the first check of a
// checkpoint hashes it).
#include <QDialog>
#include <QFutureWatcher>
#include <QString>

#include <memory>

class QLabel;
class QPushButton;
class QTableView;

namespace vop::service {
class LibraryService;
class PromptSetLibrary;
}

namespace vop::ui {

using service::PromptSetLibrary;
class PromptSetListModel;

class PromptSetManager : public QDialog {
    Q_OBJECT
public:
    // `folder` "" = PromptSetLibrary::defaultDir().
    explicit PromptSetManager(vop::service::LibraryService& service, QWidget* parent = nullptr,
                              const QString& folder = QString());
    ~PromptSetManager() override;

    PromptSetListModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }
    // The last message shown (what happened, or why something was refused).
    QString message() const;

public Q_SLOTS:
    void reload();
    // The actions behind the buttons, without their file and name dialogs.
    void importFile(const QString& path);                 // async: importFinished()
    bool exportSelected(const QString& destination);
    bool renameSelected(const QString& newName);
    bool deleteSelected();
    bool makeSelectedActive();
    void selectPath(const QString& path);                 // "" = zero-shot

Q_SIGNALS:
    void importFinished(bool ok, const QString& messageOrPath);
    void activeChanged(const QString& promptsPath);

private:
    struct ImportResult {
        bool ok = false;
        QString text; // installed path or the reason
    };
    void updateButtons();
    void showMessage(const QString& text, bool error);
    QString selectedPath() const;
    bool selectedIsBuiltIn() const;

    vop::service::LibraryService& m_service;
    std::unique_ptr<PromptSetLibrary> m_library;
    PromptSetListModel* m_model = nullptr;
    QTableView* m_view = nullptr;
    QLabel* m_details = nullptr;
    QLabel* m_message = nullptr;
    QPushButton* m_activate = nullptr;
    QPushButton* m_import = nullptr;
    QPushButton* m_export = nullptr;
    QPushButton* m_rename = nullptr;
    QPushButton* m_delete = nullptr;
    QFutureWatcher<ImportResult> m_importWatch;
};

} // namespace vop::ui
