#pragma once
// Paints one moment in the results grid: the thumbnail (letterboxed in a fixed 16:9 box so the
// grid stays aligned), the file name (elided in the middle, so the extension and the start stay
// readable), the moment's start–end and the video's length, and a score bar with its number.
#include <QStyledItemDelegate>

namespace vop::ui {

class ResultDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit ResultDelegate(QObject* parent = nullptr);

    // Width of the thumbnail box; its height is 9/16 of it.
    void setThumbnailWidth(int width);
    int thumbnailWidth() const { return m_thumbWidth; }
    QSize thumbnailBox() const;

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;

private:
    int m_thumbWidth = 200;
};

} // namespace vop::ui
