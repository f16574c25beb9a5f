"""Soak the desktop app offscreen the way a reviewer uses it, painting the window for real at every step, so a
crash that needs many paints shows up in a test (issue 20: PySide6 6.12.0 drops a reference to ``None`` on
every call of a method that returns nothing, and Python before 3.12 aborts with ``Fatal Python error:
none_dealloc`` once the count reaches zero).

``python -m gui.soak zoom PHOTO [--steps N]``
    wheel-zoom steps on a photo (a crowd: one outline per face), each followed by a repaint of the picture;
``python -m gui.soak slider VIDEO [--positions N]``
    after the analysis, the frame slider dragged back and forth over the clip, the timeline and the picture
    repainted at each position, the frame loaded and its outlines drawn at every pause;
``python -m gui.soak analysis FOLDER``
    the folder opened (its first video shown), the window repainted while the video is analysed, then the
    finished analysis painted: timeline rows and outlines.

The bundle's ``blurkit-gui --soak ...`` runs the same. Each prints what it did and exits 0; it exits 1 when the
picture or timeline painted nothing, or when ``None`` lost references over the soak (Python < 3.12, where its
count is not immortal); a crash aborts the process, so callers run it in a subprocess.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QColor, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget

from gui.canvas import COVERED
from gui.main_window import MainWindow
from gui.render_screenshot import wait, wait_until_idle
from gui.timeline import BACKGROUND, BAR_ALPHA

# References to None a soak may lose before it counts as a leak: ordinary churn moves the count by a few
# hundred at most, a leaking binding by one per call (thousands here).
NONE_LOST_LIMIT = 2_000
ANALYSIS_MS = 600_000


class SoakFailed(Exception):
    pass


def none_refs() -> int | None:
    """None's reference count, where it is counted (Python 3.12 made None immortal)."""
    return sys.getrefcount(None) if sys.version_info < (3, 12) else None


def painted_share(widget: QWidget, colour: QColor) -> float:
    """The share of the widget's freshly painted pixels within a few levels of ``colour``."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    pixels = rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(int)
    target = np.array([colour.red(), colour.green(), colour.blue()])
    return float((np.abs(pixels - target).max(axis=2) <= 12).mean())


def over(colour: QColor, alpha: int, under: QColor) -> QColor:
    """``colour`` painted with ``alpha`` over ``under``."""
    mix = (colour.getRgb()[i] * alpha + under.getRgb()[i] * (255 - alpha) for i in range(3))
    return QColor(*(round(v / 255) for v in mix))


def expect_painted(widget: QWidget, colour: QColor, what: str) -> float:
    """The share of ``widget`` painted in ``colour``; none is a failed soak."""
    share = painted_share(widget, colour)
    if share <= 0:
        raise SoakFailed(f"{what} has nothing painted in {colour.name()}")
    return share


def expect_outlines(window: MainWindow, what: str) -> float:
    return expect_painted(window.canvas.viewport(), COVERED, f"{what}: the picture")


def expect_rows(window: MainWindow, what: str) -> float:
    return expect_painted(window.timeline, over(COVERED, BAR_ALPHA, BACKGROUND), f"{what}: the timeline")


def say(line: str) -> None:
    """How far the soak got, for when it crashes."""
    print(line, flush=True)


def wheel(window: MainWindow, notches: int) -> None:
    viewport = window.canvas.viewport()
    at = QPointF(viewport.width() / 2, viewport.height() / 2)
    event = QWheelEvent(
        at, viewport.mapToGlobal(at), QPoint(), QPoint(0, 120 * notches), Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(viewport, event)


def soak_zoom(window: MainWindow, photo: Path, steps: int) -> str:
    """Zoom in ten notches, out ten, again and again (through the sharp-pixel zoom and back), repainting the
    picture after each notch as the screen does."""
    window.open_paths([photo])
    wait_until_idle(window, ANALYSIS_MS)
    doc = window.current
    if not doc.detected:
        raise SoakFailed(f"zoom: no faces found in {photo.name}")
    canvas = window.canvas
    zooms = set()
    say(f"zoom: {len(doc.detected)} faces found")
    for step in range(steps):
        if step % 100 == 0:
            say(f"zoom: step {step}")
        wheel(window, 1 if step // 10 % 2 == 0 else -1)
        canvas.viewport().repaint()
        zooms.add(round(canvas.zoom(), 3))
    QApplication.processEvents()
    share = expect_outlines(window, "zoom")
    return f"zoom: {steps} steps over {len(zooms)} zoom levels, {len(doc.detected)} outlines ({share:.1%} painted)"


def soak_slider(window: MainWindow, video: Path, positions: int) -> str:
    """Drag the slider end to end and back; at each position the timeline and the picture repaint, and every
    eighth the drag pauses until that frame is on show with its outlines."""
    window.open_paths([video])
    doc = window.current
    deadline = time.monotonic() + ANALYSIS_MS / 1000
    while doc.analysis is None or window.shown_frame is None:
        if doc.problem or time.monotonic() > deadline:
            raise SoakFailed(f"slider: {video.name} was not analysed: {doc.problem}")
        wait(100)
    last = doc.video.frames - 1
    say(f"slider: {doc.name} analysed")
    sweep = [*range(last + 1), *range(last - 1, 0, -1)]
    shown = set()
    for n in range(positions):
        index = sweep[n % len(sweep)]
        if n % 100 == 0:
            say(f"slider: position {n}")
        window.video_bar.slider.setValue(index)
        window.timeline.repaint()
        window.canvas.viewport().repaint()
        QApplication.processEvents()
        if n % 8 == 7:
            shown_by = time.monotonic() + 60
            while window.shown_frame != index:
                if time.monotonic() > shown_by:
                    raise SoakFailed(f"slider: frame {index} was not shown within a minute")
                wait(10)
            window.canvas.viewport().repaint()
            shown.add(index)
    wait_until_idle(window)
    timeline = expect_rows(window, "slider")
    return (
        f"slider: {positions} positions over {last + 1} frames, {len(shown)} frames shown, "
        f"{len(doc.rows())} timeline rows ({timeline:.1%} painted)"
    )


def soak_analysis(window: MainWindow, folder: Path) -> str:
    """Open a folder, show its first video, repaint the window while the video is analysed, then paint the
    finished analysis."""
    window.open_paths([folder])
    videos = [d for d in window.files if d.kind == "video"]
    if not videos:
        raise SoakFailed(f"analysis: no video in {folder}")
    doc = videos[0]
    window.file_list.setCurrentRow(window.files.index(doc))
    deadline = time.monotonic() + ANALYSIS_MS / 1000
    repaints = 0
    while doc.analysis is None:
        if doc.problem or time.monotonic() > deadline:
            raise SoakFailed(f"analysis: {doc.name} was not analysed: {doc.problem}")
        wait(50)
        window.repaint()
        repaints += 1
        if repaints % 100 == 0:
            say(f"analysis: {doc.busy}")
    say(f"analysis: {doc.name} analysed")
    wait_until_idle(window)
    window.go_to_frame(doc.video.frames // 2)
    wait_until_idle(window)
    window.repaint()
    timeline = expect_rows(window, "analysis")
    picture = expect_outlines(window, "analysis")
    return (
        f"analysis: {doc.video.frames} frames of {doc.name} with {len(window.files)} files open, "
        f"{repaints} repaints meanwhile, {len(doc.rows())} timeline rows ({timeline:.1%} painted), "
        f"outlines ({picture:.1%} painted)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gui.soak", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="scenario", required=True)
    zoom = sub.add_parser("zoom", help="wheel-zoom steps on a photo")
    zoom.add_argument("media", type=Path)
    zoom.add_argument("--steps", type=int, default=400)
    slider = sub.add_parser("slider", help="slider positions on a video")
    slider.add_argument("media", type=Path)
    slider.add_argument("--positions", type=int, default=400)
    analysis = sub.add_parser("analysis", help="a folder with a video, analysed")
    analysis.add_argument("media", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as config:
        window = MainWindow(QSettings(str(Path(config) / "gui.ini"), QSettings.Format.IniFormat))
        window.resize(1300, 860)
        window.show()
        wait(200)
        before, started = none_refs(), time.monotonic()
        try:
            if args.scenario == "zoom":
                done = soak_zoom(window, args.media, args.steps)
            elif args.scenario == "slider":
                done = soak_slider(window, args.media, args.positions)
            else:
                done = soak_analysis(window, args.media)
        except SoakFailed as exc:
            print(f"soak failed: {exc}", file=sys.stderr)
            return 1
        finally:
            window.close()
        after = none_refs()
    app.processEvents()
    print(f"{done}; {time.monotonic() - started:.1f} s", flush=True)
    if before is not None:
        lost = before - after
        print(f"None: {before} references before, {after} after", flush=True)
        if lost > NONE_LOST_LIMIT:
            print(
                f"soak failed: None lost {lost} references (a binding drops one per call; Python < 3.12 aborts "
                "when the count reaches zero)",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
