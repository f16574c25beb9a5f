"""The app's review state without a widget (``gui.review``, ``gui.documents``): built on a real analysis of a
clip with a cut, edited as the app edits it, and saved through the engine's batch as the app saves it."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest
from synthetic_clips import Clip, box_changed, cut_between_people

import blurkit
from blurkit import Region
from gui.documents import MediaFile
from gui.review import FOLLOW_IDS, Follow, Review, step_cut, step_row


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Clip:
    return cut_between_people(tmp_path_factory.mktemp("clips") / "cut.mp4")


@pytest.fixture(scope="module")
def doc(clip: Clip) -> MediaFile:
    """A video as the app holds it once opened: probed and analysed (a dry run)."""
    analysis = blurkit.anonymize_file(clip.path, clip.path, dry_run=True)
    return MediaFile(clip.path, "video", video=blurkit.probe_video(clip.path), analysis=analysis)


def test_the_models_never_import_qt() -> None:
    code = "import sys, gui.documents, gui.review; sys.exit('PySide6' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_timeline_rows_follow_the_analysis_and_the_review(doc: MediaFile) -> None:
    a, b = (t.track_id for t in sorted(doc.tracks(), key=lambda t: t.frames))
    assert [(r.key, r.first, r.last, r.off) for r in doc.rows()] == [
        (("track", a), 0, 23, False),
        (("track", b), 24, 47, False),
    ]
    assert doc.cuts == [0, 24]
    sign = Region(20, 20, 60, 60, source="manual", frames=(5, 9))
    follow = Follow(FOLLOW_IDS, ((3, sign),), tuple(replace(sign, frames=(i, i)) for i in range(0, 24)))
    review = doc.review.toggled(a).with_drawn(sign).with_follow(follow)
    rows = replace(doc, review=review).rows()
    assert [(r.key, r.first, r.last, r.off, r.marks) for r in rows] == [
        (("track", a), 0, 23, True, ()),
        (("track", b), 24, 47, False, ()),
        (("followed", FOLLOW_IDS), 0, 23, False, (3,)),
        (("drawn", 0), 5, 9, False, ()),
    ]
    assert rows[0].label == f"Face {a + 1} (visible)" and rows[2].label == "Followed 1"


def test_moving_between_tracks_and_cuts(doc: MediaFile) -> None:
    rows = doc.rows()
    assert step_row(rows, None, 10, 1) == rows[1]  # the next track to start after frame 10
    assert step_row(rows, rows[1].key, 30, -1) == rows[0]
    assert step_row(rows, rows[1].key, 30, 1) is None
    assert step_cut(doc.cuts, 3, 1) == 24 and step_cut(doc.cuts, 30, -1) == 24 and step_cut(doc.cuts, 24, -1) == 0
    assert step_cut(doc.cuts, 30, 1) is None


def test_every_edit_is_a_new_review_so_undo_is_the_old_one(doc: MediaFile) -> None:
    start = Review()
    sign = Region(20, 20, 60, 60, source="manual", frames=(0, 47))
    drawn = start.with_drawn(sign)
    moved = drawn.with_drawn_at(0, replace(sign, x0=30))
    assert start.drawn == () and drawn.drawn == (sign,) and moved.drawn[0].x0 == 30
    assert moved.without_drawn(0) == start
    follow = Follow(drawn.next_follow_id(), ((0, sign),), (replace(sign, frames=(0, 0)),))
    corrected = Follow(follow.track_id, ((0, sign), (0, sign)), follow.regions)
    assert drawn.with_follow(follow).with_follow(corrected).followed == (corrected,)
    assert drawn.with_follow(follow).next_follow_id() == FOLLOW_IDS + 1
    assert start.toggled(3).toggled(3) == start


def test_what_a_frame_obscures_is_what_the_export_writes(doc: MediaFile, clip: Clip, tmp_path) -> None:
    """The document's regions of a frame, and its batch job, carry the review: the track left visible
    is untouched in the written video, the other covered, the drawn region covered in its frames."""
    a, b = (t.track_id for t in sorted(doc.tracks(), key=lambda t: t.frames))
    sign = Region(20, 270, 150, 350, source="manual", frames=(30, 40))
    reviewed = replace(doc, review=doc.review.toggled(a).with_drawn(sign))
    assert [r.track_id for r in reviewed.regions_at(10)] == []
    assert [r.track_id for r in reviewed.regions_at(35)] == [b, None]
    assert len(reviewed.faces_at(10)) == 1  # the outline of the face left visible is still shown
    job = reviewed.job(tmp_path / "out.mp4", blurkit.Settings(mode="fill"))
    [result] = blurkit.run_batch([job], blurkit.Settings())
    assert result.status == "written" and result.details["visible_tracks"] == [a]
    for i in (10, 35):
        before, after = blurkit.read_video_frame(clip.path, i), blurkit.read_video_frame(job.dst, i)
        [face] = clip.faces[i]
        assert box_changed(before, after, face) == pytest.approx(0.0 if i < 24 else 1.0, abs=0.03)
        assert [r.track_id for r in result.frames[i]] == [r.track_id for r in reviewed.regions_at(i)]
