"""The desktop app driven through its real widgets (pytest-qt, offscreen), on the shipped sample photos.

Outputs are decoded and compared pixel by pixel with the input: what the user
turned off is untouched, what stays on and what they drew is gone, and nothing
of the input's metadata survives.
"""

from __future__ import annotations

import html
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from photo_fixtures import load_rgb, save_ink
from PIL import Image, PngImagePlugin
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent, QImage, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

import blurkit
from gui import app
from gui.canvas import DrawnItem, FaceItem
from gui.main_window import MainWindow

WAIT_MS = 60_000
HOPPER_WIDTH = 512  # grace_hopper.jpg is 512x600; astronaut.png (512x512) sits to its right


@pytest.fixture
def store(tmp_path: Path) -> QSettings:
    """The app's remembered folders and first-run flag, kept away from the user's own config."""
    return QSettings(str(tmp_path / "config" / "blurkit-gui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, store: QSettings) -> MainWindow:
    w = MainWindow(store)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def two_faces(tmp_path: Path, samples: Path) -> Path:
    """Two sample portraits side by side in a PNG that carries EXIF (with GPS) and text chunks."""
    left = np.asarray(Image.open(samples / "grace_hopper.jpg").convert("RGB"))
    right = np.asarray(Image.open(samples / "astronaut.png").convert("RGB"))
    canvas = np.zeros((600, 1024, 3), np.uint8)
    canvas[:, :HOPPER_WIDTH] = left
    canvas[:512, HOPPER_WIDTH:] = right
    image = Image.fromarray(canvas)
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}  # GPS
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "taken at the march by J. Doe")
    path = tmp_path / "in" / "march.png"
    path.parent.mkdir()
    image.save(path, exif=exif, pnginfo=text)
    return path


def open_and_wait(qtbot, window: MainWindow, *paths: Path) -> None:
    window.open_paths(paths)
    qtbot.waitUntil(lambda: window.current is not None and window.current.detected is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.engine.busy, timeout=WAIT_MS)


def face_items(window: MainWindow) -> list[FaceItem]:
    return sorted((i for i in window.canvas.scene().items() if isinstance(i, FaceItem)), key=lambda i: i.key)


def drawn_items(window: MainWindow) -> list[DrawnItem]:
    return [i for i in window.canvas.scene().items() if isinstance(i, DrawnItem)]


def face_index(regions: list, left: float = 0, right: float = float("inf")) -> int:
    """The most confident detection whose centre lies between ``left`` and ``right``: the
    portrait's face (the detector may also flag a cap badge, as it should when unsure)."""
    inside = [i for i, r in enumerate(regions) if left <= r.center[0] < right]
    return max(inside, key=lambda i: regions[i].score)


def faces_label(n: int) -> str:
    return f"{n} face" + ("s" if n != 1 else "")


def on_screen(window: MainWindow, x: float, y: float) -> QPoint:
    return window.canvas.mapFromScene(QPointF(x, y))


def drag(window: MainWindow, start: tuple[float, float], end: tuple[float, float]) -> None:
    viewport = window.canvas.viewport()
    a, b = on_screen(window, *start), on_screen(window, *end)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    for t in (0.25, 0.5, 0.75, 1.0):
        QTest.mouseMove(viewport, a + (b - a) * t)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)


def shown_pixels(window: MainWindow) -> np.ndarray:
    image = window.canvas.shown_image().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()  # before image is freed


def test_open_photo_shows_detected_regions(qtbot, window: MainWindow, samples: Path) -> None:
    open_and_wait(qtbot, window, samples / "grace_hopper.jpg", samples / "astronaut.png")
    doc = window.current
    assert doc.path.name == "grace_hopper.jpg"
    face = face_index(doc.detected)
    items = face_items(window)
    assert len(items) == len(doc.detected)
    item = items[face]
    assert all(i.isVisible() and i.kind == "covered" for i in items)
    # Drawn where the engine will mask: the detection grown by the mask size.
    [mask] = blurkit.mask_regions([doc.detected[face]], window.settings(), 512, 600)
    assert item.rect.getCoords() == pytest.approx((mask.x0, mask.y0, mask.x1, mask.y1))
    assert window.file_list.item(0).text().endswith(faces_label(len(doc.detected)))
    assert window.file_list.item(1).text().endswith("Not checked")

    # PgDown goes to the next file, which is then checked too.
    QTest.keyClick(window, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: window.current.path.name == "astronaut.png" and window.current.detected is not None)
    assert window.file_list.item(1).text().endswith(faces_label(len(window.current.detected)))

    # A larger mask size redraws the outline at once.
    window.settings_panel.mask_scale.setValue(2.0)
    face = face_index(window.current.detected)
    item = face_items(window)[face]
    assert item.rect.width() == pytest.approx(window.current.detected[face].width * 2.0)


def test_review_and_export_photo(qtbot, window: MainWindow, two_faces: Path, tmp_path: Path) -> None:
    original_bytes = two_faces.read_bytes()
    open_and_wait(qtbot, window, two_faces)
    doc = window.current
    hopper = face_index(doc.detected, right=HOPPER_WIDTH)
    astronaut = face_index(doc.detected, left=HOPPER_WIDTH)
    assert [r for r in doc.detected if r.center[0] >= HOPPER_WIDTH] == [doc.detected[astronaut]]

    # Click the astronaut's face: turned off, drawn dashed red.
    cx, cy = doc.detected[astronaut].center
    QTest.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=on_screen(window, cx, cy))
    assert doc.off == {astronaut}
    assert face_items(window)[astronaut].kind == "visible"
    assert window.file_list.item(0).text().endswith(f"{faces_label(len(doc.detected))} · 1 off")

    # Draw a rectangle over Hopper's name tag, then move it a little.
    QTest.keyClick(window, Qt.Key.Key_R)
    assert window.box_tool.isChecked()
    drag(window, (60, 480), (170, 520))
    [drawn] = doc.manual
    assert drawn.source == "manual" and drawn.shape == "box"
    assert (drawn.x0, drawn.y0, drawn.x1, drawn.y1) == pytest.approx((60, 480, 170, 520), abs=2)
    QTest.keyClick(window, Qt.Key.Key_Escape)
    assert window.select_tool.isChecked()
    drag(window, (115, 500), (125, 505))
    [drawn] = doc.manual
    assert (drawn.x0, drawn.y0, drawn.x1, drawn.y1) == pytest.approx((70, 485, 180, 525), abs=2)
    assert len(drawn_items(window)) == 1

    # Space shows the result as it will be saved, without outlines.
    original = blurkit.load_photo(two_faces).pixels
    QTest.keyClick(window, Qt.Key.Key_Space)
    assert window.preview_action.isChecked()
    qtbot.waitUntil(lambda: window._result_shown, timeout=WAIT_MS)
    preview = shown_pixels(window)
    assert not any(item.isVisible() for item in face_items(window))
    hx, hy = (int(v) for v in doc.detected[hopper].center)
    assert (
        np.abs(
            preview[hy - 20 : hy + 20, hx - 20 : hx + 20].astype(int) - original[hy - 20 : hy + 20, hx - 20 : hx + 20]
        ).mean()
        > 20
    )
    np.testing.assert_array_equal(preview[:, HOPPER_WIDTH:], original[:, HOPPER_WIDTH:])
    QTest.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not window._result_shown)

    # Save all, into a folder where a file of that name already exists: it is kept.
    out = tmp_path / "out"
    out.mkdir()
    (out / "march-anonymized.png").write_bytes(b"someone else's file")
    window.save_all_to(out)
    qtbot.waitUntil(lambda: not window.saving, timeout=WAIT_MS)
    assert (out / "march-anonymized.png").read_bytes() == b"someone else's file"
    written = out / "march-anonymized-2.png"
    assert sorted(p.name for p in out.iterdir()) == ["march-anonymized-2.png", "march-anonymized.png"]
    assert two_faces.read_bytes() == original_bytes

    with Image.open(written) as im:
        assert not im.getexif()
        assert not {"exif", "Comment", "icc_profile", "XML:com.adobe.xmp"} & set(im.info)
        assert not getattr(im, "text", {})
        result = np.asarray(im.convert("RGB"))
    # The face left on is gone: the detector no longer finds it, and its pixels changed.
    [hopper_mask] = blurkit.mask_regions([doc.detected[hopper]], window.settings(), 1024, 600)
    x0, y0, x1, y1 = (int(v) for v in (hopper_mask.x0, hopper_mask.y0, hopper_mask.x1, hopper_mask.y1))
    assert not [r for r in blurkit.detect_faces(result) if x0 < r.center[0] < x1 and y0 < r.center[1] < y1]
    inner = np.s_[y0 + (y1 - y0) // 4 : y1 - (y1 - y0) // 4, x0 + (x1 - x0) // 4 : x1 - (x1 - x0) // 4]
    assert (np.abs(result[inner].astype(int) - original[inner]).max(axis=2) > 8).mean() > 0.9
    # The drawn rectangle is covered exactly where it was drawn.
    tag = np.s_[int(drawn.y0) + 2 : int(drawn.y1) - 2, int(drawn.x0) + 2 : int(drawn.x1) - 2]
    assert np.abs(result[tag].astype(int) - original[tag]).mean() > 20
    # The face turned off is untouched, pixel for pixel, with everything else on its side.
    np.testing.assert_array_equal(result[:, HOPPER_WIDTH:], original[:, HOPPER_WIDTH:])

    summary = window.last_dialog.text()
    assert f"{faces_label(len(doc.detected) - 1)} obscured in photos" in summary and "1 region you drew" in summary
    assert "1 face you turned off was left visible" in summary
    assert "GPS location" in summary and "tattoos" in summary
    assert window.file_list.item(0).text().endswith("Saved as march-anonymized-2.png")
    assert window.store.value("output_folder") == str(out)


def test_drop_unreadable_and_unsupported_files(qtbot, window: MainWindow, samples: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes((samples / "grace_hopper.jpg").read_bytes()[:300])
    notes = tmp_path / "notes.txt"
    notes.write_text("not media")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in (broken, notes, samples / "astronaut.png")])
    drop = QDropEvent(
        QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(drop)
    assert [f.name for f in window.files] == ["broken.jpg", "astronaut.png"]
    assert "notes.txt" in window.last_dialog.text()

    qtbot.waitUntil(lambda: window.current.problem is not None, timeout=WAIT_MS)
    assert window.last_dialog.windowTitle() == "Cannot open broken.jpg"
    assert "Traceback" not in window.last_dialog.text()
    assert "\nProblem: " in window.file_list.item(0).text()
    assert window.store.value("last_folder") == str(tmp_path)

    out = tmp_path / "out"
    window.save_all_to(out)
    qtbot.waitUntil(lambda: not window.saving, timeout=WAIT_MS)
    assert [p.name for p in out.iterdir()] == ["astronaut-anonymized.png"]
    summary = window.last_dialog.text()
    assert "Not saved" in summary and "broken.jpg" in summary
    # astronaut.png was never shown: the summary says it was saved unreviewed.
    assert "without your review" in summary and "astronaut.png" in summary


def test_first_run_note_once_and_folders_remembered(qtbot, store: QSettings, samples: Path, tmp_path: Path) -> None:
    folder = tmp_path / "phone"
    (folder / "DCIM").mkdir(parents=True)
    shutil.copy(samples / "astronaut.png", folder / "DCIM" / "a.png")
    shutil.copy(samples / "grace_hopper.jpg", folder / "b.jpg")
    (folder / ".b.jpg").write_bytes(b"hidden")
    (folder / "notes.txt").write_text("not media")
    first = MainWindow(store)
    qtbot.addWidget(first)
    first.show_first_run_note_once()
    assert "does not remove" in first.last_dialog.text()
    first.open_paths([folder])
    # found as the engine's batch finds them (blurkit.list_media): sorted, hidden files and other files left out
    assert [f.path.relative_to(folder).as_posix() for f in first.files] == ["DCIM/a.png", "b.jpg"]
    first.close()

    second = MainWindow(QSettings(store.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    second.show_first_run_note_once()
    assert second.last_dialog is None
    assert second.store.value("last_folder") == str(folder)


SIGN = (20, 270, 150, 350)  # where the video test draws a region: background, clear of both faces
CONFIDENT = 0.5  # detector score of the clip's two real faces (the default threshold also finds tiny specks)


def covered(before: np.ndarray, after: np.ndarray, region: blurkit.Region) -> float:
    """Mean change over the middle half of a region."""
    w, h = region.width / 4, region.height / 4
    inner = np.s_[int(region.y0 + h) : int(region.y1 - h), int(region.x0 + w) : int(region.x1 - w)]
    return float(np.abs(after[inner].astype(int) - before[inner]).mean())


def test_video_preview_cancel_and_save(qtbot, window: MainWindow, samples: Path, tmp_path: Path) -> None:
    clip = samples / "two_faces.mp4"
    frames = blurkit.probe_video(clip).frames
    window.open_paths([clip])
    doc = window.current
    # the engine's analysis (a dry run) gives the tracked faces of every frame
    qtbot.waitUntil(lambda: doc.analysis is not None and window.shown_frame == 0, timeout=WAIT_MS)
    assert window.video_bar.isVisible()
    assert window.video_bar.slider.maximum() == frames - 1
    hopper = max(face_items(window), key=lambda i: i.rect.width())  # the astronaut has not entered yet
    assert hopper.key[0] == "track"
    # a click leaves the face's whole track visible; Ctrl+Z covers it again
    centre = hopper.rect.center()
    QTest.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=on_screen(window, centre.x(), centre.y()))
    assert doc.off == {hopper.key[1]}
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.off == set()

    # The slider shows the tracked faces of any frame: by frame 50 the astronaut is in.
    window.video_bar.slider.setValue(50)
    qtbot.waitUntil(lambda: window.shown_frame == 50, timeout=WAIT_MS)
    assert window.video_bar.position.text().startswith(f"51 / {frames}")
    assert len(face_items(window)) >= 2

    # A drawn region covers the whole clip until told otherwise; "Start at this frame" narrows it.
    QTest.keyClick(window, Qt.Key.Key_E)
    drag(window, SIGN[:2], SIGN[2:])
    [sign] = doc.manual
    assert sign.frames == (0, frames - 1) and sign.shape == "ellipse"
    assert window.range_box.isVisible()
    window.range_box.start_here.click()
    assert doc.manual[0].frames == (50, frames - 1)
    assert window.range_box.first.value() == 51
    window.video_bar.slider.setValue(11)
    QTest.keyClick(window, Qt.Key.Key_Comma)  # previous frame
    qtbot.waitUntil(lambda: window.shown_frame == 10, timeout=WAIT_MS)
    assert not drawn_items(window)  # not on this frame
    # Solid fill, so that "covered" is unmistakable even on the clip's flat background.
    window.settings_panel.mode.setCurrentIndex(window.settings_panel.mode.findData("fill"))

    # Cancelled: no file, not even a partial one.
    out = tmp_path / "out"
    window.save_all_to(out)
    assert window.cancel_button.isVisible()
    window.cancel_button.click()
    qtbot.waitUntil(lambda: not window.saving, timeout=WAIT_MS)
    assert not out.exists() or not list(out.iterdir())
    assert window.file_list.item(0).text().endswith("Cancelled, nothing saved")
    assert "nothing written for: two_faces.mp4" in window.last_dialog.text()

    # Saved for real: every frame there, every face gone, the drawn region only in its frames.
    window.save_all_to(out)
    qtbot.waitUntil(lambda: not window.saving, timeout=WAIT_MS)
    written = out / "two_faces-anonymized.mp4"
    assert [p.name for p in out.iterdir()] == [written.name]
    info = blurkit.probe_video(written)
    assert (info.frames, info.width, info.height) == (frames, 640, 360)
    sign = doc.manual[0]
    for i in (0, 30, 50, frames - 1):
        before, after = blurkit.read_video_frame(clip, i), blurkit.read_video_frame(written, i)
        faces = [r for r in blurkit.detect_faces(before) if r.score >= CONFIDENT]
        assert faces
        for face in faces:
            assert covered(before, after, face) > 40, f"face visible in frame {i}"
        assert not [r for r in blurkit.detect_faces(after) if r.score >= CONFIDENT], f"a face is found in frame {i}"
        assert (covered(before, after, sign) > 40) == (i >= 50), f"drawn region wrong in frame {i}"
    summary = window.last_dialog.text()
    assert "face track" in summary and "1 region you drew" in summary
    assert "the sound was kept" in summary


def test_zoom_pan_resize_and_remove(qtbot, window: MainWindow, samples: Path) -> None:
    open_and_wait(qtbot, window, samples / "astronaut.png")
    canvas = window.canvas
    QTest.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom() == pytest.approx(1.0)
    wheel = QWheelEvent(
        QPointF(200, 200), canvas.viewport().mapToGlobal(QPointF(200, 200)), QPoint(), QPoint(0, 120 * 6),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(canvas.viewport(), wheel)
    assert canvas.zoom() == pytest.approx(1.25**6)  # a 15-px face shows 57 px wide
    assert window.zoom_label.text() == "Zoom 381%"

    # Dragging the picture pans it.
    before = (canvas.horizontalScrollBar().value(), canvas.verticalScrollBar().value())
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(300, 300))
    QTest.mouseMove(viewport, QPoint(250, 260))
    QTest.mouseMove(viewport, QPoint(200, 220))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(200, 220))
    assert (canvas.horizontalScrollBar().value(), canvas.verticalScrollBar().value()) == (
        before[0] + 100,
        before[1] + 80,
    )

    QTest.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom() < 1.25**6
    doc = window.current
    window.ellipse_tool.trigger()
    drag(window, (20, 300), (120, 400))
    window.select_tool.trigger()
    # Drag the bottom-right corner handle: the region grows, the top-left corner stays.
    drag(window, (120, 400), (160, 460))
    [region] = doc.manual
    assert (region.x0, region.y0, region.x1, region.y1) == pytest.approx((20, 300, 160, 460), abs=2)
    QTest.keyClick(window, Qt.Key.Key_Delete)
    assert doc.manual == [] and not drawn_items(window)


def test_entry_point_opens_files(qtbot, tmp_path: Path, samples: Path) -> None:
    """``blurkit-gui FILE`` (gui.app:main): the window opens the file and shows the first-run note."""
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    seen = {}

    def look() -> None:
        [window] = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        qtbot.waitUntil(lambda: window.current is not None and window.current.detected is not None, timeout=WAIT_MS)
        seen["files"] = [f.name for f in window.files]
        seen["note"] = window.last_dialog.windowTitle()
        window.close()
        QApplication.quit()

    QTimer.singleShot(0, look)
    # one quit only: a second (the last window closing) would arrive after exec() and stop every later event loop
    QApplication.instance().setQuitOnLastWindowClosed(False)
    try:
        assert app.main(["blurkit-gui", str(samples / "grace_hopper.jpg")]) == 0
    finally:
        sys.excepthook = sys.__excepthook__
        QApplication.instance().setQuitOnLastWindowClosed(True)
    assert seen == {"files": ["grace_hopper.jpg"], "note": "What blurkit does"}
    assert (tmp_path / "blurkit" / "blurkit-gui.ini").is_file()


def test_saved_names_random_numbered_or_kept_with_a_warning(window: MainWindow, qtbot, samples: Path, tmp_path: Path):
    """The naming choice is the engine's: camera names are pointed out when kept, and left out otherwise."""
    folder = tmp_path / "Jane's phone"
    folder.mkdir()
    shutil.copy(samples / "grace_hopper.jpg", folder / "IMG_20240501_143211.jpg")
    shutil.copy(samples / "astronaut.png", folder / "PXL_20240501_150002.png")
    window.open_paths([folder])
    names = window.settings_panel.names
    for naming, pattern in [("random", r"[0-9a-f]{16}\.(jpg|png)"), ("sequential", r"000[12]\.(jpg|png)")]:
        names.setCurrentIndex(names.findData(naming))
        out = tmp_path / naming
        window.save_all_to(out)
        qtbot.waitUntil(lambda: not window.saving, timeout=WAIT_MS)
        written = sorted(p.name for p in out.iterdir())
        assert len(written) == 2 and all(re.fullmatch(pattern, n) for n in written), written
        assert "names like a camera" not in window.last_dialog.text()
    names.setCurrentIndex(names.findData("keep"))
    window.save_all_to(tmp_path / "kept")
    qtbot.waitUntil(lambda: not window.saving, timeout=WAIT_MS)
    summary = html.unescape(window.last_dialog.text())
    assert "IMG_20240501_143211-anonymized.jpg and others: names like a camera's or a date" in summary


def test_a_face_in_the_transparency_layer_is_found_and_shown(
    qtbot, window: MainWindow, samples: Path, tmp_path: Path
) -> None:
    """An ink picture (colour all black, the face in its alpha channel): the app finds the face a viewer sees
    and shows the picture over white, not its black colour channels."""
    hopper = load_rgb(samples / "grace_hopper.jpg")
    open_and_wait(qtbot, window, save_ink(tmp_path / "ink.png", hopper))
    assert window.current.detected
    grey = np.asarray(Image.fromarray(hopper).convert("L"))
    assert np.abs(shown_pixels(window)[:100, :, 0].astype(int) - grey[:100]).max() <= 1  # above the face
