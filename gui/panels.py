"""Side-panel controls: how faces are covered, the colour legend, a drawn region's frames, the frame slider."""

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
from gui.canvas import COVERED, DRAWN, LEFT_VISIBLE
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
    """Mode, mask size and shape: the same ``blurkit.Settings`` the CLI and the API take."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("How faces are covered", parent)
        default = blurkit.Settings()
        self.mode = QComboBox()
        for name in blurkit.MODES:
            self.mode.addItem(name.capitalize() + (" (default)" if name == default.mode else ""), name)
        self.mode.setCurrentIndex(self.mode.findData(default.mode))
        self.mode_text = wrapped(muted=True)
        self.mask_scale = QDoubleSpinBox()
        self.mask_scale.setRange(0.5, 4.0)
        self.mask_scale.setSingleStep(0.1)
        self.mask_scale.setDecimals(2)
        self.mask_scale.setSuffix(" ×")
        self.mask_scale.setValue(default.mask_scale)
        self.mask_scale.setToolTip("Detected faces are grown by this factor to cover hair, ears and chin.")
        self.shape = QComboBox()
        for name, label in SHAPE_NAMES.items():
            self.shape.addItem(label, name)
        self.shape.setCurrentIndex(self.shape.findData(default.shape))
        self.keep_sound = QCheckBox("Keep the sound of videos")
        self.keep_sound.setChecked(default.audio == "keep")
        self.keep_sound.setToolTip(
            "Voices and speech are not changed: turn this off when a voice could identify someone."
        )
        self.names = QComboBox()
        for name, text in blurkit.NAMINGS.items():
            self.names.addItem(NAMING_LABELS[name], name)
            self.names.setItemData(self.names.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        self.names.setToolTip("Names like IMG_20240501_143211 tell when and with what a photo was taken.")
        form = QFormLayout(self)
        form.addRow("Mode", self.mode)
        form.addRow(self.mode_text)
        form.addRow("Mask size", self.mask_scale)
        form.addRow("Face shape", self.shape)
        form.addRow(self.keep_sound)
        form.addRow("Saved names", self.names)
        self.mode.currentIndexChanged.connect(self._changed)
        self.mask_scale.valueChanged.connect(self._changed)
        self.shape.currentIndexChanged.connect(self._changed)
        self.keep_sound.toggled.connect(self._changed)
        self._describe()

    def settings(self) -> blurkit.Settings:
        return blurkit.Settings(
            mode=self.mode.currentData(),
            mask_scale=round(self.mask_scale.value(), 2),
            shape=self.shape.currentData(),
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


def swatch(kind: str) -> QLabel:
    colour = {"covered": COVERED, "visible": LEFT_VISIBLE, "drawn": DRAWN}[kind]
    pixmap = QPixmap(22, 16)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = painter.pen()
    pen.setColor(colour)
    pen.setWidth(2)
    if kind == "visible":
        pen.setStyle(Qt.PenStyle.DashLine)
    painter.setPen(pen)
    fill = QColor(colour)
    fill.setAlpha(0 if kind == "visible" else 60)
    painter.setBrush(fill)
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
