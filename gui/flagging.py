"""Flags in the file list and the jump to what they flag: a mark and a tooltip on a file with faces only the
second look found, or faces the check of its saved copy still finds (``gui.flags`` says which); "Next
flagged" (N), or a double-click on the file, selects that face or track, or goes to the check's frame and
shows its box."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap, QPolygonF
from PySide6.QtWidgets import QListWidgetItem

from gui import texts
from gui.canvas import FINDING, SECOND_LOOK
from gui.documents import MediaFile
from gui.flags import Target, notes, step_target, targets, warning

ICON_PX = 18


@cache
def flag_icon(kind: str) -> QIcon:
    """A warning triangle (the check still finds a face in the saved copy) or a dot (second-look finds)."""
    pixmap = QPixmap(ICON_PX, ICON_PX)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor(0, 0, 0, 200))
    if kind == "warning":
        painter.setBrush(FINDING)
        painter.drawPolygon(QPolygonF([QPointF(9, 1), QPointF(17, 16), QPointF(1, 16)]))
        box = QRectF(0, 4, ICON_PX, 13)
    else:
        painter.setBrush(SECOND_LOOK)
        painter.drawEllipse(QRectF(1, 1, 16, 16))
        box = QRectF(0, 0, ICON_PX, ICON_PX)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(11)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, "!")
    painter.end()
    return QIcon(pixmap)


class Flagging:
    """The main window's flags and jumps (a mixin: it works on the window's widgets and state)."""

    _pending_jump: tuple[MediaFile, Target] | None = None

    def _show_flag(self, item: QListWidgetItem, doc: MediaFile) -> None:
        """The file list's mark and tooltip for ``doc``, and how the check of its saved copy went."""
        if doc.check_note and not doc.busy:
            item.setText(f"{item.text()}\n{doc.check_note[0].upper()}{doc.check_note[1:]}")
        lines = notes(doc)
        if not lines:
            item.setIcon(QIcon())
            return
        item.setIcon(flag_icon("warning" if warning(doc) else "second-look"))
        flagged = "".join(f"\n⚑ {line[0].upper()}{line[1:]}." for line in lines)
        item.setToolTip(f"{item.toolTip()}{flagged}\n{texts.FLAG_JUMP}")

    def _flag_hint(self, doc: MediaFile) -> str:
        """What is flagged in the file on show, for the hint above the picture."""
        text = "; ".join(notes(doc))
        go = ": N goes there" if targets(doc) else ""
        return f" ⚑ {text[:1].upper()}{text[1:]}{go}." if text else ""

    def step_flagged(self, step: int) -> Target | None:
        """Go to the next (``step`` 1) or previous (-1) flagged face or frame, across the files."""
        places = [(i, t) for i, doc in enumerate(self.files) for t in targets(doc)]
        here = self.files.index(self.current) if self.current in self.files else 0
        at = step_target(places, here, self.selected, step)
        if at is None:
            self.status_text.setText("Nothing is flagged: no face only the second look found, none left by a check.")
            return None
        file, target = places[at]
        self.jump_to(self.files[file], target)
        return target

    def _flagged_file_chosen(self, item: QListWidgetItem) -> None:
        """A double-click on a flagged file goes to its first flag."""
        doc = self.files[self.file_list.row(item)]
        found = targets(doc)
        if found:
            self.jump_to(doc, found[0])

    def jump_to(self, doc: MediaFile, target: Target) -> None:
        """Show ``doc`` with ``target``'s outline selected (in video on its frame) and in view."""
        if doc is not self.current:
            self.file_list.setCurrentRow(self.files.index(doc))
        what = "still found by the check" if target.kind == "finding" else "found only by the second look"
        where = f" at frame {target.frame + 1}" if target.frame is not None else ""
        self.status_text.setText(f"{doc.name}: a face {what}{where}.")
        if doc.kind == "video" and doc.video is None:
            self._pending_jump = (doc, target)  # the video is still being read: go there once it is
            return
        self._jump(doc, target)

    def _jump_when_ready(self, doc: MediaFile) -> None:
        pending, self._pending_jump = self._pending_jump, None
        if pending is not None and pending[0] is doc is self.current:
            self._jump(*pending)

    def _jump(self, doc: MediaFile, target: Target) -> None:
        if target.frame is not None:
            self.go_to_row(target.key, target.frame)  # the outline comes with the frame, selected
        else:
            self.selected = target.key
            self.canvas.select(target.key)
            self._selection_shown()
        r = target.region
        self.canvas.ensureVisible(QRectF(r.x0, r.y0, r.width, r.height), 40, 40)
