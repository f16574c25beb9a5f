"""Render the main window with a sample photo (or a video under review) to a PNG, for reviewers:
``python -m gui.render_screenshot OUT.png [PHOTO] [--preview]``, or for a video with its track timeline
``python -m gui.render_screenshot OUT.png CLIP.mp4 --frame 100 --select 9 --leave-visible 13``; with a flag in
the file list: ``python -m gui.render_screenshot OUT.png PHOTO --leave-visible 0 --save DIR --next-flagged``
(the face left visible is saved, the check of the copy still finds it, N goes there)."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from gui.main_window import MainWindow

SAMPLE = Path(__file__).resolve().parent.parent / "sample_media" / "grace_hopper.jpg"


def wait(ms: int) -> None:
    """Run the event loop for a while (QTest.qWait would hold the GIL and starve the worker thread)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_until_idle(window: MainWindow, timeout_ms: int = 60_000) -> None:
    waited = 0
    while waited < timeout_ms:
        wait(100)
        waited += 100
        if not window.engine.busy:
            wait(150)  # debounced frame loads start after a short pause
            if not window.engine.busy:
                return
    raise TimeoutError("the engine did not finish in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="PNG to write")
    parser.add_argument("media", nargs="*", type=Path, default=[SAMPLE], help="photos or videos to open")
    parser.add_argument("--preview", action="store_true", help="show the obscured result instead of the outlines")
    parser.add_argument("--size", default="1340x820", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--frame", type=int, default=0, help="video: the frame to show")
    parser.add_argument("--select", type=int, help="video: the track (id) to select, on the picture and the timeline")
    parser.add_argument(
        "--leave-visible", type=int, nargs="*", default=[], help="tracks (ids; photo: faces by index) to turn off"
    )
    parser.add_argument("--save", type=Path, help="save every file into this folder (then the copies are checked)")
    parser.add_argument("--next-flagged", action="store_true", help="then go to the first thing flagged (N)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication([])
    with tempfile.TemporaryDirectory() as config:
        window = MainWindow(QSettings(str(Path(config) / "gui.ini"), QSettings.Format.IniFormat))
        window.resize(*(int(v) for v in args.size.split("x")))
        window.show()
        window.open_paths(args.media)
        wait_until_idle(window)
        doc = window.current
        if doc is not None and doc.kind == "photo":
            for face in args.leave_visible:
                window.edit(doc, doc.review.toggled(face), "Face left visible")
        if doc is not None and doc.kind == "video":
            for track in args.leave_visible:
                window.edit(doc, doc.review.toggled(track), "Track left visible")
            if args.select is None:
                window.go_to_frame(args.frame)
            else:
                window.go_to_row(("track", args.select), args.frame)
            wait_until_idle(window)
        if args.save is not None:
            window.save_all_to(args.save)
            wait_until_idle(window, 600_000)  # the save, then the check of every copy
            window.last_dialog.close()
        if args.next_flagged:
            window.step_flagged(1)
            wait_until_idle(window)
        if args.preview:
            window.preview_action.trigger()
            wait_until_idle(window)
        window.grab().save(str(args.out))
        window.close()
    app.quit()


if __name__ == "__main__":
    main()
