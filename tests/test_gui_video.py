"""Reviewing video the way an editor does, driven through the app's widgets (pytest-qt, offscreen) on real
clips: the track timeline, whole tracks left visible, a region followed through its shot, undo, previews
that are the exported frames, saving beside previewing, and per-file settings. Outputs are decoded and
compared with the inputs pixel by pixel."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from synthetic_clips import Clip, FaceBox, box_changed, cut_between_people, shake
from test_gui import WAIT_MS, drag, drawn_items, face_items, on_screen, shown_pixels

import blurkit
from gui.main_window import MainWindow
from gui.timeline import HEADER_PX, ROW_PX

# analysing a whole clip (every frame detected and tracked) takes minutes on a loaded machine
ANALYSIS_MS = 600_000
CUTS_CLIP = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "video" / "tears-of-steel-cuts.mp4"


@pytest.fixture(scope="module")
def cut_clip(tmp_path_factory) -> Clip:
    """Person A (astronaut) until frame 24, then a cut to person B (Hopper)."""
    return cut_between_people(tmp_path_factory.mktemp("clips") / "cut.mp4")


def open_video(qtbot, window: MainWindow, path: Path):
    window.open_paths([path])
    doc = window.current
    qtbot.waitUntil(lambda: doc.analysis is not None and window.shown_frame == 0, timeout=ANALYSIS_MS)
    return doc


def show_frame(qtbot, window: MainWindow, frame: int) -> None:
    window.go_to_frame(frame)
    qtbot.waitUntil(lambda: window.shown_frame == frame, timeout=WAIT_MS)


def click_row(window: MainWindow, row: int, frame: int) -> None:
    point = QPoint(round(window.timeline.x_of(frame)), HEADER_PX + row * ROW_PX + ROW_PX // 2)
    QTest.mouseClick(window.timeline, Qt.MouseButton.LeftButton, pos=point)


def key(window: MainWindow, text: str) -> None:
    """Press a shortcut as the user would (e.g. "Ctrl+Z", "]")."""
    combo = QKeySequence(text)[0]
    QTest.keyClick(window, combo.key(), combo.keyboardModifiers())


def result_on_screen(qtbot, window: MainWindow) -> np.ndarray:
    """Space on, the engine's result as shown, Space off."""
    key(window, "Space")
    qtbot.waitUntil(lambda: window._result_shown, timeout=WAIT_MS)
    pixels = shown_pixels(window)
    key(window, "Space")
    return pixels


def save(qtbot, window: MainWindow, folder: Path) -> Path:
    window.save_all_to(folder)
    qtbot.waitUntil(lambda: not window.saving, timeout=WAIT_MS)
    [written] = folder.iterdir()
    return written


def test_timeline_jumps_selects_and_leaves_a_whole_track_visible_with_undo(qtbot, window, cut_clip, tmp_path):
    doc = open_video(qtbot, window, cut_clip.path)
    a, b = (t.track_id for t in sorted(doc.tracks(), key=lambda t: t.frames))
    timeline = window.timeline
    assert window.timeline_area.isVisible()
    assert [(r.key, r.first, r.last) for r in timeline.rows] == [(("track", a), 0, 23), (("track", b), 24, 47)]
    assert timeline.cuts == [0, 24]

    # A click on a row goes to the frame clicked and selects that track on the picture.
    click_row(window, 1, 36)
    qtbot.waitUntil(lambda: window.shown_frame == 36, timeout=WAIT_MS)
    assert window.canvas.selected_key() == ("track", b) and timeline.selected == ("track", b)
    # Keys: previous track (its first frame), next cut, previous cut.
    key(window, "[")
    qtbot.waitUntil(lambda: window.shown_frame == 0, timeout=WAIT_MS)
    assert window.canvas.selected_key() == ("track", a)
    key(window, "Ctrl+]")
    qtbot.waitUntil(lambda: window.shown_frame == 24, timeout=WAIT_MS)
    key(window, "Ctrl+[")
    qtbot.waitUntil(lambda: window.shown_frame == 0, timeout=WAIT_MS)

    # V leaves the selected track visible: on the picture, on the timeline, in the file list; undo, redo.
    key(window, "V")
    assert doc.off == {a}
    assert [i.kind for i in face_items(window)] == ["visible"] and timeline.rows[0].off
    assert window.file_list.item(0).text().endswith(" · 1 off") and "2 face tracks · 1 off" in window.hint.text()
    key(window, "Ctrl+Z")
    assert doc.off == set() and not timeline.rows[0].off and [i.kind for i in face_items(window)] == ["covered"]
    key(window, "Ctrl+Shift+Z")
    assert doc.off == {a}

    written = save(qtbot, window, tmp_path / "out")
    for i in (0, 12, 23, 24, 40, 47):
        before, after = blurkit.read_video_frame(cut_clip.path, i), blurkit.read_video_frame(written, i)
        [face] = cut_clip.faces[i]
        changed = box_changed(before, after, face)
        assert changed < 0.02 if i < 24 else changed > 0.95, f"frame {i}: {changed:.2f} of the face changed"
    assert "1 face track you turned off was left visible" in window.last_dialog.text()


def test_a_region_is_followed_through_its_shot_corrected_and_undone(qtbot, window, tmp_path):
    clip = shake(tmp_path / "shake.mp4")
    doc = open_video(qtbot, window, clip.path)
    show_frame(qtbot, window, 20)
    face = clip.faces[20][0]
    key(window, "R")
    drag(window, (face.x0, face.y0), (face.x1, face.y1))
    assert [r.frames for r in doc.review.drawn] == [(0, 47)]
    key(window, "F")
    qtbot.waitUntil(lambda: bool(doc.review.followed), timeout=WAIT_MS)
    [follow] = doc.review.followed
    assert doc.review.drawn == () and (follow.first, follow.last) == (0, 47)
    assert window.timeline.rows[-1].key == ("followed", follow.track_id) and window.timeline.rows[-1].marks == (20,)
    assert min(iou(follow.at(i), clip.faces[i][0]) for i in range(48)) > 0.8  # it moves with the shaking camera

    # Dragged on frame 40 it gets a keyframe there and is followed again: it meets the correction exactly.
    show_frame(qtbot, window, 40)
    [item] = drawn_items(window)
    assert item.key == ("followed", follow.track_id)
    centre = item.rect.center()
    key(window, "Esc")
    drag(window, (centre.x(), centre.y()), (centre.x() + 16, centre.y()))
    qtbot.waitUntil(lambda: len(doc.review.followed[0].keyframes) == 2, timeout=WAIT_MS)
    corrected = doc.review.followed[0]
    assert corrected.at(40).x0 == pytest.approx(follow.at(40).x0 + 16, abs=1.5)
    assert corrected.at(10).x0 == pytest.approx(follow.at(10).x0, abs=0.01)
    assert window.timeline.rows[-1].marks == (20, 40)
    key(window, "Ctrl+Z")
    assert doc.review.followed == (follow,)
    key(window, "Ctrl+Z")
    assert doc.review.followed == () and len(doc.review.drawn) == 1
    key(window, "Ctrl+Shift+Z")
    key(window, "Ctrl+Shift+Z")
    assert doc.review.followed == (corrected,)


def iou(r: blurkit.Region, box: FaceBox) -> float:
    ix = max(0.0, min(r.x1, box.x1) - max(r.x0, box.x0))
    iy = max(0.0, min(r.y1, box.y1) - max(r.y0, box.y0))
    return ix * iy / (r.width * r.height + (box.x1 - box.x0) * (box.y1 - box.y0) - ix * iy)


@pytest.mark.parametrize("which", ["synthetic", "tears-of-steel"])
def test_a_previewed_frame_is_the_frame_saved(qtbot, window, cut_clip, tmp_path, which):
    """What Space shows for a frame is the decoded saved frame, up to the codec's error: the same engine
    function, the same tracked regions, the same obscuring state. Pixelate (cells kept from a face's first
    frame) on the synthetic clip with a face drawn and followed; the default erase on the film with cuts."""
    if which == "tears-of-steel" and not CUTS_CLIP.is_file():
        pytest.skip("../shared/data is not present")
    path = cut_clip.path if which == "synthetic" else CUTS_CLIP
    doc = open_video(qtbot, window, path)
    if which == "synthetic":
        window.settings_panel.mode.setCurrentIndex(window.settings_panel.mode.findData("pixelate"))
        show_frame(qtbot, window, 30)
        key(window, "E")
        drag(window, (20, 270), (150, 350))
        key(window, "F")
        qtbot.waitUntil(lambda: bool(doc.review.followed), timeout=WAIT_MS)
        frames = [40, 30]
    else:
        # frames well inside a track, where the preview cannot simply start afresh
        frames = [i for i in (150, 100, 40) if any(r.frames[0] > 5 for r in doc.faces_at(i))] or [100]
        assert doc.cuts[:4] == [0, 21, 65, 185]
        assert [r.key for r in window.timeline.rows] == [r.key for r in doc.rows()] and len(doc.rows()) >= 20
    previews = {}
    for i in frames:
        show_frame(qtbot, window, i)
        previews[i] = result_on_screen(qtbot, window)
    written = save(qtbot, window, tmp_path / "out")
    settings = window.settings()
    for i, preview in previews.items():
        original, saved = blurkit.read_video_frame(path, i), blurkit.read_video_frame(written, i)
        height, width = original.shape[:2]
        masks = blurkit.mask_regions(doc.regions_at(i), settings, width, height, i)
        covered = np.zeros((height, width), bool)
        for m in masks:
            x0, y0 = max(int(m.x0) - 8, 0), max(int(m.y0) - 8, 0)
            covered[y0 : max(int(m.y1) + 8, 0), x0 : max(int(m.x1) + 8, 0)] = True
        codec = np.abs(original.astype(int) - saved)[~covered].mean()  # what encoding alone changed
        error = np.abs(preview.astype(int) - saved)
        assert error.mean() < codec + 0.3, f"frame {i}: {error.mean():.2f} against the codec's {codec:.2f}"
        assert error[covered].mean() < 2 * codec + 1, f"frame {i}: {error[covered].mean():.2f} where it is covered"
        assert np.abs(preview.astype(int) - original)[covered].mean() > 10  # and covered it is


def test_saving_does_not_hold_up_previews(qtbot, window, cut_clip, tmp_path, monkeypatch):
    doc = open_video(qtbot, window, cut_clip.path)
    release, started = threading.Event(), threading.Event()
    run_batch = blurkit.run_batch

    def slow_batch(*args, **kwargs):
        started.set()
        assert release.wait(WAIT_MS / 1000)
        return run_batch(*args, **kwargs)

    monkeypatch.setattr(blurkit, "run_batch", slow_batch)
    window.save_all_to(tmp_path / "out")
    qtbot.waitUntil(started.is_set, timeout=WAIT_MS)
    show_frame(qtbot, window, 30)  # a frame decoded while the video is being saved
    preview = result_on_screen(qtbot, window)
    assert window.saving and preview.shape == (360, 640, 3)
    release.set()
    qtbot.waitUntil(lambda: not window.saving, timeout=WAIT_MS)
    assert doc.outcome == "Saved as cut-anonymized.mp4"


def test_settings_are_per_file_from_the_batch_with_sensitivity_and_scale(qtbot, window, samples, tmp_path):
    window.open_paths([samples / "grace_hopper.jpg", samples / "astronaut.png"])
    hopper = window.current
    qtbot.waitUntil(lambda: hopper.detected is not None, timeout=WAIT_MS)
    panel = window.settings_panel
    texts = [label.text() for label in panel.findChildren(type(panel.scope))]
    assert any("Lower finds more faces" in t for t in texts) and any("smaller faces" in t for t in texts)
    assert panel.form.isRowVisible(panel.photo_scale) and not panel.form.isRowVisible(panel.video_size)
    found = len(hopper.detected)
    assert min(r.score for r in hopper.detected) < 0.5  # the default sensitivity finds faint things too

    # A stricter sensitivity for this photo only: its faces are found again with it.
    panel.threshold.setValue(0.5)
    assert hopper.settings.threshold == 0.5 and window.defaults.threshold == 0.13
    qtbot.waitUntil(lambda: hopper.detected is not None and not window.engine.busy, timeout=WAIT_MS)
    assert 0 < len(hopper.detected) < found and min(r.score for r in hopper.detected) >= 0.5
    assert "settings of its own" in panel.scope.text()
    key(window, "PgDown")
    astronaut = window.current
    assert astronaut.settings is None and panel.threshold.value() == pytest.approx(0.13)
    # Undo is per file: a face turned off and a region drawn here, undone here, the other file untouched.
    qtbot.waitUntil(lambda: astronaut.detected is not None and bool(face_items(window)), timeout=WAIT_MS)
    face = max(face_items(window), key=lambda i: i.rect.width())
    centre = face.rect.center()
    QTest.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=on_screen(window, centre.x(), centre.y()))
    key(window, "R")
    drag(window, (20, 300), (120, 400))
    assert astronaut.off == {face.key[1]} and len(astronaut.manual) == 1
    key(window, "Ctrl+Z")
    key(window, "Ctrl+Z")
    assert astronaut.off == set() and astronaut.manual == []
    key(window, "Ctrl+Z")  # nothing more to undo in this file
    assert hopper.settings.threshold == 0.5

    # "Use for every file" makes the shown settings the batch's.
    panel.mode.setCurrentIndex(panel.mode.findData("fill"))
    panel.every_file.click()
    assert window.defaults.mode == "fill" and hopper.settings is None and astronaut.settings is None
    assert "every file" in panel.scope.text()
    qtbot.waitUntil(lambda: hopper.detected is not None and not window.engine.busy, timeout=WAIT_MS)
    assert len(hopper.detected) == found  # the batch's sensitivity again
