"""The tracker alone: detections and picture motion in, a covering region for every frame out."""

from __future__ import annotations

import numpy as np

from blurkit.regions import Region
from blurkit.video.track import Tracker


def face_at(frame: int, speed: float = 6.0, score: float = 0.9, y: float = 50) -> Region:
    """A 40 px face moving right at ``speed`` px per frame."""
    x = 100 + speed * frame
    return Region(x, y, x + 40, y + 40, score)


def covers(region: Region, face: Region) -> bool:
    return (
        region.x0 <= face.x0 + 2 and region.x1 >= face.x1 - 2 and region.y0 <= face.y0 + 2 and region.y1 >= face.y1 - 2
    )


def picture_moving(speed: float):
    """A mover for a picture that slides right by ``speed`` px per frame (the flow the pipeline would measure)."""

    def move(boxes: np.ndarray, a: int, b: int) -> np.ndarray:
        return np.tile([speed * (b - a), 0.0], (len(boxes), 1))

    return move


def run(
    tracker: Tracker, detected: dict[int, list[Region]], last: int, cuts: tuple[int, ...] = ()
) -> list[list[Region]]:
    """Feed frames in order, asking for each frame once its look-ahead is in, like the video pipeline."""
    out = []
    for frame in range(last + 1):
        tracker.next_frame(frame, frame == 0 or frame in cuts)
        tracker.update(frame, detected.get(frame, []))
        if frame - tracker.lead >= 0:
            out.append(tracker.regions_at(frame - tracker.lead))
            tracker.forget_before(frame - tracker.lead + 1)
    for frame in range(last + 1 - tracker.lead, last + 1):
        out.append(tracker.regions_at(frame))
    return out


def test_masks_follow_the_picture_between_detections_with_one_track_id():
    detected = {f: [face_at(f)] for f in range(0, 41, 8)}
    frames = run(Tracker(hold=10, lead=8, mover=picture_moving(6.0)), detected, 40)
    for f in range(41):
        assert len(frames[f]) == 1
        assert covers(frames[f][0], face_at(f)), f
        assert frames[f][0].source == ("detector" if f % 8 == 0 else "tracker")
    assert {r.track_id for regions in frames for r in regions} == {0}


def test_a_shaking_face_is_followed_by_the_flow_not_by_a_straight_line():
    shake = [30 * np.sin(2 * np.pi * 2 * f / 25) for f in range(49)]
    face = [Region(300 + s, 100, 340 + s, 140, 0.9) for s in shake]

    def move(boxes: np.ndarray, a: int, b: int) -> np.ndarray:
        return np.tile([shake[b] - shake[a], 0.0], (len(boxes), 1))

    frames = run(Tracker(hold=25, lead=8, mover=move), {f: [face[f]] for f in range(0, 49, 8)}, 48)
    for f in range(49):
        assert any(covers(r, face[f]) for r in frames[f]), f


def test_a_face_is_covered_before_its_first_detection_and_held_after_its_last():
    detected = {f: [face_at(f)] if 12 <= f <= 30 else [] for f in range(61)}
    frames = run(Tracker(hold=8, lead=9, mover=picture_moving(6.0)), detected, 60)
    for f in range(12 - 9, 30 + 8 + 1):
        assert any(covers(r, face_at(f)) for r in frames[f]), f
    assert frames[12 - 10] == [] and frames[30 + 9] == []


def test_where_the_flow_is_lost_the_mask_keeps_its_last_motion():
    lost_after = 20

    def move(boxes: np.ndarray, a: int, b: int) -> np.ndarray:
        shift = [6.0 * (b - a), 0.0] if max(a, b) <= lost_after else [np.nan, np.nan]
        return np.tile(shift, (len(boxes), 1))

    detected = {f: [face_at(f)] for f in range(0, 17, 8)}
    frames = run(Tracker(hold=10, lead=4, mover=move), detected, 30)
    for f in range(0, 24):  # slowed by damping, the growing margin still keeps up for a few frames
        assert any(covers(r, face_at(f)) for r in frames[f]), f


def test_a_missed_detection_does_not_uncover_the_face():
    detected = {f: [face_at(f)] for f in range(31)}
    for f in range(12, 19):
        detected[f] = []  # the detector misses it for 7 frames in a row
    frames = run(Tracker(hold=9, lead=4, mover=picture_moving(6.0)), detected, 30)
    for f in range(31):
        assert len(frames[f]) == 1 and covers(frames[f][0], face_at(f)), f


def test_no_track_survives_a_cut():
    # person A until frame 19; from the cut at 20, person B close by; the detector sees B only from frame 22
    a = Region(100, 100, 160, 160, 0.9)
    b = a.moved(90, 0)
    detected = {f: [a] for f in range(20)} | {f: [b] for f in range(22, 40)}
    frames = run(Tracker(hold=25, lead=6, mover=picture_moving(0.0)), detected, 39, cuts=(20,))
    for f in range(20):
        assert [covers(r, a) for r in frames[f]] == [True], f
    for f in range(20, 40):  # nothing lingers where A was; B is covered from the first frame of its shot
        assert not any(covers(r, a) for r in frames[f]), f
        assert any(covers(r, b) for r in frames[f]), f
    assert len({r.track_id for regions in frames[:20] for r in regions} & {r.track_id for r in frames[25]}) == 0


def test_the_look_ahead_stops_at_the_start_of_the_shot():
    b = Region(300, 100, 360, 160, 0.9)
    detected = {f: [b] for f in range(25, 40)}
    frames = run(Tracker(hold=25, lead=10, mover=picture_moving(0.0)), detected, 39, cuts=(20,))
    for f in range(20, 40):
        assert any(covers(r, b) for r in frames[f]), f
    for f in range(20):
        assert frames[f] == [], f


def test_two_faces_crossing_keep_their_own_tracks():
    def move(boxes: np.ndarray, a: int, b: int) -> np.ndarray:
        return np.stack([np.where(boxes[:, 1] < 80, 6.0, -6.0) * (b - a), np.zeros(len(boxes))], axis=1)

    detected = {f: [face_at(f, 6), face_at(f, -6, y=110)] for f in range(0, 31, 3)}
    frames = run(Tracker(hold=9, lead=4, mover=move), detected, 30)
    ids = [sorted((r.y0 > 80, r.track_id) for r in regions) for regions in frames]
    assert all(i == ids[0] for i in ids) and len(ids[0]) == 2


def test_memory_is_dropped_once_frames_are_done():
    tracker = Tracker(hold=5, lead=3, mover=picture_moving(0.0))
    for f in range(2000):
        tracker.next_frame(f, f % 500 == 0)
        tracker.update(f, [face_at(0).moved(f % 7, 0)] if f % 2 == 0 else [])
        tracker.forget_before(f - 3)
    kept = [t for t in (*tracker.live, *tracker.ended)]
    assert len(kept) == 1 and len(kept[0].boxes) <= 6


def test_a_lone_faint_detection_is_covered_briefly_a_confident_one_fully():
    faint, sure = face_at(0, score=0.2), face_at(0, score=0.8).moved(0, 100)
    tracker = Tracker(hold=20, lead=10, mover=picture_moving(0.0), brief=4)
    frames = run(tracker, {20: [faint, sure]}, 60)
    spans: dict[float, list[int]] = {}
    for f, regions in enumerate(frames):
        for r in regions:
            spans.setdefault(r.score, []).append(f)
    assert spans[0.2] == list(range(16, 25)) and spans[0.8] == list(range(10, 41))
