"""Shared fixtures: sample media shipped with the project and the research data beside it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_media"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def shared_data() -> Path:
    """Research-only data beside the project; never copied into it. Skips when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture
def window(qtbot, tmp_path: Path):
    """A fresh app window with its own settings file (tests/test_gui.py keeps one per module instead)."""
    from PySide6.QtCore import QSettings

    from gui.main_window import MainWindow

    w = MainWindow(QSettings(str(tmp_path / "config" / "gui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.resize(1300, 860)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture(scope="session", autouse=True)
def close_detectors() -> Iterator[None]:
    """Close mediapipe's detectors before pytest's summary, so its native logs come before it."""
    yield
    if "blurkit.detect.mediapipe" in sys.modules:
        sys.modules["blurkit.detect.mediapipe"].close_all()
