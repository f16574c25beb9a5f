"""The desktop app soaked offscreen as a reviewer uses it, many paints long (issue 20): PySide6 6.12.0 drops a
reference to ``None`` on every call of a method that returns nothing, and Python 3.11 aborts with ``Fatal
Python error: none_dealloc`` after about thirty zoom steps on a crowd. The app's other tests paint too little
to reach it. Each soak (``gui.soak``) runs in a process of its own, so an abort is one failed test with its
message; tests/test_bundle.py runs the same soaks in the frozen app."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from synthetic_clips import crowd_photo, walking_crowd

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_media"
ZOOM_STEPS = 400
SLIDER_POSITIONS = 400
FOLDER_PHOTOS = 24


def march_folder(folder: Path) -> Path:
    """A folder as a newsroom gets it: a 12 s clip (300 frames, three shots, four faces) among two dozen photos."""
    folder.mkdir(parents=True)
    walking_crowd(folder / "march.mp4")
    for i in range(FOLDER_PHOTOS):
        source = SAMPLES / ("grace_hopper.jpg" if i % 2 else "astronaut.png")
        shutil.copy(source, folder / f"photo{i:02d}{source.suffix}")
    return folder


SOAKS = {
    "zoom": ["--steps", str(ZOOM_STEPS)],
    "slider": ["--positions", str(SLIDER_POSITIONS)],
    "analysis": [],
}


def check_soak(cmd: list, env: dict[str, str], cwd: Path, timeout: float = 600) -> str:
    """Run a soak; its output when it finished, else a failure that says how it ended and how far it got."""
    done = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        how = f"signal {signal.Signals(-done.returncode).name}" if done.returncode < 0 else f"{done.returncode}"
        fatal = re.search(r"^Fatal Python error: .*$", done.stderr, re.MULTILINE)
        reason = fatal.group(0) if fatal else (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise AssertionError(
            f"the app failed the soak (exit {how}): {reason}\n"
            f"--- how far it got:\n{done.stdout[-2000:]}\n--- stderr:\n{done.stderr[-3000:]}"
        )
    return done.stdout


def run_soak(scenario: str, media: Path) -> str:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return check_soak([sys.executable, "-m", "gui.soak", scenario, media, *SOAKS[scenario]], env, ROOT)


def test_hundreds_of_zoom_steps_on_a_crowd_photo(tmp_path: Path) -> None:
    crowd = tmp_path / "crowd.png"
    faces = crowd_photo(crowd)
    out = run_soak("zoom", crowd)
    found = re.search(rf"zoom: {ZOOM_STEPS} steps over (\d+) zoom levels, (\d+) outlines", out)
    assert found, out
    levels, outlines = map(int, found.groups())
    assert levels >= 11 and outlines >= len(faces) - 2, out


def test_hundreds_of_slider_positions_on_a_video() -> None:
    out = run_soak("slider", SAMPLES / "two_faces.mp4")
    found = re.search(rf"slider: {SLIDER_POSITIONS} positions over 75 frames, (\d+) frames shown, (\d+) timeline", out)
    assert found, out
    shown, rows = map(int, found.groups())
    assert shown >= 30 and rows >= 2, out


def test_a_long_video_analysed_in_a_folder_of_photos(tmp_path: Path) -> None:
    out = run_soak("analysis", march_folder(tmp_path / "march"))
    found = re.search(rf"analysis: 300 frames of march.mp4 with {FOLDER_PHOTOS + 1} files open, .* (\d+) timeline", out)
    assert found, out
    assert int(found.group(1)) >= 3, out  # at least one track per shot
