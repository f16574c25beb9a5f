"""The main window: open files, review each one on the canvas, save through the engine."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, QSettings, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QBrush,
    QCloseEvent,
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

import blurkit
from gui import texts
from gui.background import NORMAL, URGENT, Engine, Task
from gui.canvas import Canvas, Outline
from gui.documents import MediaFile, free_output_path, manual_region, with_frames
from gui.panels import FrameRangeBox, Legend, SettingsPanel, VideoBar, side_column, wrapped

# Decoded photos kept in memory, so stepping back and forth does not decode again.
PIXEL_CACHE = 4
# Wait this long after the slider stops before decoding a frame: dragging should not queue hundreds.
FRAME_DEBOUNCE_MS = 80
PROBLEM = QBrush(QColor("#c62828"))


def to_qimage(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def media_in(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """Files to open (folders walked, hidden files skipped) and explicitly named files blurkit cannot read."""
    found, unsupported = [], []
    for path in map(Path, paths):
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [Path(root) / n for n in sorted(names) if not n.startswith(".") and blurkit.media_kind(n)]
        elif blurkit.media_kind(path) and path.is_file():
            found.append(path)
        else:
            unsupported.append(path)
    return found, unsupported


def file_filter() -> str:
    patterns = " ".join(f"*{s}" for s in sorted(blurkit.PHOTO_SUFFIXES | blurkit.VIDEO_SUFFIXES))
    return f"Photos and videos ({patterns});;All files (*)"


class MainWindow(QMainWindow):
    def __init__(self, store: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("blurkit: cover faces in photos and videos")
        self.setAcceptDrops(True)
        self.store = store
        self.engine = Engine(self)
        self.files: list[MediaFile] = []
        self.current: MediaFile | None = None
        self.frame = 0  # the video frame chosen on the slider
        self.shown_frame: int | None = None  # the video frame whose pixels are on show
        self.last_dialog: QMessageBox | None = None
        self._shown: np.ndarray | None = None  # pixels of the photo or frame on show
        self._result_shown = False
        self._pixels: dict[Path, np.ndarray] = {}
        self._loading: set[Path] = set()
        self._frame_wanted: tuple[Path, int] | None = None
        self._view_token = 0
        self._export: Task | None = None
        self._frame_timer = QTimer(self, singleShot=True, interval=FRAME_DEBOUNCE_MS)
        self._frame_timer.timeout.connect(self._load_frame)
        self._build()
        self._refresh()

    # layout

    def _build(self) -> None:
        self.file_list = QListWidget()
        self.file_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.file_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.file_list.setSpacing(2)
        self.file_list.currentItemChanged.connect(self._file_chosen)
        files_box = QGroupBox("Files")
        QVBoxLayout(files_box).addWidget(self.file_list)

        self.canvas = Canvas()
        self.canvas.face_toggled.connect(self._face_toggled)
        self.canvas.region_drawn.connect(self._region_drawn)
        self.canvas.region_changed.connect(self._region_changed)
        self.canvas.selection_changed.connect(self._selection_changed)
        self.canvas.zoom_changed.connect(lambda z: self.zoom_label.setText(f"Zoom {z * 100:.0f}%"))
        self.placeholder = wrapped(texts.HINT_EMPTY)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("font-size: 15px; padding: 40px;")
        self.open_buttons = QWidget()
        buttons = QHBoxLayout(self.open_buttons)
        buttons.addStretch(1)
        for text, slot in (("Open photos and videos…", self.choose_files), ("Open a folder…", self.choose_folder)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        empty = QWidget()
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.placeholder)
        empty_layout.addWidget(self.open_buttons)
        empty_layout.addStretch(2)
        self.stack = QStackedWidget()
        self.stack.addWidget(empty)
        self.stack.addWidget(self.canvas)
        self.hint = wrapped(texts.HINT_EMPTY)
        self.hint.setStyleSheet("padding: 6px 8px; background: palette(alternate-base); border-radius: 4px;")
        self.video_bar = VideoBar()
        self.video_bar.slider.valueChanged.connect(self._frame_chosen)
        self.video_bar.hide()
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.addWidget(self.hint)
        middle_layout.addWidget(self.stack, 1)
        middle_layout.addWidget(self.video_bar)

        self.settings_panel = SettingsPanel()
        self.settings_panel.changed.connect(self._settings_changed)
        self.range_box = FrameRangeBox()
        self.range_box.changed.connect(self._range_edited)
        self.range_box.start_here.clicked.connect(lambda: self._range_here(start=True))
        self.range_box.end_here.clicked.connect(lambda: self._range_here(start=False))
        self.range_box.hide()
        not_removed = QGroupBox("Never removed")
        QVBoxLayout(not_removed).addWidget(wrapped(blurkit.NOT_REMOVED.capitalize() + ".", muted=True))
        side = QScrollArea()
        side.setWidgetResizable(True)
        side.setWidget(side_column(self.settings_panel, self.range_box, Legend(), not_removed))
        side.setMinimumWidth(280)

        splitter = QSplitter()
        splitter.addWidget(files_box)
        splitter.addWidget(middle)
        splitter.addWidget(side)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([270, 760, 300])
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)

        self.status_text = QLabel()
        self.zoom_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_export)
        self.cancel_button.hide()
        bar = self.statusBar()
        bar.addWidget(self.status_text, 1)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        bar.addPermanentWidget(self.zoom_label)
        self._build_actions()
        self.resize(1340, 820)

    def _action(
        self, text: str, slot, shortcut: str | QKeySequence.StandardKey | None = None, tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        shown = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip or text} ({shown})" if shown else tip or text)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.open_action = a("Open…", self.choose_files, QKeySequence.StandardKey.Open, "Open photos and videos")
        self.open_folder_action = a("Open folder…", self.choose_folder, "Ctrl+Shift+O")
        self.save_action = a("Save…", self.save_current, QKeySequence.StandardKey.Save, "Save an anonymized copy")
        self.save_all_action = a(
            "Save all to folder…", self.save_all, "Ctrl+Shift+S", "Save anonymized copies of every file to a folder"
        )
        quit_action = a("Quit", self.close, QKeySequence.StandardKey.Quit)
        self.preview_action = a("Show result", self._refresh_preview, "Space", "Show the obscured result")
        self.preview_action.setCheckable(True)
        self.next_action = a("Next file", lambda: self._step_file(1), "PgDown")
        self.previous_action = a("Previous file", lambda: self._step_file(-1), "PgUp")
        self.next_frame_action = a("Next frame", lambda: self._step_frame(1), ".", "Next video frame")
        self.previous_frame_action = a("Previous frame", lambda: self._step_frame(-1), ",", "Previous video frame")
        self.tools = QActionGroup(self)
        self.select_tool = a("Select", lambda: self.canvas.set_tool("select"), "S", "Click faces, move regions, pan")
        self.select_tool.setShortcuts([QKeySequence("S"), QKeySequence("Esc")])
        self.ellipse_tool = a("Draw ellipse", lambda: self.canvas.set_tool("ellipse"), "E")
        self.box_tool = a("Draw rectangle", lambda: self.canvas.set_tool("box"), "R")
        for tool in (self.select_tool, self.ellipse_tool, self.box_tool):
            tool.setCheckable(True)
            self.tools.addAction(tool)
        self.select_tool.setChecked(True)
        self.delete_action = a("Remove region", self.delete_region, QKeySequence.StandardKey.Delete)
        self.delete_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence("Backspace")])
        self.zoom_in_action = a("Zoom in", lambda: self.canvas.zoom_by(1.25), QKeySequence.StandardKey.ZoomIn)
        self.zoom_out_action = a("Zoom out", lambda: self.canvas.zoom_by(0.8), QKeySequence.StandardKey.ZoomOut)
        self.fit_action = a("Fit", self.canvas.zoom_fit, "Ctrl+0", "Fit the picture in the window")
        self.actual_action = a(
            "100%", lambda: self.canvas.zoom_to(1.0), "Ctrl+1", "Show at 100% (one screen pixel per pixel)"
        )
        about = a("What blurkit removes…", self.show_first_run_note, "F1")

        menu = self.menuBar().addMenu("&File")
        for action in (self.open_action, self.open_folder_action, None, self.save_action, self.save_all_action, None):
            menu.addSeparator() if action is None else menu.addAction(action)
        menu.addAction(quit_action)
        menu = self.menuBar().addMenu("&Edit")
        menu.addActions([self.select_tool, self.ellipse_tool, self.box_tool])
        menu.addSeparator()
        menu.addAction(self.delete_action)
        menu = self.menuBar().addMenu("&View")
        menu.addActions([self.preview_action, self.next_action, self.previous_action])
        menu.addActions([self.next_frame_action, self.previous_frame_action])
        menu.addSeparator()
        menu.addActions([self.zoom_in_action, self.zoom_out_action, self.fit_action, self.actual_action])
        self.menuBar().addMenu("&Help").addAction(about)

        toolbar = self.addToolBar("Main")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (
            self.open_action, None, self.select_tool, self.ellipse_tool, self.box_tool, self.delete_action, None,
            self.preview_action, self.fit_action, self.actual_action, None, self.save_action, self.save_all_action,
        ):  # fmt: skip
            toolbar.addSeparator() if action is None else toolbar.addAction(action)

    def _update_actions(self) -> None:
        doc = self.current
        exporting = self._export is not None
        self.save_action.setEnabled(doc is not None and not exporting)
        self.save_all_action.setEnabled(bool(self.files) and not exporting)
        reviewable = doc is not None and self._shown is not None
        for action in (
            self.preview_action, self.select_tool, self.ellipse_tool, self.box_tool,
            self.fit_action, self.actual_action, self.zoom_in_action, self.zoom_out_action,
        ):  # fmt: skip
            action.setEnabled(reviewable)
        self.delete_action.setEnabled(reviewable and self.canvas.selected_region() >= 0)
        video = doc is not None and doc.kind == "video" and doc.video is not None
        self.next_frame_action.setEnabled(video)
        self.previous_frame_action.setEnabled(video)
        self.next_action.setEnabled(len(self.files) > 1)
        self.previous_action.setEnabled(len(self.files) > 1)

    # opening

    def settings(self) -> blurkit.Settings:
        return self.settings_panel.settings()

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
        """Add files (and the photos and videos in folders) to the list; show the first new one."""
        paths = [Path(p) for p in paths]
        if not paths:
            return []
        found, unsupported = media_in(paths)
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
            names = ", ".join(p.name for p in unsupported)
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
        slider = self.video_bar.slider
        slider.setValue(slider.value() + step)

    def _file_chosen(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        doc = self.files[self.file_list.row(item)]
        self.current, self.frame, self.shown_frame, self._shown = doc, 0, None, None
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
        settings = self.settings()

        def work(task: Task) -> tuple[np.ndarray, list[blurkit.Region] | None, Exception | None]:
            photo = blurkit.load_photo(doc.path)
            if not detect:
                return photo.pixels, None, None
            try:
                return photo.pixels, blurkit.detect_faces(photo.pixels, settings), None
            except blurkit.BlurkitError as exc:
                return photo.pixels, None, exc

        def done(result: tuple) -> None:
            pixels, regions, error = result
            self._loading.discard(doc.path)
            doc.busy = None
            self._pixels[doc.path] = pixels
            while len(self._pixels) > PIXEL_CACHE:
                del self._pixels[next(iter(self._pixels))]
            if regions is not None:
                doc.detected = regions
            if error is not None:
                doc.problem = f"face detection failed, so it cannot be saved ({texts.describe(error)})"
            if doc is self.current:
                self._display(pixels, fit=True)
            self._refresh()

        self.engine.submit(work, done, lambda exc: self._unreadable(doc, exc), URGENT)

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

        def done(info) -> None:
            doc.busy = None
            doc.video = info
            if doc is self.current:
                self._video_ready(doc)
            self._refresh()

        self.engine.submit(lambda task: blurkit.probe_video(doc.path), done, lambda e: self._unreadable(doc, e), URGENT)

    def _video_ready(self, doc: MediaFile) -> None:
        self.video_bar.set_video(doc.video.frames)
        self._frame_chosen(0)

    def _frame_chosen(self, index: int) -> None:
        doc = self.current
        if doc is None or doc.video is None:
            return
        self.frame = index
        self.video_bar.show_position(index, doc.video.frames, doc.video.fps)
        self._frame_wanted = (doc.path, index)
        self._frame_timer.start()

    def _load_frame(self) -> None:
        doc, index = self.current, self.frame
        if doc is None or doc.kind != "video":
            return
        wanted = (doc.path, index)
        detect = index not in doc.frame_regions
        # the scales the export will detect at for this video, so the preview shows what will be covered
        settings = blurkit.video_detection_settings(self.settings(), doc.video)

        def work(task: Task) -> tuple[np.ndarray, list[blurkit.Region] | None]:
            if self._frame_wanted != wanted:
                raise blurkit.Cancelled("another frame was chosen")
            pixels = blurkit.read_video_frame(doc.path, index)
            return pixels, blurkit.detect_faces(pixels, settings) if detect else None

        def done(result: tuple) -> None:
            pixels, regions = result
            if regions is not None:
                doc.frame_regions[index] = regions
            if doc is self.current and self.frame == index:
                self.shown_frame = index
                self._display(pixels, fit=self._shown is None)

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, blurkit.Cancelled) and doc is self.current:
                self._error_dialog(f"Cannot show frame {index + 1} of {doc.name}", exc)

        self.engine.submit(work, done, failed, URGENT)

    def _display(self, pixels: np.ndarray, fit: bool) -> None:
        self._shown = pixels
        self._result_shown = False
        self.current.viewed = True
        self.canvas.set_image(to_qimage(pixels), fit=fit)
        self.stack.setCurrentWidget(self.canvas)
        self._refresh_regions()
        self._refresh_preview()
        self._refresh()

    # reviewing

    def _refresh(self) -> None:
        """Bring every view of the current file up to date with its review state."""
        for row, doc in enumerate(self.files):
            item = self.file_list.item(row)
            item.setText(f"{doc.name}\n{doc.status()}")
            item.setToolTip(f"{doc.path}\n{doc.status()}")
            item.setForeground(PROBLEM if doc.problem or (doc.outcome or "").startswith("Not saved") else QBrush())
        doc = self.current
        if doc is None or self._shown is None:
            self.stack.setCurrentIndex(0)
            if doc is not None:
                self.placeholder.setText(f"{doc.name}\n\n{doc.status()}")
            self.open_buttons.setVisible(doc is None)
        self.hint.setVisible(doc is not None)
        self.hint.setText(self._hint())
        self._update_actions()

    def _hint(self) -> str:
        doc = self.current
        if doc is None:
            return texts.HINT_EMPTY
        if doc.problem:
            return f"{doc.name}: {doc.problem}"
        if doc.kind == "video":
            return texts.HINT_VIDEO
        if doc.detected is None:
            return texts.HINT_LOADING
        if self.preview_action.isChecked():
            return f"{doc.name}: the obscured result, as it will be saved ({doc.review_summary()}). Space goes back."
        hint = texts.HINT_PHOTO if doc.detected else texts.HINT_NO_FACES
        return f"{doc.name}: {doc.review_summary()}. {hint}"

    def _frame_faces(self) -> list[blurkit.Region] | None:
        doc = self.current
        if doc.kind == "photo":
            return doc.detected
        return doc.frame_regions.get(self.shown_frame)

    def _refresh_regions(self, selected: int | None = None) -> None:
        doc = self.current
        height, width = self._shown.shape[:2]
        settings = self.settings()
        frame = self.shown_frame if doc.kind == "video" else None
        tips = {
            "visible": "Left visible. Click to cover it.",
            "covered": "Covered. Click to leave visible." if doc.kind == "photo" else "Detected: will be covered.",
        }
        faces = []
        for i, region in enumerate(self._frame_faces() or []):
            kind = "visible" if i in doc.off else "covered"
            mask = blurkit.mask_regions([region], settings, width, height)
            faces.append(Outline(self._rect(mask, region), settings.shape, kind, tips[kind]))
        drawn = [
            (i, Outline(QRectF(r.x0, r.y0, r.width, r.height), r.shape, "drawn", "Drawn by you"))
            for i, r in enumerate(doc.manual)
            if frame is None or r.in_frame(frame)
        ]
        keep = self.canvas.selected_region() if selected is None else selected
        self.canvas.set_regions(faces, drawn, toggleable=doc.kind == "photo", selected=keep)
        self._selection_changed(self.canvas.selected_region())

    @staticmethod
    def _rect(mask: list[blurkit.Region], region: blurkit.Region) -> QRectF:
        r = mask[0] if mask else region
        return QRectF(r.x0, r.y0, r.width, r.height)

    def _edited(self, selected: int | None = None) -> None:
        self._refresh_regions(selected)
        self._refresh_preview()
        self._refresh()

    def _face_toggled(self, index: int) -> None:
        self.current.off ^= {index}
        self._edited()

    def _region_drawn(self, rect: QRectF, shape: str) -> None:
        doc = self.current
        frames = (0, doc.video.frames - 1) if doc.kind == "video" else None
        doc.manual.append(manual_region(rect.left(), rect.top(), rect.right(), rect.bottom(), shape, frames))
        self._edited(selected=len(doc.manual) - 1)

    def _region_changed(self, index: int, rect: QRectF) -> None:
        doc = self.current
        doc.manual[index] = replace(doc.manual[index], x0=rect.left(), y0=rect.top(), x1=rect.right(), y1=rect.bottom())
        self._edited(selected=index)

    def delete_region(self) -> None:
        index = self.canvas.selected_region()
        if self.current is not None and index >= 0:
            del self.current.manual[index]
            self._edited(selected=-1)

    def _selection_changed(self, index: int) -> None:
        doc = self.current
        video = doc is not None and doc.kind == "video" and doc.video is not None and index >= 0
        self.range_box.setVisible(video)
        if video:
            self.range_box.show_range(doc.manual[index].frames or (0, doc.video.frames - 1), doc.video.frames)
        self.delete_action.setEnabled(index >= 0)

    def _range_edited(self, first: int, last: int) -> None:
        index = self.canvas.selected_region()
        if index >= 0:
            self.current.manual[index] = with_frames(self.current.manual[index], (first, last))
            self._edited(selected=index)

    def _range_here(self, start: bool) -> None:
        index = self.canvas.selected_region()
        if index < 0:
            return
        first, last = self.current.manual[index].frames
        here = self.shown_frame
        first, last = (here, max(last, here)) if start else (min(first, here), here)
        self._range_edited(first, last)

    def _settings_changed(self) -> None:
        if self._shown is not None:
            self._refresh_regions()
        self._refresh_preview()

    def _refresh_preview(self) -> None:
        """Show the obscured result (computed by the engine, as it will be saved) or the original."""
        self._view_token += 1
        doc = self.current
        showing = self.preview_action.isChecked() and self._shown is not None
        self.canvas.set_editable(not showing)
        self.hint.setText(self._hint())
        if not showing:
            if self._shown is not None:
                if self._result_shown:
                    self.canvas.set_image(to_qimage(self._shown), fit=False)
                    self._result_shown = False
                self.stack.setCurrentWidget(self.canvas)
            return
        # Never let the original pass for the result: show a note until the engine's result is in.
        self.stack.setCurrentIndex(0)
        self.open_buttons.hide()
        faces = self._frame_faces()
        if faces is None:
            why = doc.problem or "faces are still being found"
            self.placeholder.setText(f"{doc.name}\n\nNo result to show: {why}.")
            return
        self.placeholder.setText(f"{doc.name}\n\nPreparing the result…")
        if doc.kind == "photo":
            regions, frame = doc.reviewed_regions(), None
        else:
            regions, frame = faces + doc.manual, self.shown_frame
        token, pixels, settings = self._view_token, self._shown, self.settings()

        def done(result: np.ndarray) -> None:
            if token == self._view_token:
                self.canvas.set_image(to_qimage(result), fit=False)
                self._result_shown = True
                self.stack.setCurrentWidget(self.canvas)

        self.engine.submit(
            lambda task: blurkit.obscure(pixels, regions, settings, frame),
            done,
            lambda exc: self._error_dialog("Cannot show the result", exc),
            URGENT,
        )

    # saving

    def save_current(self) -> None:
        doc = self.current
        if doc is None:
            return
        folder = Path(self._folder("output_folder")) if self.store.contains("output_folder") else doc.path.parent
        path, _ = QFileDialog.getSaveFileName(
            self, f"Save an anonymized copy of {doc.name}", str(folder / self._output_name(doc, 0, 1)), file_filter()
        )
        if path:
            # The dialog has already asked before replacing an existing file.
            self.save([(doc, Path(path))], overwrite=Path(path).exists())

    def save_all(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Save anonymized copies of every file into", self._folder("output_folder")
        )
        if folder:
            self.save_all_to(Path(folder))

    def save_all_to(self, folder: Path) -> Task | None:
        """Save every open file into ``folder``, named as chosen, never replacing a file."""
        taken: set[Path] = set()
        pairs = []
        for i, doc in enumerate(self.files):
            dst = free_output_path(folder, self._output_name(doc, i, len(self.files)), taken)
            taken.add(dst)
            pairs.append((doc, dst))
        return self.save(pairs, overwrite=False)

    def _output_name(self, doc: MediaFile, index: int, total: int) -> str:
        """NAME-anonymized.EXT, or the engine's random or numbered name (``blurkit.NAMINGS``)."""
        naming = self.settings_panel.naming()
        if naming == "keep":
            return doc.default_output_name()
        return blurkit.new_name(doc.path.suffix, naming, index, total)

    def save(self, pairs: list[tuple[MediaFile, Path]], overwrite: bool) -> Task | None:
        """Write the files on the worker thread, with progress and Cancel; the engine writes atomically."""
        if self._export is not None or not pairs:
            return None
        settings = self.settings()
        jobs = [(doc, dst, doc.export_arguments()) for doc, dst in pairs]
        for doc, _ in pairs:
            doc.busy = "Waiting to save…"
        scale = 1000

        def work(task: Task) -> list[tuple[MediaFile, Path, object]]:
            outcomes = []
            for i, (doc, dst, arguments) in enumerate(jobs):
                task.progressed.emit(i * scale, len(jobs) * scale)
                if task.cancel.is_set():
                    outcome: object = blurkit.Cancelled("cancelled")
                else:
                    task.partial.emit((doc, "Saving…"))

                    def progress(done: int, total: int, i: int = i) -> None:
                        task.progressed.emit(i * scale + scale * done // max(total, 1), len(jobs) * scale)

                    try:
                        outcome = blurkit.anonymize_file(
                            doc.path, dst, settings, overwrite=overwrite, progress=progress, cancel=task.cancel,
                            **arguments,
                        )  # fmt: skip
                    except Exception as exc:
                        outcome = exc
                task.partial.emit((doc, outcome))
                outcomes.append((doc, dst, outcome))
            return outcomes

        self._export = task = self.engine.submit(work, self._saved, self._save_crashed, NORMAL)
        task.partial.connect(self._save_step)
        task.progressed.connect(self._save_progress)
        self.progress.setRange(0, len(jobs) * scale)
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.cancel_button.show()
        self.status_text.setText(f"Saving {texts.plural(len(jobs), 'file')}…")
        self.store.setValue("output_folder", str(pairs[0][1].parent))
        self._refresh()
        return task

    @property
    def saving(self) -> bool:
        return self._export is not None

    def cancel_export(self) -> None:
        if self._export is not None:
            self._export.cancel.set()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Cancelling…")

    def _save_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _save_step(self, step: tuple[MediaFile, object]) -> None:
        doc, outcome = step
        doc.busy = outcome if isinstance(outcome, str) else None
        if isinstance(outcome, blurkit.FileResult):
            doc.outcome = f"Saved as {outcome.dst.name}"
        elif isinstance(outcome, blurkit.Cancelled):
            doc.outcome = "Cancelled, nothing saved"
        elif isinstance(outcome, BaseException):
            doc.outcome = f"Not saved: {texts.describe(outcome)}"
        self._refresh()

    def _export_finished(self) -> None:
        self._export = None
        self.progress.hide()
        self.cancel_button.hide()
        self.status_text.clear()
        self._update_actions()

    def _saved(self, outcomes: list[tuple[MediaFile, Path, object]]) -> None:
        self._export_finished()
        saved = [(doc, dst, r) for doc, dst, r in outcomes if isinstance(r, blurkit.FileResult)]
        failed = [
            (doc.name, r) for doc, _, r in outcomes if isinstance(r, Exception) and not isinstance(r, blurkit.Cancelled)
        ]
        cancelled = [doc.name for doc, _, r in outcomes if isinstance(r, blurkit.Cancelled)]
        photos = [(doc, r) for doc, _, r in saved if r.kind == "photo"]
        videos = [(doc, r) for doc, _, r in saved if r.kind == "video"]
        notes = [f"{doc.name}: {r.details['note']}." for doc, _, r in saved if r.details.get("note")]
        revealing = [dst.name for _, dst, _ in saved if blurkit.revealing_name(Path(dst.name))]
        if revealing:
            notes.append(
                f"{revealing[0]}{' and others' if len(revealing) > 1 else ''}: names like a camera's or a date "
                "tell when and with what a picture was taken. Choose Random or Numbered names to leave them out."
            )
        notes += [
            f"{doc.name}: the sound was kept; voices and speech are not changed."
            for doc, r in videos
            if r.details.get("audio") == "kept"
        ]
        summary = texts.export_summary(
            saved=[(doc.name, str(dst)) for doc, dst, _ in saved],
            failed=failed,
            faces=sum(r.faces for _, r in photos),
            tracks=sum(r.faces for _, r in videos),
            drawn=sum(len(doc.manual) for doc, _, _ in saved),
            left_visible=sum(len(doc.off) for doc, _ in photos if doc.detected is not None),
            unreviewed=[doc.name for doc, _, _ in saved if not doc.viewed],
            cancelled=cancelled,
            notes=notes,
        )
        if failed:
            title, icon = "Some files were not saved", QMessageBox.Icon.Warning
        elif cancelled and not saved:
            title, icon = "Cancelled: nothing was saved", QMessageBox.Icon.Information
        else:
            title, icon = ("Cancelled" if cancelled else "Saved"), QMessageBox.Icon.Information
        self.status_text.setText(title)
        self._dialog(title, summary, icon)

    def _save_crashed(self, exc: BaseException) -> None:
        self._export_finished()
        for doc in self.files:
            if doc.busy in ("Waiting to save…", "Saving…"):
                doc.busy = None
        self._refresh()
        self._error_dialog("Saving stopped", exc)

    # messages

    def _dialog(self, title: str, html: str, icon: QMessageBox.Icon) -> QMessageBox:
        """A window-modal message that does not block the event loop (the last one stays in ``last_dialog``)."""
        box = QMessageBox(icon, title, html, QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_dialog = box
        return box

    def _error_dialog(self, title: str, exc: BaseException) -> None:
        self._dialog(title, f"<p>{texts.describe(exc)}.</p><p>{texts.advice(exc)}</p>", QMessageBox.Icon.Warning)

    def show_first_run_note(self) -> None:
        self._dialog("What blurkit does", texts.FIRST_RUN, QMessageBox.Icon.Information)
        self.store.setValue("first_run_seen", True)

    def show_first_run_note_once(self) -> None:
        if not self.store.value("first_run_seen", False, type=bool):
            self.show_first_run_note()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._export is not None:
            answer = QMessageBox.question(
                self, "Saving is still running", "Stop saving and quit? The file being written is discarded."
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.engine.shutdown()
        event.accept()
