#pragma once
// The filters of a search, in one row under the query: folder, modification dates, video
// length (applied by the core's search, search::Filters) and a minimum score (applied to the
// results shown, by ResultsProxy). Each control has an "any" state.
#include "search/Searcher.h"

#include <QWidget>

class QComboBox;
class QDateEdit;
class QDoubleSpinBox;
class QSpinBox;
class QToolButton;

namespace vop::ui {

class SearchFilterBar : public QWidget {
    Q_OBJECT
public:
    explicit SearchFilterBar(QWidget* parent = nullptr);

    // The library's folders offered in the folder box (the typed text is kept).
    void setFolders(const QStringList& folders);

    search::Filters filters() const;
    double minimumScore() const; // <= -1: any

    // Setters for scripts and tests; each emits the matching signal.
    void setFolder(const QString& folder);
    void setModifiedRange(const QDate& from, const QDate& to); // null dates: any
    void setDurationRange(int minSeconds, int maxSeconds);     // 0: any
    void setMinimumScore(double score);                        // <= -1: any
    void reset();

Q_SIGNALS:
    void filtersChanged();           // a change for the search (search again)
    void minimumScoreChanged(double);

private:
    QComboBox* m_folder = nullptr;
    QToolButton* m_browse = nullptr;
    QDateEdit* m_from = nullptr;
    QDateEdit* m_to = nullptr;
    QSpinBox* m_minLength = nullptr;
    QSpinBox* m_maxLength = nullptr;
    QDoubleSpinBox* m_minScore = nullptr;
    QToolButton* m_reset = nullptr;
};

} // namespace vop::ui
