"""Opening files and getting what the engine finds in them: a photo's pixels and faces, a video's frames
and its analysis (a dry run: every frame's tracked faces and the shot cuts), all off the GUI thread."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QFileDialog, QListWidgetItem, QMessageBox

import blurkit
from gui import texts
from gui.background import FIND, VIEW, Task
from gui.documents import MediaFile

# Decoded photos kept in memory, so stepping back and forth does not decode again.
PIXEL_CACHE = 4
# Wait this long after the slider stops before decoding a frame: dragging should not queue hundreds.
FRAME_DEBOUNCE_MS = 80


def to_qimage(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def file_filter() -> str:
    patterns = " ".join(f"*{s}" for s in sorted(blurkit.PHOTO_SUFFIXES | blurkit.VIDEO_SUFFIXES))
    return f"Photos and videos ({patterns});;All files (*)"


class Loading:
    """The main window's opening and loading (a mixin: it works on the window's widgets and state)."""

    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Open photos and videos", self._folder("last_folder"), file_filter()
        )
        self.open_paths(paths)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Open every photo and video in a folder", self._folder("last_folder")
        )
        if folder:
            self.open_paths([folder])

    def _folder(self, key: str) -> str:
        return str(self.store.value(key, str(Path.home())))

    def open_paths(self, paths: Iterable[str | Path]) -> list[MediaFile]:
        """Add files (and the photos and videos in folders, found as a batch finds them) to the list;
        show the first new one."""
        paths = [Path(p) for p in paths]
        if not paths:
            return []
        found, skipped = blurkit.list_media(paths)
        unsupported = [s.path for s in skipped if s.path in paths]
        known = {f.path.resolve() for f in self.files}
        added = []
        for path in found:
            if path.resolve() in known:
                continue
            known.add(path.resolve())
            doc = MediaFile(path, blurkit.media_kind(path) or "photo")
            self.files.append(doc)
            self.file_list.addItem(QListWidgetItem())
            added.append(doc)
        self.store.setValue("last_folder", str(paths[0] if paths[0].is_dir() else paths[0].parent))
        if unsupported:
            names = ", ".join(blurkit.shown_name(p.name) for p in unsupported)
            self._dialog(
                "Some files were not opened",
                f"<p>blurkit cannot open: {names}.</p><p>It opens photos "
                f"({', '.join(sorted(s[1:] for s in blurkit.PHOTO_SUFFIXES))}) and videos "
                f"({', '.join(sorted(s[1:] for s in blurkit.VIDEO_SUFFIXES))}).</p>",
                QMessageBox.Icon.Warning,
            )
        elif not found:
            self._dialog(
                "Nothing to open", "<p>No photos or videos were found there.</p>", QMessageBox.Icon.Information
            )
        if added and self.current is None:
            self.file_list.setCurrentRow(self.files.index(added[0]))
        self._refresh()
        return added

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        event.acceptProposedAction()
        self.open_paths(paths)

    def _step_file(self, step: int) -> None:
        if self.files:
            self.file_list.setCurrentRow((self.file_list.currentRow() + step) % len(self.files))

    def _step_frame(self, step: int) -> None:
        self.go_to_frame(self.video_bar.slider.value() + step)

    def go_to_frame(self, index: int) -> None:
        self.video_bar.slider.setValue(index)

    def _file_chosen(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        doc = self.files[self.file_list.row(item)]
        self.current, self.frame, self.shown_frame, self._shown, self.selected = doc, 0, None, None, None
        self.undo_group.setActiveStack(self.undo_stack(doc))
        self.settings_panel.show_settings(self.settings(), doc.kind, own=doc.settings is not None)
        self.range_box.hide()
        self.video_bar.setVisible(doc.kind == "video")
        # A file with a problem is not retried each time it is shown: its status says what is wrong.
        if doc.kind == "photo":
            if doc.path in self._pixels:
                self._display(self._pixels[doc.path], fit=True)
            if doc.problem is None and (doc.path not in self._pixels or doc.detected is None):
                self._load_photo(doc)
        elif doc.video is not None:
            self._video_ready(doc)
        elif doc.problem is None:
            self._probe_video(doc)
        self._refresh()

    def _load_photo(self, doc: MediaFile) -> None:
        if doc.path in self._loading:
            return
        self._loading.add(doc.path)
        detect = doc.detected is None
        if detect:
            doc.busy = texts.HINT_LOADING
        settings = doc.settings_or(self.defaults)

        def work(task: Task) -> tuple[np.ndarray, list[blurkit.Region] | None, Exception | None]:
            photo = blurkit.load_photo(doc.path)
            if not detect:
                return photo.shown, None, None
            try:  # the main pass and the second look, in every view of it, as a photo export finds them
                return photo.shown, blurkit.find_faces(photo.pixels, settings, alpha=photo.alpha), None
            except blurkit.BlurkitError as exc:
                return photo.shown, None, exc

        def done(result: tuple) -> None:
            pixels, regions, error = result
            self._loading.discard(doc.path)
            doc.busy = None
            self._pixels[doc.path] = pixels
            while len(self._pixels) > PIXEL_CACHE:
                del self._pixels[next(iter(self._pixels))]
            if detect and settings != doc.settings_or(self.defaults):
                self._load_photo(doc)  # the settings changed meanwhile: find the faces again
            elif regions is not None:
                doc.detected = regions
            if error is not None:
                doc.problem = f"face detection failed, so it cannot be saved ({texts.describe(error)})"
            if doc is self.current:
                self._display(pixels, fit=self._shown is None)
            self._refresh()

        self.engine.submit(work, done, lambda exc: self._unreadable(doc, exc), VIEW)

    def _unreadable(self, doc: MediaFile, exc: BaseException) -> None:
        self._loading.discard(doc.path)
        doc.busy = None
        doc.problem = texts.describe(exc)
        if doc is self.current:
            self._shown = None
            self._error_dialog(f"Cannot open {doc.name}", exc)
        self._refresh()

    def _probe_video(self, doc: MediaFile) -> None:
        doc.busy = "Reading video…"

        def done(info: blurkit.VideoInfo) -> None:
            doc.busy = None
            doc.video = info
            self._analyse(doc)
            if doc is self.current:
                self._video_ready(doc)
            self._refresh()

        self.engine.submit(lambda task: blurkit.probe_video(doc.path), done, lambda e: self._unreadable(doc, e), VIEW)

    def _analyse(self, doc: MediaFile) -> None:
        """Find and track the faces of every frame, as the export would (a dry run); the review works on
        its per-frame regions, and the export obscures exactly those."""
        doc.busy = texts.HINT_TRACKING
        settings = doc.settings_or(self.defaults)
        if doc in self._analyses:
            self._analyses[doc].cancel.set()  # an analysis with other settings: its findings would not hold

        def work(task: Task) -> blurkit.FileResult:
            return blurkit.anonymize_file(
                doc.path, doc.path, settings, dry_run=True, progress=task.report, cancel=task.cancel
            )

        def progressed(done: int, total: int) -> None:
            doc.busy = f"{texts.HINT_TRACKING} {100 * done // max(total, 1)} %"
            if doc is self.current:
                self._refresh()

        def done(result: blurkit.FileResult) -> None:
            if settings != doc.settings_or(self.defaults):
                return  # the settings changed meanwhile; another analysis is on its way
            self._analyses.pop(doc, None)
            doc.busy, doc.analysis = None, result
            self.undo_stack(doc).clear()  # edits made before were about other findings
            if doc is self.current:
                self._refresh_regions()
                self._refresh_preview()
            self._refresh()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, blurkit.Cancelled):
                return
            self._analyses.pop(doc, None)
            doc.busy = None
            doc.problem = f"finding faces failed, so it cannot be saved ({texts.describe(exc)})"
            self._refresh()

        self._analyses[doc] = self.engine.submit(work, done, failed, FIND, on_progress=progressed)

    def _video_ready(self, doc: MediaFile) -> None:
        self.video_bar.set_video(doc.video.frames)
        self._frame_chosen(0)
        self._jump_when_ready(doc)

    def _frame_chosen(self, index: int) -> None:
        doc = self.current
        if doc is None or doc.video is None:
            return
        self.frame = index
        self.video_bar.show_position(index, doc.video.frames, doc.video.fps)
        self.timeline.set_frame(index)
        self._frame_wanted = (doc.path, index)
        self._frame_timer.start()

    def _load_frame(self) -> None:
        doc, index = self.current, self.frame
        if doc is None or doc.kind != "video":
            return
        wanted = (doc.path, index)

        def work(task: Task) -> np.ndarray:
            if self._frame_wanted != wanted:
                raise blurkit.Cancelled("another frame was chosen")
            return blurkit.read_video_frame(doc.path, index)

        def done(pixels: np.ndarray) -> None:
            if doc is self.current and self.frame == index:
                self.shown_frame = index
                self._display(pixels, fit=self._shown is None)

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, blurkit.Cancelled) and doc is self.current:
                self._error_dialog(f"Cannot show frame {index + 1} of {doc.name}", exc)

        self.engine.submit(work, done, failed, VIEW)

    def _display(self, pixels: np.ndarray, fit: bool) -> None:
        self._shown = pixels
        self._result_shown = False
        self.current.viewed = True
        self.canvas.set_image(to_qimage(pixels), fit=fit)
        self.stack.setCurrentWidget(self.canvas)
        self._refresh_regions()
        self._refresh_preview()
        self._refresh()
