#include "search/ResultDelegate.h"

#include "search/ResultsModel.h"

#include <QApplication>
#include <QImage>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>

namespace vop::ui {

namespace {
constexpr int kPad = 6;      // around the cell's content
constexpr int kGap = 3;      // between lines
constexpr int kBar = 6;      // score bar height
} // namespace

ResultDelegate::ResultDelegate(QObject* parent) : QStyledItemDelegate(parent) {}

void ResultDelegate::setThumbnailWidth(int width)
{
    m_thumbWidth = std::clamp(width, 96, 480);
}

QSize ResultDelegate::thumbnailBox() const
{
    return {m_thumbWidth, m_thumbWidth * 9 / 16};
}

QSize ResultDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex&) const
{
    const QFontMetrics fm(option.font);
    const QSize box = thumbnailBox();
    return {box.width() + 2 * kPad, kPad + box.height() + kGap + fm.height() + kGap + fm.height() + kGap + kBar + kPad};
}

void ResultDelegate::paint(QPainter* p, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QWidget* w = opt.widget;
    QStyle* style = w ? w->style() : QApplication::style();
    // Selection, hover and focus backgrounds as the style draws them.
    opt.text.clear();
    opt.icon = QIcon();
    opt.features &= ~QStyleOptionViewItem::HasDecoration;
    opt.showDecorationSelected = true; // the whole cell shows the selection, not an empty text rect
    style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, p, w);

    p->save();
    p->setRenderHint(QPainter::Antialiasing, true);
    p->setRenderHint(QPainter::SmoothPixmapTransform, true);
    const QRect r = option.rect.adjusted(kPad, kPad, -kPad, -kPad);
    const QSize boxSize = thumbnailBox();
    const QRect box(r.left() + (r.width() - boxSize.width()) / 2, r.top(), boxSize.width(), boxSize.height());
    const bool selected = option.state & QStyle::State_Selected;
    const QPalette& pal = option.palette;
    const QPalette::ColorGroup cg = option.state & QStyle::State_Enabled ? QPalette::Normal : QPalette::Disabled;

    // Thumbnail, letterboxed on black; a quiet placeholder while it loads.
    QPainterPath clip;
    clip.addRoundedRect(box, 4, 4);
    p->fillPath(clip, QColor(24, 24, 24));
    const QImage img = index.data(ResultsModel::ThumbnailRole).value<QImage>();
    if (!img.isNull()) {
        const QSize s = img.size().scaled(box.size(), Qt::KeepAspectRatio);
        const QRect target(box.left() + (box.width() - s.width()) / 2, box.top() + (box.height() - s.height()) / 2,
                           s.width(), s.height());
        p->setClipPath(clip);
        p->drawImage(target, img);
        p->setClipping(false);
    } else {
        p->setPen(QColor(150, 150, 150));
        p->drawText(box, Qt::AlignCenter, tr("no preview"));
    }
    // The moment's span on the video's time line, along the thumbnail's bottom edge.
    const double duration = index.data(ResultsModel::DurationRole).toDouble();
    if (duration > 0) {
        const double s = index.data(ResultsModel::StartRole).toDouble() / duration;
        const double e = index.data(ResultsModel::EndRole).toDouble() / duration;
        const QRectF track(box.left() + 4, box.bottom() - 6, box.width() - 8, 3);
        p->fillRect(track, QColor(255, 255, 255, 70));
        p->fillRect(QRectF(track.left() + track.width() * std::clamp(s, 0.0, 1.0), track.top(),
                           std::max(2.0, track.width() * std::clamp(e - s, 0.0, 1.0)), track.height()),
                    QColor(255, 200, 40));
    }
    if (index.data(ResultsModel::OfflineRole).toBool()) {
        const QRect badge(box.left() + 4, box.top() + 4, QFontMetrics(opt.font).horizontalAdvance(tr("offline")) + 10,
                          QFontMetrics(opt.font).height() + 2);
        p->fillRect(badge, QColor(160, 40, 40, 220));
        p->setPen(Qt::white);
        p->drawText(badge, Qt::AlignCenter, tr("offline"));
    }

    // Name, then start–end and length; the text colour follows the selection.
    const QColor text = pal.color(cg, selected ? QPalette::HighlightedText : QPalette::Text);
    const QFontMetrics fm(opt.font);
    QRect line(r.left(), box.bottom() + 1 + kGap, r.width(), fm.height());
    QFont bold = opt.font;
    bold.setBold(true);
    p->setFont(bold);
    p->setPen(text);
    p->drawText(line, Qt::AlignLeft | Qt::AlignVCenter,
                QFontMetrics(bold).elidedText(index.data(ResultsModel::FileNameRole).toString(), Qt::ElideMiddle,
                                              line.width()));
    p->setFont(opt.font);
    line.translate(0, fm.height() + kGap);
    QColor dim = text;
    dim.setAlphaF(selected ? 0.9 : 0.7);
    p->setPen(dim);
    const QString range = index.data(ResultsModel::RangeTextRole).toString();
    const QString score = QString::number(index.data(ResultsModel::ScoreRole).toDouble(), 'f', 3);
    const int scoreWidth = fm.horizontalAdvance(score);
    // "0:05.0–0:09.5 of 5:00" when it fits; else the range alone (the band on the thumbnail
    // shows where in the video the moment lies).
    const int room = line.width() - scoreWidth - kPad;
    QString when = range;
    if (duration > 0) {
        const QString full = tr("%1 of %2").arg(range, ResultsModel::formatDuration(duration));
        if (fm.horizontalAdvance(full) <= room)
            when = full;
    }
    p->drawText(line.adjusted(0, 0, -scoreWidth - kPad, 0), Qt::AlignLeft | Qt::AlignVCenter,
                fm.elidedText(when, Qt::ElideRight, room));
    p->setPen(text);
    p->drawText(line, Qt::AlignRight | Qt::AlignVCenter, score);

    // Score bar: how this moment compares with the best of the search.
    const QRectF bar(r.left(), line.bottom() + 1 + kGap, r.width(), kBar);
    const double frac = std::clamp(index.data(ResultsModel::ScoreFractionRole).toDouble(), 0.0, 1.0);
    QColor track = pal.color(cg, QPalette::Mid);
    track.setAlpha(110);
    p->setPen(Qt::NoPen);
    p->setBrush(track);
    p->drawRoundedRect(bar, kBar / 2.0, kBar / 2.0);
    QColor fill = selected ? pal.color(cg, QPalette::HighlightedText) : pal.color(cg, QPalette::Highlight);
    p->setBrush(fill);
    p->drawRoundedRect(QRectF(bar.left(), bar.top(), std::max(double(kBar), bar.width() * frac), bar.height()),
                       kBar / 2.0, kBar / 2.0);
    p->restore();

    // The current item: an outline (the styles' focus rectangles fill the cell with a tint
    // that would sit on the thumbnail).
    if (option.state & QStyle::State_HasFocus) {
        p->save();
        p->setRenderHint(QPainter::Antialiasing, true);
        p->setPen(QPen(pal.color(cg, QPalette::Highlight).darker(selected ? 150 : 100), 2));
        p->setBrush(Qt::NoBrush);
        p->drawRoundedRect(QRectF(option.rect).adjusted(1, 1, -1, -1), 4, 4);
        p->restore();
    }
}

} // namespace vop::ui
