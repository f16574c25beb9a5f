"""The track timeline under a video: one row per face track, followed and drawn region over its frames,
the shot cuts marked, the frame on show as a line. Tracks the second look started have their own colour, and
the frames where the check of the saved copy still finds a face are marked. Clicking a row goes there."""

from __future__ import annotations

from collections.abc import Hashable

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.canvas import COVERED, DRAWN, FINDING, LEFT_VISIBLE, SECOND_LOOK
from gui.review import Row

ROW_PX = 14
HEADER_PX = 14  # the band where cuts are marked
LABEL_PX = 118
MARGIN_PX = 8
CUT = QColor("#ffb300")
BACKGROUND = QColor("#26282b")
SELECTED = QColor(255, 255, 255, 40)
TEXT = QColor("#d0d0d0")
BAR_ALPHA = 200  # a row's fill (a track left visible: 60)


class Timeline(QWidget):
    row_clicked = Signal(object, int)  # the row's key, the frame clicked (inside the row's span)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Row] = []
        self.cuts: list[int] = []
        self.frames = 1
        self.frame = 0
        self.selected: Hashable = None
        self.note = ""
        self.findings: list[int] = []  # frames where the check of the saved copy still finds a face
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(
            "Face tracks over the video's frames (pink: found only by the second look); orange marks are shot "
            "cuts, yellow ticks frames where the check of the saved copy still finds a face. Click a row to go there."
        )

    def show_rows(self, frames: int, rows: list[Row], cuts: list[int], note: str = "") -> None:
        """``note`` stands in for the rows while there are none (the analysis is still running)."""
        self.frames, self.rows, self.cuts, self.note = max(frames, 1), rows, cuts, note
        self.setFixedHeight(HEADER_PX + ROW_PX * max(len(rows), 2) + 4)
        self.update()

    def set_findings(self, frames: list[int]) -> None:
        self.findings = frames
        self.update()

    def set_frame(self, frame: int) -> None:
        self.frame = frame
        self.update()

    def set_selected(self, key: Hashable) -> None:
        self.selected = key
        self.update()

    def x_of(self, frame: float) -> float:
        span = max(self.width() - LABEL_PX - MARGIN_PX, 1)
        return LABEL_PX + span * frame / max(self.frames - 1, 1)

    def frame_at(self, x: float) -> int:
        span = max(self.width() - LABEL_PX - MARGIN_PX, 1)
        return min(max(round((x - LABEL_PX) / span * (self.frames - 1)), 0), self.frames - 1)

    def row_of(self, key: Hashable) -> int | None:
        keys = [r.key for r in self.rows]
        return keys.index(key) if key in keys else None

    def row_at(self, y: float) -> Row | None:
        i = int((y - HEADER_PX) // ROW_PX)
        return self.rows[i] if y >= HEADER_PX and 0 <= i < len(self.rows) else None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        row = self.row_at(event.position().y())
        if row is None or event.button() != Qt.MouseButton.LeftButton:
            return
        frame = self.frame_at(event.position().x())
        self.row_clicked.emit(row.key, frame if row.first <= frame <= row.last else row.first)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), BACKGROUND)
        metrics = QFontMetrics(painter.font())
        if not self.rows:
            painter.setPen(TEXT)
            text = self.note or "No faces found in this video."
            painter.drawText(QRectF(8, HEADER_PX, self.width() - 16, 2 * ROW_PX), Qt.AlignmentFlag.AlignVCenter, text)
        for i, row in enumerate(self.rows):
            top = HEADER_PX + i * ROW_PX
            if row.key == self.selected:
                painter.fillRect(QRectF(0, top, self.width(), ROW_PX), SELECTED)
            painter.setPen(TEXT)
            label = metrics.elidedText(row.label, Qt.TextElideMode.ElideRight, LABEL_PX - 8)
            painter.drawText(QRectF(4, top, LABEL_PX - 8, ROW_PX), Qt.AlignmentFlag.AlignVCenter, label)
            self._bar(painter, row, top)
        for cut in self.cuts:
            x = self.x_of(cut)
            painter.setPen(QPen(CUT, 1))
            painter.drawLine(QPointF(x, 2), QPointF(x, self.height()))
            painter.setBrush(CUT)
            painter.drawPolygon(QPolygonF([QPointF(x - 4, 1), QPointF(x + 4, 1), QPointF(x, 8)]))
        painter.setPen(QPen(FINDING, 1))
        for frame in self.findings:
            x = self.x_of(frame)
            painter.drawLine(QPointF(x, HEADER_PX - 5), QPointF(x, HEADER_PX - 1))
        x = self.x_of(self.frame)
        painter.setPen(QPen(QColor("white"), 2))
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        painter.end()

    def _bar(self, painter: QPainter, row: Row, top: float) -> None:
        kind = row.key[0]
        colour = LEFT_VISIBLE if row.off else DRAWN if kind != "track" else SECOND_LOOK if row.second_look else COVERED
        x0, x1 = self.x_of(row.first), self.x_of(row.last)
        bar = QRectF(x0, top + 3, max(x1 - x0, 3.0), ROW_PX - 6)
        fill = QColor(colour)
        fill.setAlpha(60 if row.off else BAR_ALPHA)
        pen = QPen(colour, 1, Qt.PenStyle.DashLine if row.off else Qt.PenStyle.SolidLine)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRoundedRect(bar, 2, 2)
        painter.setPen(QPen(QColor("white"), 2))
        for mark in row.marks:
            painter.drawLine(QPointF(self.x_of(mark), top + 2), QPointF(self.x_of(mark), top + ROW_PX - 2))
