#pragma once
// The files the indexer could not use, with the reason for each (unreadable, not a video, a
// decoding error), optionally only those under one folder.
#include "service/LibraryService.h"

#include <QDialog>

#include <vector>

class QTableWidget;
class QLabel;

namespace vop::ui {

class FileProblemsDialog : public QDialog {
    Q_OBJECT
public:
    // `underRoot` empty: every problem of the library.
    FileProblemsDialog(const std::vector<vop::service::FileProblem>& problems, const QString& underRoot,
                       QWidget* parent = nullptr);

    int rowCount() const;

private:
    QTableWidget* m_table = nullptr;
};

} // namespace vop::ui
