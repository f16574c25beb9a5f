"""The main window: its widgets and actions. Opening files (``loading``), editing the review
(``reviewing``), showing the result (``previewing``), saving (``saving``), checking the saved copies and the
report (``checking``) and the flags with their jumps (``flagging``) each live in their own module; the state
they work on is plain Python (``documents``, ``review``, ``flags``)."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QBrush, QCloseEvent, QColor, QKeySequence, QUndoGroup, QUndoStack
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
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
from gui.background import Engine, Task
from gui.canvas import Canvas
from gui.checking import Checking
from gui.documents import MediaFile
from gui.flagging import Flagging
from gui.flags import finding_frames, targets
from gui.loading import FRAME_DEBOUNCE_MS, Loading
from gui.panels import FrameRangeBox, Legend, SettingsPanel, VideoBar, side_column, wrapped
from gui.previewing import Previewing
from gui.reviewing import Reviewing
from gui.saving import Saving
from gui.timeline import HEADER_PX, ROW_PX, Timeline

PROBLEM = QBrush(QColor("#c62828"))
# Rows of the timeline shown before it scrolls.
TIMELINE_ROWS = 10


class MainWindow(Loading, Reviewing, Previewing, Saving, Checking, Flagging, QMainWindow):
    def __init__(self, store: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("blurkit: cover faces in photos and videos")
        self.setAcceptDrops(True)
        self.store = store
        self.engine = Engine(self)
        self.files: list[MediaFile] = []
        self.current: MediaFile | None = None
        self.defaults = blurkit.Settings()  # the batch's settings, where every file starts
        self.frame = 0  # the video frame chosen on the slider
        self.shown_frame: int | None = None  # the video frame whose pixels are on show
        self.selected: object = None  # the key of the outline (and timeline row) selected
        self.last_dialog: QMessageBox | None = None
        self._shown = None  # pixels of the photo or frame on show
        self._result_shown = False
        self._pixels: dict = {}
        self._loading: set = set()
        self._frame_wanted: tuple | None = None
        self._view_token = 0
        self._export: Task | None = None
        self._checking: Task | None = None  # the check of the copies just saved
        self._report: Task | None = None
        self.session: dict = {}  # output path: (MediaFile, FileResult) of every save since the start, for the report
        self._analyses: dict[MediaFile, Task] = {}  # video analyses running
        self._stacks: dict[MediaFile, QUndoStack] = {}
        self.undo_group = QUndoGroup(self)
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
        self.file_list.itemDoubleClicked.connect(self._flagged_file_chosen)
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
        self.timeline = Timeline()
        self.timeline.row_clicked.connect(self.go_to_row)
        self.timeline_area = QScrollArea()
        self.timeline_area.setWidget(self.timeline)
        self.timeline_area.setWidgetResizable(True)
        self.timeline_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.timeline_area.hide()
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.addWidget(self.hint)
        middle_layout.addWidget(self.stack, 1)
        middle_layout.addWidget(self.video_bar)
        middle_layout.addWidget(self.timeline_area)

        self.settings_panel = SettingsPanel()
        self.settings_panel.changed.connect(self._settings_changed)
        self.settings_panel.for_every_file.connect(self.use_for_every_file)
        self.range_box = FrameRangeBox()
        self.range_box.changed.connect(self._range_edited)
        self.range_box.start_here.clicked.connect(lambda: self._range_here(start=True))
        self.range_box.end_here.clicked.connect(lambda: self._range_here(start=False))
        self.range_box.hide()
        not_removed = QGroupBox("Never removed")
        QVBoxLayout(not_removed).addWidget(wrapped(blurkit.NOT_REMOVED.capitalize() + ".", muted=True))
        side = QScrollArea()
        side.setWidgetResizable(True)
        side.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the texts wrap instead
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
        self.save_report_action = a(
            "Save report…", self.save_report, "Ctrl+Shift+R",
            "Save the editor's report (as blurkit --report FILE.html writes it) of the files saved since the start",
        )  # fmt: skip
        self.reviewed_action = a(
            "Reviewed", self.set_reviewed, "Ctrl+Shift+D",
            "Mark the saved copy of this file as reviewed: remembered, and ticked in the report's sign-off",
        )  # fmt: skip
        self.reviewed_action.setCheckable(True)
        quit_action = a("Quit", self.close, QKeySequence.StandardKey.Quit)
        self.undo_action = self.undo_group.createUndoAction(self, "Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_group.createRedoAction(self, "Redo")
        self.redo_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Redo), QKeySequence("Ctrl+Shift+Z")])
        self.addActions([self.undo_action, self.redo_action])
        self.preview_action = a("Show result", self._refresh_preview, "Space", "Show the obscured result")
        self.preview_action.setCheckable(True)
        self.next_action = a("Next file", lambda: self._step_file(1), "PgDown")
        self.previous_action = a("Previous file", lambda: self._step_file(-1), "PgUp")
        self.next_frame_action = a("Next frame", lambda: self._step_frame(1), ".", "Next video frame")
        self.previous_frame_action = a("Previous frame", lambda: self._step_frame(-1), ",", "Previous video frame")
        self.next_track_action = a("Next track", lambda: self.step_track(1), "]", "Go to the next face track")
        self.previous_track_action = a("Previous track", lambda: self.step_track(-1), "[", "Previous face track")
        self.next_cut_action = a("Next cut", lambda: self.step_cut(1), "Ctrl+]", "Go to the next shot cut")
        self.previous_cut_action = a("Previous cut", lambda: self.step_cut(-1), "Ctrl+[", "Previous shot cut")
        self.next_flagged_action = a(
            "Next flagged", lambda: self.step_flagged(1), "N",
            "Go to the next face only the second look found, or one the check of a saved copy still finds",
        )  # fmt: skip
        self.previous_flagged_action = a("Previous flagged", lambda: self.step_flagged(-1), "Shift+N")
        self.toggle_action = a(
            "Leave visible / cover", self.toggle_selected, "V", "Leave the selected face (in video: its track) visible"
        )
        self.follow_action = a(
            "Follow through the shot", self.follow_selected, "F", "Track the selected drawn region through its shot"
        )
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
        for action in (
            self.open_action, self.open_folder_action, None, self.save_action, self.save_all_action,
            self.save_report_action, self.reviewed_action, None,
        ):  # fmt: skip
            menu.addSeparator() if action is None else menu.addAction(action)
        menu.addAction(quit_action)
        menu = self.menuBar().addMenu("&Edit")
        menu.addActions([self.undo_action, self.redo_action])
        menu.addSeparator()
        menu.addActions([self.select_tool, self.ellipse_tool, self.box_tool])
        menu.addSeparator()
        menu.addActions([self.toggle_action, self.follow_action, self.delete_action])
        menu = self.menuBar().addMenu("&View")
        menu.addActions([self.preview_action, self.next_action, self.previous_action])
        menu.addActions([self.next_frame_action, self.previous_frame_action])
        menu.addActions([self.next_track_action, self.previous_track_action, self.next_cut_action])
        menu.addAction(self.previous_cut_action)
        menu.addActions([self.next_flagged_action, self.previous_flagged_action])
        menu.addSeparator()
        menu.addActions([self.zoom_in_action, self.zoom_out_action, self.fit_action, self.actual_action])
        self.menuBar().addMenu("&Help").addAction(about)

        toolbar = self.addToolBar("Main")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (
            self.open_action, None, self.undo_action, self.redo_action, None, self.select_tool, self.ellipse_tool,
            self.box_tool, self.delete_action, self.follow_action, None, self.preview_action, self.fit_action,
            self.actual_action, None, self.next_flagged_action, None, self.save_action, self.save_all_action,
            self.save_report_action,
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
        key = self.canvas.selected_key()
        drawn = key is not None and key[0] in ("drawn", "followed")
        self.delete_action.setEnabled(reviewable and drawn)
        self.toggle_action.setEnabled(reviewable and key is not None and key[0] in ("face", "track"))
        video = doc is not None and doc.kind == "video" and doc.video is not None
        self.follow_action.setEnabled(reviewable and video and drawn)
        for action in (
            self.next_frame_action, self.previous_frame_action, self.next_track_action, self.previous_track_action,
            self.next_cut_action, self.previous_cut_action,
        ):  # fmt: skip
            action.setEnabled(video)
        self.next_action.setEnabled(len(self.files) > 1)
        self.previous_action.setEnabled(len(self.files) > 1)
        flagged = any(targets(doc) for doc in self.files)
        self.next_flagged_action.setEnabled(flagged)
        self.previous_flagged_action.setEnabled(flagged)
        saved = doc is not None and doc.saved is not None and bool(doc.saved.sha256)
        self.reviewed_action.setEnabled(saved)
        self.reviewed_action.blockSignals(True)
        self.reviewed_action.setChecked(saved and self.reviewed(doc.saved))
        self.reviewed_action.blockSignals(False)
        self.save_report_action.setEnabled(
            bool(self.session) and self._report is None and not self.checking and not exporting
        )

    def settings(self) -> blurkit.Settings:
        """The shown file's settings (the batch's when none is shown)."""
        return self.current.settings_or(self.defaults) if self.current else self.defaults

    def undo_stack(self, doc: MediaFile) -> QUndoStack:
        if doc not in self._stacks:
            self._stacks[doc] = QUndoStack(self.undo_group)
        return self._stacks[doc]

    # the views of the state

    def _refresh(self) -> None:
        """Bring every view of the current file up to date with its review state."""
        for row, doc in enumerate(self.files):
            item = self.file_list.item(row)
            item.setText(f"{doc.name}\n{doc.status()}")
            item.setToolTip(f"{doc.path}\n{doc.status()}")
            item.setForeground(PROBLEM if doc.problem or (doc.outcome or "").startswith("Not saved") else QBrush())
            self._show_flag(item, doc)
        doc = self.current
        if doc is None or self._shown is None:
            self.stack.setCurrentIndex(0)
            if doc is not None:
                self.placeholder.setText(f"{doc.name}\n\n{doc.status()}")
            self.open_buttons.setVisible(doc is None)
        self.hint.setVisible(doc is not None)
        self.hint.setText(self._hint())
        self._refresh_timeline()
        self._update_actions()

    def _refresh_timeline(self) -> None:
        doc = self.current
        video = doc is not None and doc.kind == "video" and doc.video is not None
        self.timeline_area.setVisible(video)
        if not video:
            return
        note = doc.problem or ("" if doc.analysis else f"{doc.busy or texts.HINT_TRACKING}")
        self.timeline.show_rows(doc.video.frames, doc.rows(), doc.cuts, note)
        self.timeline.set_frame(self.frame)
        self.timeline.set_findings(finding_frames(doc))
        self.timeline.set_selected(self.selected)
        self.timeline_area.setFixedHeight(min(self.timeline.height(), HEADER_PX + ROW_PX * TIMELINE_ROWS) + 4)

    def _hint(self) -> str:
        doc = self.current
        if doc is None:
            return texts.HINT_EMPTY
        if doc.problem:
            return f"{doc.name}: {doc.problem}"
        if not doc.found:
            return texts.HINT_TRACKING if doc.kind == "video" else texts.HINT_LOADING
        if self.preview_action.isChecked():
            return f"{doc.name}: the obscured result, as it will be saved ({doc.review_summary()}). Space goes back."
        if doc.kind == "video":
            return f"{doc.name}: {doc.review_summary()}.{self._flag_hint(doc)} {texts.HINT_VIDEO}"
        hint = texts.HINT_PHOTO if doc.detected else texts.HINT_NO_FACES
        return f"{doc.name}: {doc.review_summary()}.{self._flag_hint(doc)} {hint}"

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
        kind = type(exc).__name__
        self._dialog(title, f"<p>{texts.describe(exc)}.</p><p>{texts.advice(kind)}</p>", QMessageBox.Icon.Warning)

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
