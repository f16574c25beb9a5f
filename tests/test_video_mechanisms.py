"""Each way a video pipeline that detects on some frames only leaves a face exposed, one synthetic clip each.

The clips (see synthetic_clips) put real portraits on face-free wallpaper and know every face's tight box in
every frame, so coverage is checked against ground truth, not against another detector. Each clip is made and
anonymised once with default settings; input and output are decoded by OpenCV, as a viewer would.
Detection on every frame alone (no tracking) passes them all; they fail where tracking stands in for detection
or carries a mask across a cut.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import synthetic_clips
from synthetic_clips import Clip, FaceBox, box_changed, changed
from test_video import decoded

import blurkit

# A face is exposed in a frame when less than this share of its tight box changed.
COVERED = 0.95
# Faces less than this share in view (an ear and some hair at the frame edge) are not checked.
MIN_VISIBLE = 0.2
# Around a face, a mask (detector box x mask scale, plus a feathered edge) reaches less than 2x its tight box;
# the cut check leaves out this much around each face in view.
ZONE = 2.5
# Frames next to a cut (the last before it, the first after it) where a stray mask is forgiven: a pipeline may
# confirm a cut a frame late, and a mask on empty wallpaper exposes no one. A track that survives the cut lasts
# much longer (today: its hold of a second past its last detection, a look-ahead of 18 frames before its first),
# so WINDOW frames beyond catch it.
GRACE = 1
WINDOW = 6
# Mostly unchanged: share of an empty spot that may differ (codec noise is far below this; a mask is ~100 %).
UNCHANGED = 0.1


@dataclass(frozen=True)
class Run:
    clip: Clip
    before: list[np.ndarray]
    after: list[np.ndarray]
    result: blurkit.FileResult


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Callable[[Path], Clip]], Run]:
    """Make a clip and anonymise it with default settings, once per clip for the whole module."""
    runs: dict[Callable[[Path], Clip], Run] = {}

    def get(make: Callable[[Path], Clip]) -> Run:
        if make not in runs:
            folder = tmp_path_factory.mktemp(make.__name__)
            clip = make(folder / "in.mp4")
            result = blurkit.anonymize_file(clip.path, folder / "out.mp4")
            runs[make] = Run(clip, decoded(clip.path), decoded(folder / "out.mp4"), result)
            assert len(runs[make].before) == len(runs[make].after) == len(clip.faces)
        return runs[make]

    return get


def label(face: FaceBox) -> str:
    return f"{face.who} at ({face.x0:.0f}, {face.y0:.0f})-({face.x1:.0f}, {face.y1:.0f})"


def assert_every_face_covered(r: Run) -> None:
    """Every face at least MIN_VISIBLE in view must be COVERED in every frame; lists each exposed one."""
    width, height = r.clip.size
    exposed, checked = [], 0
    for index, (before, after, faces) in enumerate(zip(r.before, r.after, r.clip.faces, strict=True)):
        for face in faces:
            if face.visible_share(width, height) < MIN_VISIBLE:
                continue
            checked += 1
            share = box_changed(before, after, face)
            if share < COVERED:
                exposed.append(f"frame {index}: {label(face)} only {share:.1%} covered")
    assert checked, "the clip holds no face to check"
    assert not exposed, f"{len(exposed)} of {checked} faces exposed:\n" + "\n".join(exposed)


def zones(faces: list[FaceBox], shape: tuple[int, ...]) -> np.ndarray:
    """Pixels within ZONE of a face: where a mask may rightly be."""
    near = np.zeros(shape[:2], bool)
    for face in faces:
        x0, y0, x1, y1 = face.scaled(ZONE).visible(shape[1], shape[0])
        near[y0:y1, x0:x1] = True
    return near


def stray_masks(r: Run) -> list[str]:
    """Spots that held a face on one side of a cut and hold none on the other, changed there anyway:
    a mask left behind by a track that outlived the cut, or reached back across it from the next shot."""
    width, height = r.clip.size
    problems = []
    for cut in r.clip.cuts:
        sides = (
            (cut - 1, range(cut + GRACE, cut + GRACE + WINDOW), "was before"),
            (cut, range(cut - GRACE - WINDOW, cut - GRACE), "will be after"),
        )
        for spot_frame, frames, when in sides:
            for face in r.clip.faces[spot_frame]:
                x0, y0, x1, y1 = face.visible(width, height)
                for index in frames:
                    empty = ~zones(r.clip.faces[index], r.before[index].shape)[y0:y1, x0:x1]
                    assert empty.mean() > 0.25, f"frame {index}: too little empty wallpaper to check {label(face)}"
                    diff = changed(r.before[index][y0:y1, x0:x1], r.after[index][y0:y1, x0:x1])[empty].mean()
                    if diff > UNCHANGED:
                        problems.append(f"frame {index}: {diff:.0%} changed where {label(face)} {when} the cut {cut}")
    return problems


def test_face_between_two_detections_is_covered(run):
    """A face on screen for frames 9-15 only: a pipeline detecting every 8th frame never sees it."""
    assert_every_face_covered(run(synthetic_clips.brief_face))


def test_a_still_picture_is_searched_only_where_it_changed_and_a_new_face_is_still_found(run):
    """On a still camera the quick pass between full searches looks only where the picture changed since the
    detector last saw it (and at tracks): the face appearing in frames 9-15 changes its spot, so it is covered
    from its first frame, while most of the wallpaper is not searched again."""
    r = run(synthetic_clips.brief_face)
    assert_every_face_covered(r)
    assert r.result.details["detection"]["quick_pass_share"] < 0.5


def test_cut_to_a_person_nearby_covers_both(run):
    """A hard cut from A to B standing 100 px away: a track that links B to A slides its mask from A
    towards B over the frames before the cut, uncovering A."""
    assert_every_face_covered(run(synthetic_clips.cut_between_people))


def test_cut_between_detections_covers_every_face(run):
    """Two faces per shot, cut at frame 13 between detections at 8 and 16: masks interpolated across
    the cut sit between the old and the new faces on both sides of it."""
    assert_every_face_covered(run(synthetic_clips.cut_mid_interval))


@pytest.mark.parametrize("make", [synthetic_clips.cut_between_people, synthetic_clips.cut_mid_interval])
def test_no_mask_lingers_on_empty_wallpaper_across_a_cut(run, make):
    """No track survives a cut: where a face was before it (or will be after it) and none is on the
    other side, the wallpaper is left alone within a few frames of the cut."""
    problems = stray_masks(run(make))
    assert not problems, "\n".join(problems)


def test_shaking_camera_face_is_covered(run):
    """A handheld camera swaying +-30 px at 2 Hz: the face swings out and back between two detections,
    so a straight line between them misses it."""
    assert_every_face_covered(run(synthetic_clips.shake))


def test_face_entering_fast_is_covered(run):
    """A face running in from the left edge at 32 px per frame and stopping: before its first detection
    the look-ahead extrapolates with a velocity that does not fit, and frames between lag behind it."""
    assert_every_face_covered(run(synthetic_clips.fast_entry))
