"""The engine's review path on real clips, as a script (or the app) uses it: a dry run's per-frame regions
exported as reviewed (a track left visible), a preview rendered by the export's own function compared
with the decoded export, a region followed through its shot, and batches with per-file reviews and cancel.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image
from synthetic_clips import Clip, FaceBox, box_changed, cut_between_people, shake

import blurkit
from blurkit import Job, MediaError, Region, Settings, TrackMemory


@pytest.fixture(scope="module")
def cut_clip(tmp_path_factory) -> Clip:
    """Person A (astronaut) until frame 24, then a cut to person B (Hopper)."""
    return cut_between_people(tmp_path_factory.mktemp("clips") / "cut.mp4")


@pytest.fixture(scope="module")
def analysis(cut_clip: Clip) -> blurkit.FileResult:
    return blurkit.anonymize_file(cut_clip.path, cut_clip.path, dry_run=True)


def iou(r: Region, box: FaceBox) -> float:
    ix = max(0.0, min(r.x1, box.x1) - max(r.x0, box.x0))
    iy = max(0.0, min(r.y1, box.y1) - max(r.y0, box.y0))
    union = r.width * r.height + (box.x1 - box.x0) * (box.y1 - box.y0) - ix * iy
    return ix * iy / union


def track_on(analysis: blurkit.FileResult, frame: int, box: FaceBox) -> int:
    """The id of the track covering ``box`` in ``frame``."""
    return max(analysis.frames[frame], key=lambda r: iou(r, box)).track_id


def test_reviewed_export_leaves_a_track_visible_and_reports_it(cut_clip, analysis, tmp_path):
    a, b = track_on(analysis, 10, cut_clip.faces[10][0]), track_on(analysis, 30, cut_clip.faces[30][0])
    assert analysis.details["cuts"] == [0, 24] and a != b
    out = tmp_path / "out.mp4"
    result = blurkit.anonymize_file(cut_clip.path, out, frames=analysis.frames, visible_tracks={a})
    assert result.details["visible_tracks"] == [a]
    assert [r.track_id for r in result.regions] == [b]
    assert all(r.track_id != a for f in result.frames for r in f)
    for i in (0, 12, 23, 24, 40, 47):
        before, after = blurkit.read_video_frame(cut_clip.path, i), blurkit.read_video_frame(out, i)
        [face] = cut_clip.faces[i]
        if i < 24:
            assert box_changed(before, after, face) < 0.02, f"the face left visible changed in frame {i}"
        else:
            assert box_changed(before, after, face) > 0.95, f"face exposed in frame {i}"


def test_regions_for_another_number_of_frames_fail_and_write_nothing(cut_clip, analysis, tmp_path):
    out = tmp_path / "out.mp4"
    with pytest.raises(MediaError, match="regions were given for 47 frames"):
        blurkit.anonymize_file(cut_clip.path, out, frames=analysis.frames[:-1])
    assert not out.exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize("mode", ["erase", "pixelate"])
def test_a_previewed_frame_is_the_exported_frame(cut_clip, analysis, tmp_path, mode):
    """Frames rendered out of order by ``render_frame`` with the export's memory match the decoded export up to
    codec error; another memory (another secret, cells of another frame) does not. Erase's grain follows the
    scene's own noise, next to none in this drawn clip, so there only the match is tested."""
    settings, memory = Settings(mode=mode), TrackMemory()
    out = tmp_path / "out.mp4"
    blurkit.anonymize_file(cut_clip.path, out, settings, frames=analysis.frames, memory=memory)
    for i in (45, 30, 12):  # mid-track frames, last first: pixelate keeps the cells of a track's first frame
        pixels = blurkit.read_video_frame(cut_clip.path, i)
        preview = blurkit.render_frame(
            pixels, analysis.frames[i], settings, i, memory,
            regions_at=lambda j: analysis.frames[j], pixels_at=lambda j: blurkit.read_video_frame(cut_clip.path, j),
        )  # fmt: skip
        stranger = blurkit.render_frame(pixels, analysis.frames[i], settings, i, TrackMemory())
        exported = blurkit.read_video_frame(out, i)
        [mask] = blurkit.mask_regions(analysis.frames[i], settings, 640, 360, i)
        inside = np.s_[int(mask.y0) + 4 : int(mask.y1) - 4, int(mask.x0) + 4 : int(mask.x1) - 4]
        same = np.abs(preview[inside].astype(int) - exported[inside]).mean()
        other = np.abs(stranger[inside].astype(int) - exported[inside]).mean()
        assert same < 3.0 and (mode == "erase" or other > 2 * same), (i, same, other)
        assert np.abs(preview.astype(int) - exported).mean() < 2.0
        assert np.abs(pixels[inside].astype(int) - exported[inside]).mean() > 25  # it is covered


def test_follow_region_follows_a_shaking_face_and_bends_to_a_correction(tmp_path):
    clip = shake(tmp_path / "shake.mp4")
    face = clip.faces[20][0]
    drawn = Region(face.x0, face.y0, face.x1, face.y1, shape="box", source="manual")
    followed = blurkit.follow_region(clip.path, {20: drawn}, track_id=7)
    assert [r.frames for r in followed] == [(i, i) for i in range(48)]
    assert all(r.source == "manual" and r.track_id == 7 and r.shape == "box" for r in followed)
    assert min(iou(r, clip.faces[i][0]) for i, r in enumerate(followed)) > 0.85
    # a correction on frame 40 (20 px to the right) is met exactly there, and half of it halfway
    corrected = Region(followed[40].x0 + 20, followed[40].y0, followed[40].x1 + 20, followed[40].y1, source="manual")
    bent = blurkit.follow_region(clip.path, {20: drawn, 40: corrected}, track_id=7)
    assert (bent[40].x0, bent[40].x1) == (corrected.x0, corrected.x1)
    assert bent[30].x0 - followed[30].x0 == pytest.approx(10, abs=1.5)
    assert bent[10].x0 == pytest.approx(followed[10].x0, abs=0.01)  # before the first keyframe: unchanged


def test_follow_region_stops_at_the_cut(cut_clip, analysis):
    face = cut_clip.faces[10][0]
    drawn = Region(face.x0, face.y0, face.x1, face.y1, source="manual")
    for cuts in (None, analysis.details["cuts"]):  # found while decoding, or a dry run's
        followed = blurkit.follow_region(cut_clip.path, {10: drawn}, track_id=1 << 20, cuts=cuts)
        assert [r.frames[0] for r in followed] == list(range(24))
    with pytest.raises(ValueError, match="different shots"):
        blurkit.follow_region(cut_clip.path, {10: drawn, 30: drawn}, track_id=1, cuts=analysis.details["cuts"])


def test_batch_takes_each_files_review_and_settings_and_cancels(tmp_path, samples):
    sign = Region(40, 300, 200, 420, shape="box", source="manual")
    red = Settings(mode="fill", color=(255, 0, 0))
    jobs = [
        Job(samples / "astronaut.png", tmp_path / "a.png", regions=(sign,)),  # exactly this region, nothing detected
        Job(samples / "grace_hopper.jpg", tmp_path / "b.png", settings=red),
        Job(samples / "astronaut.png", tmp_path / "c.png"),
    ]
    cancel = threading.Event()
    results = blurkit.run_batch(jobs, Settings(), on_result=lambda r: cancel.set(), cancel=cancel)
    assert [r.status for r in results] == ["written", "failed", "failed"]
    assert [r.details.get("error_type") for r in results[1:]] == ["Cancelled", "Cancelled"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]
    original = np.asarray(Image.open(samples / "astronaut.png").convert("RGB")).astype(int)
    written = np.asarray(Image.open(tmp_path / "a.png").convert("RGB")).astype(int)
    far = np.s_[:260]  # clear of the region and its soft edge: the astronaut's face is left as it is
    np.testing.assert_array_equal(written[far], original[far])
    assert np.abs(written[310:410, 50:190] - original[310:410, 50:190]).mean() > 20

    cancel.clear()
    [result] = blurkit.run_batch(jobs[1:2], Settings(), cancel=cancel)
    face = result.regions[0]
    cx, cy = (int(v) for v in face.center)
    assert tuple(np.asarray(Image.open(tmp_path / "b.png").convert("RGB"))[cy, cx]) == (255, 0, 0)


def test_list_media_walks_folders_as_a_batch_does(tmp_path, samples):
    (tmp_path / "DCIM" / ".thumbs").mkdir(parents=True)
    for name in ("DCIM/b.png", "a.jpg", "DCIM/.thumbs/t.jpg", ".hidden.jpg"):
        (tmp_path / name).write_bytes((samples / "astronaut.png").read_bytes())
    (tmp_path / "notes.txt").write_text("not media")
    found, skipped = blurkit.list_media([tmp_path, tmp_path / "missing.mp4", tmp_path / "notes.txt"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["DCIM/b.png", "a.jpg"]
    reasons = {s.path.relative_to(tmp_path).as_posix(): s.reason for s in skipped}
    assert reasons["DCIM/.thumbs"] == "hidden folder" and reasons[".hidden.jpg"] == "hidden file"
    assert reasons["missing.mp4"] == "no such file or folder"
    assert reasons["notes.txt"].startswith("not a photo or video")


def test_tracks_left_visible_are_honoured_by_a_fresh_run_too(cut_clip, analysis, tmp_path):
    """Detection is deterministic, so the ids of a dry run name the same tracks in a run that detects again."""
    a = track_on(analysis, 10, cut_clip.faces[10][0])
    result = blurkit.anonymize_file(cut_clip.path, tmp_path / "out.mp4", visible_tracks=[a])
    assert result.details["visible_tracks"] == [a] and a not in [r.track_id for r in result.regions]
    before, after = (blurkit.read_video_frame(p, 12) for p in (cut_clip.path, tmp_path / "out.mp4"))
    assert box_changed(before, after, cut_clip.faces[12][0]) < 0.02


def test_photo_export_with_a_memory_is_its_preview(tmp_path, samples):
    pixels = blurkit.load_photo(samples / "astronaut.png").pixels
    faces, memory = blurkit.detect_faces(pixels), TrackMemory()
    preview = blurkit.render_frame(pixels, faces, Settings(), memory=memory)
    blurkit.anonymize_file(samples / "astronaut.png", tmp_path / "a.png", regions=faces, memory=memory)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "a.png").convert("RGB")), preview)
