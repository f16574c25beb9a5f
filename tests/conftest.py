"""Shared fixtures: sample media shipped with the project and the research data beside it."""

from __future__ import annotations

import os
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
