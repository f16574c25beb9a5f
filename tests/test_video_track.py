"""The tracker alone: detections on some frames in, a covering region for every frame out."""

from __future__ import annotations

from blurkit.regions import Region
from blurkit.track import Tracker


def face_at(frame: int, speed: float = 6.0, score: float = 0.9) -> Region:
    """A 40 px face moving right at ``speed`` px per frame."""
    x = 100 + speed * frame
    return Region(x, 50, x + 40, 90, score)


def covers(region: Region, face: Region) -> bool:
    return (
        region.x0 <= face.x0 + 2 and region.x1 >= face.x1 - 2 and region.y0 <= face.y0 + 2 and region.y1 >= face.y1 - 2
    )


def run(tracker: Tracker, detected: dict[int, list[Region]], last: int) -> list[list[Region]]:
    """Feed detections in order, asking for each frame once its look-ahead is in, like the video pipeline."""
    out = []
    for frame in range(last + 1):
        tracker.update(frame, detected.get(frame, [])) if frame in detected else None
        if frame - tracker.lead >= 0:
            out.append(tracker.regions_at(frame - tracker.lead))
            tracker.forget_before(frame - tracker.lead + 1)
    for frame in range(last + 1 - tracker.lead, last + 1):
        out.append(tracker.regions_at(frame))
    return out


def test_frames_between_detections_follow_the_face_with_one_track_id():
    detected = {f: [face_at(f)] for f in range(0, 41, 5)}
    frames = run(Tracker(hold=10, lead=8), detected, 40)
    for f in range(41):
        assert len(frames[f]) == 1
        assert covers(frames[f][0], face_at(f))
        assert frames[f][0].source == ("detector" if f % 5 == 0 else "tracker")
    assert {r.track_id for regions in frames for r in regions} == {0}


def test_a_face_is_covered_before_its_first_detection_and_held_after_its_last():
    # seen from frame 12 to 30 only, detection every 3rd frame; moving, so the frames before 12 need the
    # backward prediction, from the velocity of its first two detections (12, 15: in by the time 6 is asked)
    detected = {f: [face_at(f)] if 12 <= f <= 30 else [] for f in range(0, 61, 3)}
    frames = run(Tracker(hold=8, lead=9), detected, 60)
    for f in range(12 - 6, 30 + 8 + 1):
        assert any(covers(r, face_at(f)) for r in frames[f]), f
    assert len(frames[12 - 9]) == 1  # further back, held where it was first seen
    assert frames[12 - 10] == [] and frames[30 + 9] == []


def test_a_missed_detection_does_not_uncover_the_face():
    detected = {f: [face_at(f)] for f in range(0, 31, 3)}
    detected[15] = detected[18] = []  # the detector misses it twice in a row
    frames = run(Tracker(hold=9, lead=4), detected, 30)
    for f in range(31):
        assert len(frames[f]) == 1 and covers(frames[f][0], face_at(f)), f


def test_two_faces_crossing_keep_their_own_tracks():
    detected = {f: [face_at(f, 6), face_at(f, -6).moved(0, 60)] for f in range(0, 31, 3)}
    frames = run(Tracker(hold=9, lead=4), detected, 30)
    ids = [sorted((r.y0 > 80, r.track_id) for r in regions) for regions in frames]
    assert all(i == ids[0] for i in ids) and len(ids[0]) == 2


def test_memory_is_dropped_once_frames_are_done():
    tracker = Tracker(hold=5, lead=3)
    for f in range(0, 2000, 2):
        tracker.update(f, [face_at(0).moved(f % 7, 0)])
        tracker.forget_before(f - 3)
    assert len(tracker.tracks) == 1 and len(tracker.tracks[0].frames) <= 5


def test_a_lone_faint_detection_is_covered_briefly_a_confident_one_fully():
    faint, sure = face_at(0, score=0.2), face_at(0, score=0.8).moved(0, 100)
    frames = run(Tracker(hold=20, lead=10, brief=4), {f: [] for f in range(0, 61, 4)} | {20: [faint, sure]}, 60)
    spans = {}
    for f, regions in enumerate(frames):
        for r in regions:
            spans.setdefault(r.score, []).append(f)
    assert spans[0.2] == list(range(16, 25)) and spans[0.8] == list(range(10, 41))
