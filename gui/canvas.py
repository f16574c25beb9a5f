"""The image view: zoom and pan, region outlines to click, regions to draw, move and resize.

It knows geometry and pixels only; the main window maps regions to and from it, each outline
named by a key the window chooses (a detection's index, a track, a drawn region).
Coordinates are image pixels (the scene is the image).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath, QPen, QPixmap, QTransform
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

# Outline colours, chosen to read on both light and dark photos (each is drawn over a dark halo).
COVERED = QColor("#37d67a")
LEFT_VISIBLE = QColor("#ff4d4f")
DRAWN = QColor("#3fb6ff")
SECOND_LOOK = QColor("#ff6bd6")  # covered, but found only by the second look: the main pass missed it
FINDING = QColor("#ffe14d")  # a face the check still finds in the saved copy
COLOURS = {"covered": COVERED, "visible": LEFT_VISIBLE, "drawn": DRAWN, "second-look": SECOND_LOOK, "finding": FINDING}
HALO = QColor(0, 0, 0, 170)
HANDLE_PX = 9
MIN_ZOOM, MAX_ZOOM = 0.02, 32.0
# Above this zoom pixels are shown as blocks, so a 15-px face can be checked pixel by pixel.
SHARP_ZOOM = 3.0
MIN_DRAWN_PX = 3.0


@dataclass(frozen=True)
class Outline:
    """One region as the view draws it."""

    rect: QRectF
    shape: str  # "ellipse" or "box"
    kind: str  # "covered", "second-look" (covered), "visible" (turned off), "drawn" or "finding" (the check's)
    tooltip: str = ""


class RegionItem(QGraphicsObject):
    def __init__(self, key: Hashable, outline: Outline, bounds: QRectF) -> None:
        super().__init__()
        self.key = key
        self.kind = outline.kind
        self.region_shape = outline.shape
        self.rect = QRectF(outline.rect)
        self.bounds = bounds
        self.hovered = False
        self.setToolTip(outline.tooltip)
        self.setAcceptHoverEvents(True)

    def _screen_scale(self) -> float:
        views = self.scene().views() if self.scene() else []
        return views[0].transform().m11() if views else 1.0

    def _handle_size(self) -> float:
        return HANDLE_PX / self._screen_scale()

    def boundingRect(self) -> QRectF:
        m = self._handle_size()
        return self.rect.adjusted(-m, -m, m, m)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        if self.region_shape == "ellipse":
            path.addEllipse(self.rect)
        else:
            path.addRect(self.rect)
        return path

    def hoverEnterEvent(self, event) -> None:
        self.hovered = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self.hovered = False
        self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        colour = COLOURS[self.kind]
        width = 3.0 if self.hovered or self.isSelected() else 2.0
        fill = QColor(colour)
        fill.setAlpha(0 if self.kind in ("visible", "finding") else (70 if self.hovered else 45))
        for pen in (self._pen(HALO, width + 2), self._pen(colour, width)):
            painter.setPen(pen)
            painter.setBrush(QBrush(fill) if pen.color() == colour else Qt.BrushStyle.NoBrush)
            if self.region_shape == "ellipse":
                painter.drawEllipse(self.rect)
            else:
                painter.drawRect(self.rect)
        if self.isSelected() and not isinstance(self, DrawnItem):
            pen = self._pen(colour, 1)
            pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.rect.adjusted(-3, -3, 3, 3))

    def _pen(self, colour: QColor, width: float) -> QPen:
        pen = QPen(colour, width)
        pen.setCosmetic(True)
        if self.kind in ("visible", "finding"):
            pen.setStyle(Qt.PenStyle.DashLine)
        return pen


class FindingItem(RegionItem):
    """A face the check of the saved copy still finds, to be looked at: selected by a jump to it, while clicks
    go through to the outline under it (a face left visible, to cover again)."""

    def __init__(self, key: Hashable, outline: Outline, bounds: QRectF) -> None:
        super().__init__(key, outline, bounds)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(2)


class FaceItem(RegionItem):
    """A detected face (in video, a track): a click turns it off (left visible) or on again."""

    def __init__(self, key: Hashable, outline: Outline, bounds: QRectF) -> None:
        super().__init__(key, outline, bounds)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            event.accept()
        else:
            event.ignore()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.shape().contains(event.pos()):
            canvas = self.scene().views()[0]
            canvas.face_toggled.emit(self.key)


class DrawnItem(RegionItem):
    """A region the user drew: drag to move, drag a corner handle to resize."""

    def __init__(self, key: Hashable, outline: Outline, bounds: QRectF) -> None:
        super().__init__(key, outline, bounds)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.setZValue(1)
        self._grab: tuple[str, QPointF, QRectF] | None = None

    def _corners(self) -> dict[str, QPointF]:
        r = self.rect
        return {"tl": r.topLeft(), "tr": r.topRight(), "bl": r.bottomLeft(), "br": r.bottomRight()}

    def _corner_at(self, pos: QPointF) -> str | None:
        reach = self._handle_size()
        for name, point in self._corners().items():
            if abs(pos.x() - point.x()) <= reach and abs(pos.y() - point.y()) <= reach:
                return name
        return None

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.rect)  # the whole box grabs, also for an ellipse: easier to hit
        if self.isSelected():
            h = self._handle_size()
            for point in self._corners().values():
                path.addRect(QRectF(point.x() - h, point.y() - h, 2 * h, 2 * h))
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        super().paint(painter, option, widget)
        if not self.isSelected():
            return
        pen = QPen(DRAWN, 1, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(self.rect)
        h = self._handle_size() / 2
        edge = QPen(HALO, 1)
        edge.setCosmetic(True)
        painter.setPen(edge)
        painter.setBrush(QColor("white"))
        for point in self._corners().values():
            painter.drawRect(QRectF(point.x() - h, point.y() - h, 2 * h, 2 * h))

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        super().mousePressEvent(event)  # selects
        corner = self._corner_at(event.pos()) if self.isSelected() else None
        self._grab = (corner or "move", event.pos(), QRectF(self.rect))

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._grab is None:
            return
        what, start, original = self._grab
        pos = event.pos()
        self.prepareGeometryChange()
        if what == "move":
            delta = pos - start
            moved = original.translated(delta)
            dx = min(max(moved.left(), self.bounds.left()), self.bounds.right() - moved.width()) - moved.left()
            dy = min(max(moved.top(), self.bounds.top()), self.bounds.bottom() - moved.height()) - moved.top()
            self.rect = moved.translated(dx, dy)
        else:
            x = min(max(pos.x(), self.bounds.left()), self.bounds.right())
            y = min(max(pos.y(), self.bounds.top()), self.bounds.bottom())
            fixed = {"tl": original.bottomRight(), "tr": original.bottomLeft(), "bl": original.topRight()}.get(
                what, original.topLeft()
            )
            self.rect = QRectF(QPointF(x, y), fixed).normalized()
        self.update()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if self._grab is not None and self._grab[2] != self.rect and self.rect.width() >= 1 and self.rect.height() >= 1:
            self.scene().views()[0].region_changed.emit(self.key, QRectF(self.rect))
        self._grab = None


class Canvas(QGraphicsView):
    face_toggled = Signal(object)  # the face's key
    region_drawn = Signal(QRectF, str)
    region_changed = Signal(object, QRectF)  # the drawn region's key, its new box
    selection_changed = Signal(object)  # the selected outline's key, None for none
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setBackgroundBrush(QColor("#202124"))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        self._pixmap = QGraphicsPixmapItem()
        self._pixmap.setShapeMode(QGraphicsPixmapItem.ShapeMode.BoundingRectShape)
        self.scene().addItem(self._pixmap)
        self._items: list[RegionItem] = []
        self._tool = "select"
        self._drawing: tuple[QPointF, RegionItem] | None = None
        self._editable = True
        self._kept: Hashable = None  # the selection while the outlines are hidden
        self._fitted = True  # keep fitting the picture to the window until the user zooms
        self.scene().selectionChanged.connect(self._selection_changed)

    # image and zoom

    @property
    def image_rect(self) -> QRectF:
        return self._pixmap.boundingRect()

    def set_image(self, image: QImage, fit: bool) -> None:
        self._pixmap.setPixmap(QPixmap.fromImage(image))
        self.scene().setSceneRect(self.image_rect)
        if fit:
            self.zoom_fit()

    def shown_image(self) -> QImage:
        return self._pixmap.pixmap().toImage()

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_to(self, scale: float) -> None:
        scale = min(max(scale, MIN_ZOOM), MAX_ZOOM)
        self.setTransform(QTransform.fromScale(scale, scale))
        self._fitted = False
        self._zoomed()

    def zoom_by(self, factor: float) -> None:
        self.zoom_to(self.zoom() * factor)

    def zoom_fit(self) -> None:
        rect = self.image_rect
        if rect.isEmpty():
            return
        view = self.viewport().rect().adjusted(8, 8, -8, -8)
        scale = min(view.width() / rect.width(), view.height() / rect.height(), 2.0)
        self.zoom_to(scale)
        self.centerOn(rect.center())
        self._fitted = True

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fitted:
            self.zoom_fit()

    def _zoomed(self) -> None:
        sharp = self.zoom() >= SHARP_ZOOM
        self._pixmap.setTransformationMode(
            Qt.TransformationMode.FastTransformation if sharp else Qt.TransformationMode.SmoothTransformation
        )
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not sharp)
        for item in self._items:
            item.prepareGeometryChange()  # handle sizes follow the zoom
        self.zoom_changed.emit(self.zoom())

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(1.25**steps)

    # regions

    def set_regions(
        self,
        faces: list[tuple[Hashable, Outline]],
        drawn: list[tuple[Hashable, Outline]],
        selected: Hashable = None,
        findings: list[tuple[Hashable, Outline]] = (),
    ) -> None:
        """Replace every outline, each with its key; ``selected`` is the key to keep selected."""
        self._kept = selected
        scene = self.scene()
        scene.blockSignals(True)
        for item in self._items:
            scene.removeItem(item)
        bounds = self.image_rect
        self._items = [FaceItem(k, o, bounds) for k, o in faces] + [DrawnItem(k, o, bounds) for k, o in drawn]
        self._items += [FindingItem(k, o, bounds) for k, o in findings]
        for item in self._items:
            item.setVisible(self._editable)
            scene.addItem(item)
            item.setSelected(item.key == selected)
        scene.blockSignals(False)

    def set_editable(self, editable: bool) -> None:
        """Off while the obscured result is shown: no outlines, nothing to click. The selection is kept
        for when they come back (hiding an item would drop it)."""
        if editable == self._editable:
            return
        if not editable:
            self._kept = self.selected_key()
        self._editable = editable
        self.scene().blockSignals(True)
        for item in self._items:
            item.setVisible(editable)
            item.setSelected(editable and item.key == self._kept)
        self.scene().blockSignals(False)

    def set_tool(self, tool: str) -> None:
        """ "select" (click faces, move regions, drag to pan), "ellipse" or "box" (drag to draw)."""
        self._tool = tool
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag if tool == "select" else QGraphicsView.DragMode.NoDrag)
        self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if tool == "select" else Qt.CursorShape.CrossCursor)

    def selected_key(self) -> Hashable:
        chosen = [i for i in self.scene().selectedItems() if isinstance(i, RegionItem)]
        return chosen[0].key if chosen else None

    def select(self, key: Hashable) -> None:
        """Select the outline with ``key`` (and no other); None clears the selection."""
        for item in self._items:
            item.setSelected(item.key == key)

    def _selection_changed(self) -> None:
        self.selection_changed.emit(self.selected_key())

    def mousePressEvent(self, event) -> None:
        drawing = self._tool != "select" and self._editable and event.button() == Qt.MouseButton.LeftButton
        if drawing and not isinstance(self.itemAt(event.position().toPoint()), DrawnItem):
            start = self._clamped(self.mapToScene(event.position().toPoint()))
            outline = Outline(QRectF(start, start), self._tool, "drawn")
            ghost = RegionItem(-1, outline, self.image_rect)
            self.scene().addItem(ghost)
            self._drawing = (start, ghost)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._drawing:
            start, ghost = self._drawing
            ghost.prepareGeometryChange()
            ghost.rect = QRectF(start, self._clamped(self.mapToScene(event.position().toPoint()))).normalized()
            ghost.update()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._drawing:
            _, ghost = self._drawing
            self._drawing = None
            self.scene().removeItem(ghost)
            if ghost.rect.width() >= MIN_DRAWN_PX and ghost.rect.height() >= MIN_DRAWN_PX:
                self.region_drawn.emit(QRectF(ghost.rect), self._tool)
            return
        super().mouseReleaseEvent(event)
        if self._tool == "select":
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)

    def _clamped(self, point: QPointF) -> QPointF:
        r = self.image_rect
        return QPointF(min(max(point.x(), r.left()), r.right()), min(max(point.y(), r.top()), r.bottom()))
