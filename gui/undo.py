"""Undo for review edits: a command holds the file's review before and after the edit (reviews are
immutable values), so undoing puts the old one back and redoing the new one."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from gui.documents import MediaFile
from gui.review import Review


class ReviewEdit(QUndoCommand):
    def __init__(self, doc: MediaFile, after: Review, text: str, shown: Callable[[MediaFile], None]) -> None:
        super().__init__(text)
        self.doc, self.before, self.after, self.shown = doc, doc.review, after, shown

    def redo(self) -> None:
        self.doc.review = self.after
        self.shown(self.doc)

    def undo(self) -> None:
        self.doc.review = self.before
        self.shown(self.doc)
