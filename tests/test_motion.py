"""Picture motion: boxes follow the content, and shot cuts are told apart from shake, pans and strobes."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from blurkit.detect.multiscale import scaled
from blurkit.media.ffmpeg import FrameReader, probe
from blurkit.video.motion import ShotCuts, box_shifts, frame_view
from blurkit.video.schedule import EVERY_FRAME_ROWS


def texture(seed: int, height: int = 1200, width: int = 2100) -> np.ndarray:
    """Fine detail to follow over a colour cast of its own (two shots rarely share their colours)."""
    rng = np.random.default_rng(seed)
    detail = cv2.GaussianBlur(rng.integers(0, 255, (height, width, 3), dtype=np.uint8), (0, 0), 3)
    cast = cv2.resize(rng.integers(0, 255, (3, 4, 3), dtype=np.uint8), (width, height), interpolation=cv2.INTER_CUBIC)
    return cv2.addWeighted(detail, 0.5, cast, 0.5, 0)


def view_at(picture: np.ndarray, dx: int, dy: int):
    """A 1920x1080 camera over ``picture``, moved by (dx, dy): the content moves the other way. Seen as the
    video pipeline sees it, at the every-frame pass's size."""
    scale = EVERY_FRAME_ROWS / 1080
    return frame_view(scaled(picture[60 + dy : 1140 + dy, 90 + dx : 2010 + dx], scale), scale)


def test_boxes_move_with_the_picture_wherever_they_are() -> None:
    picture = texture(1)
    a, b = view_at(picture, 0, 0), view_at(picture, -25, 14)  # a handheld jolt: 25 px right, 14 up
    boxes = np.array([[100, 100, 112, 112], [900, 500, 1100, 700], [1700, 950, 1780, 1030]], float)
    for shifts in (box_shifts(a, b, boxes), box_shifts(a, b, boxes[1:2])):
        assert np.allclose(shifts, [25, -14], atol=0.5), shifts


def test_cuts_are_found_and_shake_is_not_a_cut() -> None:
    one, two = texture(1), texture(2)
    cuts = ShotCuts()
    found = []
    for f in range(60):
        shake = round(30 * np.sin(2 * np.pi * 2 * f / 25))
        found.append(cuts.is_cut(view_at(one if f < 30 else two, shake, shake // 2)))
    assert [f for f, cut in enumerate(found) if cut] == [0, 30]


def test_a_strobe_is_not_a_cut_on_every_frame() -> None:
    picture = texture(3)
    cuts = ShotCuts()
    bright = [f % 2 == 1 for f in range(40)]
    found = [cuts.is_cut(frame_view(cv2.convertScaleAbs(picture[:432, :768], alpha=1.6 if b else 0.6))) for b in bright]
    assert sum(found[5:]) == 0


def test_the_film_clip_cuts(shared_data: Path) -> None:
    clip = shared_data / "video" / "tears-of-steel-cuts.mp4"
    info = probe(clip).info
    cuts = ShotCuts()
    with FrameReader(clip, info.width, info.height) as reader:
        scale = EVERY_FRAME_ROWS / info.height
        found = [frame.index for frame in reader if cuts.is_cut(frame_view(scaled(frame.pixels, scale), scale))]
    # the cuts, checked by eye; frames 192-205 strobe on twos (bright, bright, dark, dark): only the onset of
    # each look counts as new, once, and a cut that is not one costs a full detection, never a face
    assert found[:4] == [0, 21, 65, 185] and all(192 <= f <= 194 for f in found[4:]) and len(found) <= 6


def test_boxes_off_the_picture_come_back_as_lost() -> None:
    picture = texture(4)
    a, b = view_at(picture, 0, 0), view_at(picture, 3, 0)
    boxes = np.array([[2500, 300, 2600, 400], [-400, -300, -300, -200], [900, 500, 1000, 600]], float)
    shifts = box_shifts(a, b, boxes)
    assert np.isnan(shifts[:2]).all() and np.allclose(shifts[2], [-3, 0], atol=0.5)
