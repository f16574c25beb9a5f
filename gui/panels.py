"""Side-panel controls: a file's settings, the colour legend, a drawn region's frames, the frame slider."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import blurkit
from gui.canvas import COLOURS
from gui.documents import format_time
from gui.texts import LEGEND

SHAPE_NAMES = {"ellipse": "Ellipse", "box": "Rectangle"}
NAMING_LABELS = {"keep": "Original name + “-anonymized”", "random": "Random", "sequential": "Numbered 0001, 0002…"}


def wrapped(text: str = "", muted: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if muted:
        label.setStyleSheet("color: palette(placeholder-text);")
    return label


class SettingsPanel(QGroupBox):
    """The shown file's settings: the same ``blurkit.Settings`` the CLI and the API take. A file starts with
    the batch's; a change applies to that file only, until "Use for every file" makes them the batch's."""

    changed = Signal()
    for_every_file = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Settings for this file", parent)
        default = self._base = blurkit.Settings()
        self.scope = wrapped(muted=True)
        self.mode = narrow(QComboBox())
        for name in blurkit.MODES:
            self.mode.addItem(name.capitalize() + (" (default)" if name == default.mode else ""), name)
        self.mode_text = wrapped(muted=True)
        self.mask_scale = setting_spin("mask_scale", " ×")
        self.shape = narrow(QComboBox())
        for name, label in SHAPE_NAMES.items():
            self.shape.addItem(label, name)
        self.threshold = setting_spin("threshold", "")
        self.photo_scale = setting_spin("scales", " ×")
        self.video_size = setting_spin("detect_megapixels", " MP")
        self.keep_sound = QCheckBox("Keep the sound of videos")
        self.keep_sound.setToolTip(
            "Voices and speech are not changed: turn this off when a voice could identify someone."
        )
        self.every_file = QPushButton("Use for every file")
        self.every_file.setToolTip("Make these the settings of every open file, and of files opened later.")
        self.every_file.clicked.connect(self.for_every_file)
        self.names = narrow(QComboBox())
        for name, text in blurkit.NAMINGS.items():
            self.names.addItem(NAMING_LABELS[name], name)
            self.names.setItemData(self.names.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        self.names.setToolTip("Names like IMG_20240501_143211 tell when and with what a photo was taken.")
        self.form = form = QFormLayout(self)
        form.addRow(self.scope)
        form.addRow("Mode", self.mode)
        form.addRow(self.mode_text)
        form.addRow("Mask size", self.mask_scale)
        form.addRow("Face shape", self.shape)
        form.addRow("Sensitivity", self.threshold)
        form.addRow(wrapped("Lower finds more faces, and more things that are not faces.", muted=True))
        form.addRow("Search scale", self.photo_scale)
        self.photo_scale_text = wrapped("Larger finds smaller faces (a crowd far away), and takes longer.", muted=True)
        form.addRow(self.photo_scale_text)
        form.addRow("Search size", self.video_size)
        self.video_size_text = wrapped("More finds smaller faces in video, and takes longer.", muted=True)
        form.addRow(self.video_size_text)
        form.addRow(self.keep_sound)
        form.addRow(self.every_file)
        form.addRow("Saved names", self.names)
        self.show_settings(default, "photo", own=False)
        for box in (self.mode, self.shape):
            box.currentIndexChanged.connect(self._changed)
        for number in (self.mask_scale, self.threshold, self.photo_scale, self.video_size):
            number.valueChanged.connect(self._changed)
        self.keep_sound.toggled.connect(self._changed)

    def show_settings(self, settings: blurkit.Settings, kind: str, own: bool) -> None:
        """Show ``settings`` (a ``kind`` file's; ``own`` when it no longer follows the batch's)."""
        self._base = settings
        widgets = (self.mode, self.shape, self.mask_scale, self.threshold, self.photo_scale, self.video_size)
        for widget in (*widgets, self.keep_sound):
            widget.blockSignals(True)
        self.mode.setCurrentIndex(self.mode.findData(settings.mode))
        self.shape.setCurrentIndex(self.shape.findData(settings.shape))
        self.mask_scale.setValue(settings.mask_scale)
        self.threshold.setValue(settings.threshold)
        self.photo_scale.setValue(max(settings.scales))
        self.video_size.setValue(settings.detect_megapixels)
        self.keep_sound.setChecked(settings.audio == "keep")
        for widget in (*widgets, self.keep_sound):
            widget.blockSignals(False)
        for row in (self.photo_scale, self.photo_scale_text):
            self.form.setRowVisible(row, kind == "photo")
        for row in (self.video_size, self.video_size_text, self.keep_sound):
            self.form.setRowVisible(row, kind == "video")
        self.scope.setText("This file has settings of its own." if own else "The settings of every file.")
        self._describe()

    def settings(self) -> blurkit.Settings:
        scale = round(self.photo_scale.value(), 2)
        return self._base.with_(
            mode=self.mode.currentData(),
            mask_scale=round(self.mask_scale.value(), 2),
            shape=self.shape.currentData(),
            threshold=round(self.threshold.value(), 2),
            scales=(1.0,) if scale == 1.0 else (1.0, scale),
            detect_megapixels=round(self.video_size.value(), 1),
            audio="keep" if self.keep_sound.isChecked() else "drop",
        )

    def naming(self) -> str:
        """How saved copies are named: one of ``blurkit.NAMINGS``."""
        return self.names.currentData()

    def _describe(self) -> None:
        name = self.mode.currentData()
        self.mode_text.setText(f"{name.capitalize()}: {blurkit.MODES[name]}")

    def _changed(self) -> None:
        self._describe()
        self.changed.emit()


def narrow(box: QComboBox) -> QComboBox:
    """A combo box that does not widen the side panel to its longest entry."""
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(12)
    return box


def setting_spin(name: str, suffix: str) -> QDoubleSpinBox:
    """A number box for one of ``blurkit.Settings``: its range, step and help come from the setting's
    declaration, as the command line's do."""
    meta = next(f.metadata for f in blurkit.setting_fields() if f.name == name)
    box = QDoubleSpinBox()
    box.setRange(*meta["between"])
    box.setSingleStep(meta["step"])
    box.setDecimals(2)
    box.setSuffix(suffix)
    help = meta["help"]
    box.setToolTip(help[0].upper() + help[1:] + ".")
    return box


def swatch(kind: str) -> QLabel:
    colour = COLOURS[kind]
    pixmap = QPixmap(22, 16)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = painter.pen()
    pen.setColor(colour)
    pen.setWidth(2)
    if kind in ("visible", "finding"):
        pen.setStyle(Qt.PenStyle.DashLine)
    painter.setPen(pen)
    fill = QColor(colour)
    fill.setAlpha(0 if kind in ("visible", "finding") else 60)
    painter.setBrush(fill)
    if kind == "finding":
        painter.drawRect(3, 2, 16, 12)
    else:
        painter.drawEllipse(2, 2, 18, 12)
    painter.end()
    label = QLabel()
    label.setPixmap(pixmap)
    label.setAlignment(Qt.AlignmentFlag.AlignTop)
    return label


class Legend(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("On the picture", parent)
        grid = QGridLayout(self)
        grid.setColumnStretch(1, 1)
        for row, (kind, text) in enumerate(LEGEND):
            grid.addWidget(swatch(kind), row, 0)
            grid.addWidget(wrapped(text), row, 1)


class FrameRangeBox(QGroupBox):
    """The frames a drawn region covers in a video (inclusive); numbered from 1 on screen, from 0 in regions."""

    changed = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Selected region covers frames", parent)
        self.first = QSpinBox()
        self.last = QSpinBox()
        self.start_here = QPushButton("Start at this frame")
        self.end_here = QPushButton("End at this frame")
        grid = QGridLayout(self)
        grid.addWidget(QLabel("From"), 0, 0)
        grid.addWidget(self.first, 0, 1)
        grid.addWidget(QLabel("to"), 0, 2)
        grid.addWidget(self.last, 0, 3)
        grid.addWidget(self.start_here, 1, 0, 1, 2)
        grid.addWidget(self.end_here, 1, 2, 1, 2)
        self.first.valueChanged.connect(self._edited)
        self.last.valueChanged.connect(self._edited)

    def show_range(self, frames: tuple[int, int], total: int) -> None:
        for box, value in ((self.first, frames[0]), (self.last, frames[1])):
            box.blockSignals(True)
            box.setRange(1, max(total, 1))
            box.setValue(value + 1)
            box.blockSignals(False)

    def _edited(self) -> None:
        self.changed.emit(self.first.value() - 1, self.last.value() - 1)


class VideoBar(QWidget):
    """A frame slider with the frame number and time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Frame to check (Left/Right step one frame when the slider has focus)")
        self.position = QLabel()
        self.position.setMinimumWidth(190)
        self.position.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(QLabel("Frame"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.position)

    def set_video(self, frames: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(frames - 1, 0))
        self.slider.setValue(0)
        self.slider.blockSignals(False)

    def show_position(self, index: int, frames: int, fps: float) -> None:
        seconds = index / fps if fps else 0.0
        self.position.setText(f"{index + 1} / {frames}  ·  {format_time(seconds)}")


def side_column(*widgets: QWidget) -> QWidget:
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    layout.addStretch(1)
    return column
