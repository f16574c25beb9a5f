"""Editing the review: outlines on the picture, the timeline, turning faces and tracks off, drawing and
following regions, per-file settings. Every edit is a new ``Review`` pushed on the file's undo stack."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QRectF

import blurkit
from gui import texts
from gui.background import FIND, Task
from gui.canvas import Outline
from gui.documents import MediaFile, detection_changed, manual_region, with_frames
from gui.flags import findings_at
from gui.review import Follow, Review, step_cut, step_row
from gui.timeline import HEADER_PX, ROW_PX
from gui.undo import ReviewEdit


class Reviewing:
    """The main window's review editing (a mixin: it works on the window's widgets and state)."""

    def edit(self, doc: MediaFile, after: Review, text: str) -> None:
        """Make ``after`` the file's review, undoably."""
        self.undo_stack(doc).push(ReviewEdit(doc, after, text, self._review_shown))

    def _review_shown(self, doc: MediaFile) -> None:
        """A review changed (an edit, undo or redo): previews start afresh, every view follows."""
        doc.memory = doc.memory.fresh()
        if doc is self.current:
            self._refresh_regions()
            self._refresh_preview()
        self._refresh()

    # outlines

    def _refresh_regions(self) -> None:
        doc = self.current
        if doc is None or self._shown is None:
            return
        height, width = self._shown.shape[:2]
        settings = self.settings()
        faces = []
        if doc.kind == "photo":
            found = [(("face", i), r, i in doc.off) for i, r in enumerate(doc.detected or [])]
            drawn = [(("drawn", i), r) for i, r in enumerate(doc.review.drawn)]
        else:
            frame = self.shown_frame
            found = [(("track", r.track_id), r, r.track_id in doc.off) for r in doc.faces_at(frame)]
            drawn = [(("drawn", i), r) for i, r in enumerate(doc.review.drawn) if r.in_frame(frame)]
            drawn += [(("followed", f.track_id), r) for f in doc.review.followed if (r := f.at(frame)) is not None]
        for key, region, off in found:
            mask = blurkit.mask_regions([region], settings, width, height)
            second = region.source == "second-look"
            kind = "visible" if off else "second-look" if second else "covered"
            tip = "Left visible. Click to cover it." if off else "Covered. Click to leave it visible."
            if doc.kind == "video":
                tip = tip.replace(" it", " this track")
            if second:
                tip = f"{texts.SECOND_LOOK_TIP} {tip}"
            faces.append((key, Outline(rect(mask[0] if mask else region), settings.shape, kind, tip)))
        tips = {"drawn": "Drawn by you", "followed": "Followed by you: move it to correct it on this frame"}
        outlines = [(key, Outline(rect(r), r.shape, "drawn", tips[key[0]])) for key, r in drawn]
        frame = self.shown_frame if doc.kind == "video" else None
        findings = [(key, Outline(rect(r), "box", "finding", texts.FINDING_TIP)) for key, r in findings_at(doc, frame)]
        self.canvas.set_regions(faces, outlines, selected=self.selected, findings=findings)
        self._selection_shown()

    def _selection_changed(self, key: object) -> None:
        self.selected = key
        self._selection_shown()

    def _selection_shown(self) -> None:
        doc, key = self.current, self.selected
        self.timeline.set_selected(key)
        row = self.timeline.row_of(key)
        if row is not None:
            self.timeline_area.ensureVisible(0, HEADER_PX + ROW_PX * row + ROW_PX // 2, 0, ROW_PX)
        ranged = doc is not None and doc.kind == "video" and doc.video is not None and key is not None
        ranged = ranged and key[0] == "drawn" and key[1] < len(doc.review.drawn)
        self.range_box.setVisible(ranged)
        if ranged:
            self.range_box.show_range(doc.review.drawn[key[1]].frames or (0, doc.video.frames - 1), doc.video.frames)
        self._update_actions()

    # edits

    def _face_toggled(self, key: tuple[str, int]) -> None:
        doc = self.current
        self.selected = key
        now = "covered" if key[1] in doc.off else "left visible"
        what = "track" if key[0] == "track" else "face"
        self.edit(doc, doc.review.toggled(key[1]), f"{what.capitalize()} {now}")

    def toggle_selected(self) -> None:
        if self.selected is not None and self.selected[0] in ("face", "track"):
            self._face_toggled(self.selected)

    def _region_drawn(self, box: QRectF, shape: str) -> None:
        doc = self.current
        frames = (0, doc.video.frames - 1) if doc.kind == "video" else None
        region = manual_region(box.left(), box.top(), box.right(), box.bottom(), shape, frames)
        self.selected = ("drawn", len(doc.review.drawn))
        self.edit(doc, doc.review.with_drawn(region), "Draw region")

    def _region_changed(self, key: tuple[str, int], box: QRectF) -> None:
        doc = self.current
        self.selected = key
        if key[0] == "followed":
            [follow] = [f for f in doc.review.followed if f.track_id == key[1]]
            region = replace(follow.at(self.shown_frame), x0=box.left(), y0=box.top(), x1=box.right(), y1=box.bottom())
            self._follow(doc, follow.keyed(self.shown_frame, region), follow.track_id, "Correct followed region")
            return
        moved = replace(doc.review.drawn[key[1]], x0=box.left(), y0=box.top(), x1=box.right(), y1=box.bottom())
        self.edit(doc, doc.review.with_drawn_at(key[1], moved), "Move region")

    def delete_region(self) -> None:
        doc, key = self.current, self.selected
        if doc is None or key is None or key[0] not in ("drawn", "followed"):
            return
        self.selected = None
        after = doc.review.without_drawn(key[1]) if key[0] == "drawn" else doc.review.without_follow(key[1])
        self.edit(doc, after, "Remove region")

    def _range_edited(self, first: int, last: int) -> None:
        doc, key = self.current, self.selected
        if key is not None and key[0] == "drawn":
            region = with_frames(doc.review.drawn[key[1]], (first, last))
            self.edit(doc, doc.review.with_drawn_at(key[1], region), "Change frames")

    def _range_here(self, start: bool) -> None:
        doc, key = self.current, self.selected
        if key is None or key[0] != "drawn":
            return
        first, last = doc.review.drawn[key[1]].frames
        here = self.shown_frame
        self._range_edited(*((here, max(last, here)) if start else (min(first, here), here)))

    def follow_selected(self) -> None:
        """Track the selected drawn region through its shot, from the frame on show."""
        doc, key = self.current, self.selected
        if doc is None or doc.kind != "video" or key is None or key[0] != "drawn" or self.shown_frame is None:
            return
        region = replace(doc.review.drawn[key[1]], frames=None)
        self._follow(doc, {self.shown_frame: region}, doc.review.next_follow_id(), "Follow region", drawn=key[1])

    def _follow(self, doc: MediaFile, keyframes: dict, track_id: int, text: str, drawn: int | None = None) -> None:
        """Follow on the engine's FIND lane; the result becomes one undoable edit (replacing a drawn region,
        or the follow with that id)."""
        cuts = doc.cuts if doc.analysis else None
        doc.busy = "Following the region…"
        self._refresh()

        def work(task: Task) -> tuple:
            regions = blurkit.follow_region(doc.path, keyframes, track_id=track_id, cuts=cuts, cancel=task.cancel)
            return tuple(sorted(keyframes.items())), tuple(regions)

        def done(result: tuple) -> None:
            doc.busy = None
            review = doc.review if drawn is None else doc.review.without_drawn(drawn)
            if doc is self.current:
                self.selected = ("followed", track_id)
            self.edit(doc, review.with_follow(Follow(track_id, *result)), text)

        def failed(exc: BaseException) -> None:
            doc.busy = None
            self._refresh()
            self._error_dialog("Cannot follow the region", exc)

        self.engine.submit(work, done, failed, FIND)

    # the timeline and moving about

    def go_to_row(self, key: tuple[str, int], frame: int) -> None:
        """Show ``frame`` with the timeline row ``key`` selected, and its outline on the picture."""
        self.go_to_frame(frame)
        self.canvas.select(key)  # (the outline may only be on the frame still to come)
        self.selected = key
        self._selection_shown()

    def step_track(self, step: int) -> None:
        doc = self.current
        if doc is None or doc.kind != "video":
            return
        row = step_row(doc.rows(), self.selected, self.frame, step)
        if row is not None:
            self.go_to_row(row.key, row.first)

    def step_cut(self, step: int) -> None:
        doc = self.current
        if doc is None or doc.kind != "video":
            return
        cut = step_cut(doc.cuts, self.frame, step)
        if cut is not None:
            self.go_to_frame(cut)

    # settings

    def _settings_changed(self) -> None:
        doc = self.current
        if doc is None:
            self.defaults = self.settings_panel.settings()
            return
        before, after = self.settings(), self.settings_panel.settings()
        doc.settings = after
        self.settings_panel.show_settings(after, doc.kind, own=True)
        self._settings_applied(doc, refind=detection_changed(before, after))

    def use_for_every_file(self) -> None:
        """The shown settings become the batch's, and every file's."""
        self.defaults = self.settings_panel.settings()
        for doc in self.files:
            before = doc.settings_or(self.defaults)
            doc.settings = None
            self._settings_applied(doc, refind=detection_changed(before, self.defaults))
        if self.current is not None:
            self.settings_panel.show_settings(self.defaults, self.current.kind, own=False)

    def _settings_applied(self, doc: MediaFile, refind: bool) -> None:
        """Detection settings changed: the faces are found again (the decisions about them go, drawn and
        followed regions stay); other settings change only how the same regions are covered."""
        doc.memory = doc.memory.fresh()
        if refind:
            doc.forget_findings()
            self.undo_stack(doc).clear()
            if doc.kind == "photo":
                self._load_photo(doc)
            elif doc.video is not None:
                self._analyse(doc)
        if doc is self.current:
            self._refresh_regions()
            self._refresh_preview()
        self._refresh()


def rect(r: blurkit.Region) -> QRectF:
    return QRectF(r.x0, r.y0, r.width, r.height)
