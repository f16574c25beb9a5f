"""Issue 9 in the app: a file where the second look or the check of its saved copy found something is flagged
in the file list, "Next flagged" (N) or a double-click goes to that face or frame, and "Save report…" writes
the CLI's HTML report. Driven through the real widgets (pytest-qt, offscreen) on real pictures and clips; the
second look and the check are the engine's, on real pixels.

A face the main pass misses is made as tests/test_second_look.py makes one: the main pass is patched to drop
it (or to find nothing), so whatever covers it can only have come from the second look."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from synthetic_clips import cut_between_people
from test_gui import HOPPER_WIDTH, WAIT_MS, face_index, face_items, on_screen, open_and_wait
from test_gui_video import ANALYSIS_MS, key, open_video

import blurkit
from blurkit.video import pipeline as video_module
from gui import checking
from gui.canvas import FindingItem
from gui.main_window import MainWindow


@pytest.fixture
def two_faces(tmp_path: Path, samples: Path) -> Path:
    """Grace Hopper (left) and the astronaut (right) side by side, as in tests/test_gui.py."""
    picture = np.zeros((600, 1024, 3), np.uint8)
    picture[:, :HOPPER_WIDTH] = np.asarray(Image.open(samples / "grace_hopper.jpg").convert("RGB"))
    picture[:512, HOPPER_WIDTH:] = np.asarray(Image.open(samples / "astronaut.png").convert("RGB"))
    path = tmp_path / "in" / "march.png"
    path.parent.mkdir()
    Image.fromarray(picture).save(path)
    return path


def overlaps(a: blurkit.Region, b: blurkit.Region) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def finding_items(window: MainWindow) -> list[FindingItem]:
    return [i for i in window.canvas.scene().items() if isinstance(i, FindingItem)]


def save_and_check(qtbot, window: MainWindow, folder: Path) -> None:
    """Save every file, then wait for the check of the copies (it runs after the save, on the same lane)."""
    window.save_all_to(folder)
    qtbot.waitUntil(lambda: not window.saving and not window.checking, timeout=ANALYSIS_MS)
    window.last_dialog.close()


def double_click_file(window: MainWindow, row: int) -> None:
    viewport = window.file_list.viewport()
    centre = window.file_list.visualItemRect(window.file_list.item(row)).center()
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=centre)  # (an item view wants the press first)
    QTest.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=centre)


@pytest.fixture
def astronaut_missed(monkeypatch: pytest.MonkeyPatch):
    """The main pass misses the astronaut (the right half of ``two_faces``); the second look is untouched."""
    real = blurkit.api.detect_faces
    monkeypatch.setattr(
        blurkit.api, "detect_faces", lambda image, settings=None: [
            r for r in real(image, settings) if r.center[0] < HOPPER_WIDTH
        ],
    )  # fmt: skip
    return real


def test_a_face_only_the_second_look_found_is_flagged_jumped_to_and_in_the_saved_report(
    qtbot, window: MainWindow, two_faces: Path, samples: Path, tmp_path: Path, astronaut_missed, monkeypatch
) -> None:
    # another file first, unflagged, so that the jump has to change files
    open_and_wait(qtbot, window, samples / "grace_hopper.jpg", two_faces)
    assert window.file_list.item(0).icon().isNull() and not window.next_flagged_action.isEnabled()
    window.file_list.setCurrentRow(1)
    qtbot.waitUntil(lambda: window.current.detected is not None and not window.engine.busy, timeout=WAIT_MS)
    doc = window.current
    second = [i for i, r in enumerate(doc.detected) if r.source == "second-look"]
    # the app's analysis is the export's: the main pass, then the second look at the obscured picture
    everyone = astronaut_missed(blurkit.load_photo(two_faces).pixels)
    astronaut = everyone[face_index(everyone, left=HOPPER_WIDTH)]
    assert second and any(overlaps(doc.detected[i], astronaut) for i in second)
    assert all(doc.detected[i].center[0] >= HOPPER_WIDTH for i in second)
    item = window.file_list.item(1)
    n = len(second)
    assert not item.icon().isNull()
    assert f"{n} face{'s' if n > 1 else ''} found only by the second look — check" in item.toolTip()
    assert "found only by the second look" in window.hint.text()
    kinds = {i.key: i.kind for i in face_items(window)}
    assert {k for k, kind in kinds.items() if kind == "second-look"} == {("face", i) for i in second}

    # N from the first file: the flagged file is shown with the second-look face selected
    window.file_list.setCurrentRow(0)
    qtbot.waitUntil(lambda: window.current.path.name == "grace_hopper.jpg", timeout=WAIT_MS)
    key(window, "N")
    assert window.current is doc
    assert window.selected == ("face", second[0]) == window.canvas.selected_key()
    assert doc.detected[second[0]].source == "second-look"
    assert "found only by the second look" in window.status_text.text()

    # Save: the second-look face is covered in the copy, the check runs on it, and the report shows it all
    out = tmp_path / "out"
    save_and_check(qtbot, window, out)
    saved = out / "march-anonymized.png"
    assert doc.saved is not None and doc.saved.dst == saved and doc.saved.second_look_finds == n
    assert doc.check is not None and doc.check.path == saved
    assert not [f for f in doc.check.findings if overlaps(f, astronaut)]  # covered: the check does not see it
    assert window.save_report_action.isEnabled()
    # Save report…: the name typed without a suffix becomes an .html report
    typed = tmp_path / "reports" / "march"
    typed.parent.mkdir()
    monkeypatch.setattr(checking.QFileDialog, "getSaveFileName", lambda *a, **k: (str(typed), ""))
    window.save_report_action.trigger()
    qtbot.waitUntil(lambda: window._report is None, timeout=WAIT_MS)
    report = typed.with_name("march.html")
    assert window.last_dialog.windowTitle() == "Report saved"
    page = report.read_text()
    row = re.search(r'<tr><td><a href="#file-\d">march-anonymized\.png</a></td>.*?</tr>', page)
    assert row is not None
    assert f"<td class=n>{n}</td>" in row.group(0)  # the second-look finds column: neutral, not a warning
    assert "grace_hopper-anonymized.jpg" in page and "data:image/jpeg;base64," in page
    # the same report the CLI writes: the engine's own writer with the same checks
    assert page.count('<section id="file-') == 2
    # never over an existing file unless the user said so
    before = report.read_bytes()
    window.save_report_to(report)
    qtbot.waitUntil(lambda: window._report is None, timeout=WAIT_MS)
    assert window.last_dialog.windowTitle() == "The report was not saved" and report.read_bytes() == before


def test_a_face_left_visible_is_the_users_choice_not_a_warning_and_reviewed_is_remembered(
    qtbot, window: MainWindow, two_faces: Path, tmp_path: Path, monkeypatch
) -> None:
    """The check of the saved copy lists a face the user left visible as theirs, never flags it; a copy marked
    Reviewed stays marked (by its content) and its sign-off box is ticked in the report."""
    open_and_wait(qtbot, window, two_faces)
    doc = window.current
    hopper = face_index(doc.detected, right=HOPPER_WIDTH)
    window._face_toggled(("face", hopper))
    save_and_check(qtbot, window, tmp_path / "out")
    assert doc.check.status == "clean" and doc.check.findings == []
    assert len(doc.check.kept) == 1 and overlaps(doc.check.kept[0], doc.detected[hopper])
    assert window.file_list.item(0).icon().isNull()  # not flagged
    assert "1 face kept visible by you" in window.file_list.item(0).text()
    assert window.reviewed_action.isEnabled() and not window.reviewed_action.isChecked()
    window.reviewed_action.trigger()
    assert window.reviewed(doc.saved) and window.store.value(f"reviewed/{doc.saved.sha256}", type=bool)
    report = tmp_path / "r.html"
    window.save_report_to(report)
    qtbot.waitUntil(lambda: window._report is None, timeout=WAIT_MS)
    page = report.read_text()
    assert 'id="reviewed-1" checked' in page and "1 face(s) kept visible by you" in page


def test_a_face_left_visible_is_flagged_by_the_check_of_the_saved_copy_until_covered(
    qtbot, window: MainWindow, two_faces: Path, tmp_path: Path, monkeypatch
) -> None:
    # a check that does not know the user's choice (as of a copy from elsewhere): the face is a face
    monkeypatch.setattr(blurkit.check, "kept_visible", lambda written: [])
    open_and_wait(qtbot, window, two_faces)
    doc = window.current
    hopper = face_index(doc.detected, right=HOPPER_WIDTH)
    hopper_centre = doc.detected[hopper].center
    window._face_toggled(("face", hopper))  # left visible, as a click on it does
    assert doc.off == {hopper}
    save_and_check(qtbot, window, tmp_path / "out")
    # the check of the copy still finds Hopper's face there
    assert doc.check.status == "faces"
    found = [i for i, f in enumerate(doc.check.findings) if overlaps(f, doc.detected[hopper])]
    assert found
    item = window.file_list.item(0)
    faces = len(doc.check.findings)
    assert f"the check still finds {faces} face{'s' if faces > 1 else ''} in the output" in item.toolTip().lower()
    assert item.text().endswith(f"\nCheck: {faces} face{'s' if faces > 1 else ''} still in it")
    assert {i.key for i in finding_items(window)} == {("finding", i) for i in range(faces)}

    # a double-click on the flagged file selects the check's box on the picture
    double_click_file(window, 0)
    assert window.selected == ("finding", 0) and window.canvas.selected_key() == ("finding", 0)
    assert [i.key for i in finding_items(window) if i.isSelected()] == [("finding", 0)]
    # a click on the face under the box still covers it again; saved again, the check finds nothing there
    QTest.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=on_screen(window, *hopper_centre))
    assert doc.off == set()
    save_and_check(qtbot, window, tmp_path / "again")
    assert not [f for f in doc.check.findings if overlaps(f, doc.detected[hopper])]


def test_video_second_look_tracks_on_the_timeline_and_a_track_left_visible_found_by_the_check(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(blurkit.check, "kept_visible", lambda written: [])  # (as above: the choice unknown)
    clip = cut_between_people(tmp_path / "cut.mp4")  # A (astronaut) until frame 24, then B (Hopper)
    # the main pass finds nothing: every track is the second look's (the check's detector is not patched)
    monkeypatch.setattr(video_module, "detect_faces", lambda image, settings=None, **_: [])
    monkeypatch.setattr(video_module, "detect_turned", lambda *args: [])  # its turned copies too
    doc = open_video(qtbot, window, clip.path)
    tracks = sorted(doc.tracks(), key=lambda t: t.frames)
    assert len(tracks) == 2 and {t.source for t in tracks} == {"second-look"}
    # the per-frame regions the review and the export use carry it too
    assert {r.source for r in doc.faces_at(30)} == {"second-look"}
    a, b = (t.track_id for t in tracks)
    assert [(r.key, r.second_look) for r in window.timeline.rows] == [(("track", a), True), (("track", b), True)]
    assert "2nd look" in window.timeline.rows[0].label
    assert "2 face tracks found only by the second look — check them" in window.file_list.item(0).toolTip()

    # N goes to each second-look track's first frame and selects it there
    key(window, "N")
    qtbot.waitUntil(lambda: window.shown_frame == tracks[0].frames[0], timeout=WAIT_MS)
    assert window.canvas.selected_key() == ("track", a) and window.timeline.selected == ("track", a)
    assert [i.kind for i in face_items(window)] == ["second-look"]
    key(window, "N")
    qtbot.waitUntil(lambda: window.shown_frame == tracks[1].frames[0], timeout=WAIT_MS)
    assert window.canvas.selected_key() == ("track", b)

    # track A left visible and saved: the check of the copy finds A in frames before the cut
    window.go_to_row(("track", a), 5)
    qtbot.waitUntil(lambda: window.shown_frame == 5, timeout=WAIT_MS)
    key(window, "V")
    assert doc.off == {a}
    save_and_check(qtbot, window, tmp_path / "out")
    assert doc.check.status == "faces"
    frames = sorted({f.frames[0] for f in doc.check.findings})
    assert frames and frames[-1] < 24  # only A, only before the cut
    assert "the check still finds 1 face in the output" in window.file_list.item(0).toolTip().lower()
    assert window.timeline.findings == frames
    # a double-click on the file goes to the first frame the check found A in, with its box selected
    window.go_to_frame(40)
    qtbot.waitUntil(lambda: window.shown_frame == 40, timeout=WAIT_MS)
    double_click_file(window, 0)
    qtbot.waitUntil(lambda: window.shown_frame == frames[0], timeout=WAIT_MS)
    [selected] = [i for i in finding_items(window) if i.isSelected()]
    finding = doc.check.findings[selected.key[1]]
    assert finding.frames == (frames[0], frames[0]) and overlaps(finding, tracks[0])
    assert window.selected == selected.key
