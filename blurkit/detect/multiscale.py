"""Run a backend at several image scales and in tiles, then merge the passes.

Protest faces are mostly 10-25 px wide; CenterFace finds them when the image is
upscaled. Large passes are tiled so memory stays bounded, an overview pass
catches faces too large for one tile, and a close-up pass faces that fill the picture.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Protocol

import cv2
import numpy as np

from blurkit.regions import Region, merge_overlapping, strongest

TILE = 2048
OVERLAP = 256
OVERVIEW_SIDE = 1024
# A network's working memory grows with its input (CenterFace: about 380 MB at 1920x1088), so a tile
# larger than BAND_PIXELS runs as horizontal bands overlapping by BAND_OVERLAP rows. A face taller than
# the overlap and cut by a seam is found whole at a coarser scale or by the overview pass.
BAND_PIXELS = 1_300_000
BAND_OVERLAP = 96
# A face that fills the picture (a close-up, a selfie) is out of CenterFace's range at the fine scales: its box
# stops growing at about 500 px of the network's input and its score falls (Grace Hopper's face filling 95 % of
# a 1500 px square: 0.22, its box half the face, a cheek and an eye left uncovered). So the photo search of a
# picture whose short side is over 1.5x CLOSE_UP_SIDE at its coarsest scale (``close_up``) adds a pass with that side
# CLOSE_UP_SIDE px long (``close_ups``), where a face filling the picture is under 300 px and scores 0.7-0.9
# with its whole box. It costs a few percent of a photo's search. Video does without: its every-frame pass sees
# the whole frame 432 px high, where such a face is in range, and the close-up pass on its full searches cost
# 27-37 % more CPU at 540p and 720p.
CLOSE_UP_SIDE = 320
# Least score of a close-up find. A face filling the picture scores 0.7-0.9 there in its own orientation; the
# pass's false alarms (a dress, a shoulder) score 0.13-0.45 with boxes a third of the picture wide. On the 304
# wider-dev photos: from 0.2, one more labelled face covered (half hidden, 531x784 px, 0.25) for collateral
# 0.083 -> 0.089 (masks over a third of three photos); from 0.5, the same faces for 0.083 -> 0.085.
CLOSE_UP_THRESHOLD = 0.5


class Backend(Protocol):
    name: str

    def detect(self, image: np.ndarray) -> list[Region]: ...


def tiles(width: int, height: int, tile: int = TILE, overlap: int = OVERLAP) -> Iterator[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) windows covering the image, overlapping so no face is cut in all of them."""
    step = tile - overlap
    xs = range(0, max(width - overlap, 1), step) if width > tile else [0]
    ys = range(0, max(height - overlap, 1), step) if height > tile else [0]
    for y in ys:
        for x in xs:
            yield from _bands(x, y, min(x + tile, width), min(y + tile, height))


def _bands(x0: int, y0: int, x1: int, y1: int) -> Iterator[tuple[int, int, int, int]]:
    n = -(-(x1 - x0) * (y1 - y0) // BAND_PIXELS)
    if n <= 1:
        yield x0, y0, x1, y1
        return
    step = -(-(y1 - y0) // n)
    for top in range(y0, y1, step):
        yield x0, max(y0, top - BAND_OVERLAP // 2), x1, min(y1, top + step + BAND_OVERLAP // 2)


def scaled(image: np.ndarray, scale: float) -> np.ndarray:
    """The image as a detector sees it at ``scale`` (at least 32 px a side)."""
    h, w = image.shape[:2]
    sw, sh = max(32, round(w * scale)), max(32, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return image if (sw, sh) == (w, h) else cv2.resize(image, (sw, sh), interpolation=interp)


def detect_at_scale(backend: Backend, image: np.ndarray, scale: float) -> list[Region]:
    h, w = image.shape[:2]
    scaled_image = scaled(image, scale)
    sh, sw = scaled_image.shape[:2]
    fx, fy = w / sw, h / sh
    found = []
    for x0, y0, x1, y1 in tiles(sw, sh):
        for r in backend.detect(scaled_image[y0:y1, x0:x1]):
            found.append(r.moved(x0, y0).moved(0, 0, fx, fy))
    return found


def turned(image: np.ndarray, turn: int) -> np.ndarray:
    """``image`` turned ``turn`` degrees clockwise (a multiple of 90); OpenCV needs the pixels contiguous."""
    return image if turn % 360 == 0 else np.ascontiguousarray(np.rot90(image, k=-(turn // 90) % 4))


def unturned(r: Region, turn: int, width: int, height: int) -> Region:
    """A region found in ``turned(image, turn)`` in the coordinates of ``image`` (``width`` x ``height``). A
    quarter turn swaps the box's sides, so its mask is the turned face's own ellipse, not one drawn upright
    around it; half a turn keeps them (an ellipse or a box is the same upside down)."""
    turn %= 360
    if turn == 90:
        return replace(r, x0=r.y0, x1=r.y1, y0=height - r.x1, y1=height - r.x0)
    if turn == 180:
        return replace(r, x0=width - r.x1, x1=width - r.x0, y0=height - r.y1, y1=height - r.y0)
    if turn == 270:
        return replace(r, x0=width - r.y1, x1=width - r.y0, y0=r.x0, y1=r.x1)
    return r


def detect_multiscale(
    backends: list[Backend], image: np.ndarray, plan: dict[int, tuple[float, ...]], close_up: bool = False
) -> list[Region]:
    """Every face found in ``image`` turned by each turn of ``plan`` (degrees clockwise) and searched there at
    that turn's scales, merged; with ``close_up``, also ``close_ups`` of each turn when its coarsest scale leaves
    a face filling the picture out of range. The detector finds faces within about 45 degrees of upright, so
    turns 0, 90, 180 and 270 find them at any roll. Each turn costs what an upright search at its scales costs."""
    h, w = image.shape[:2]
    found, close = [], []
    for turn, scales in plan.items():
        steps = list(scales)
        if scales and max(h, w) * max(scales) > TILE:
            steps.append(OVERVIEW_SIDE / max(h, w))
        view = turned(image, turn)
        found += [unturned(r, turn, w, h) for b in backends for s in steps for r in detect_at_scale(b, view, s)]
        if close_up and scales and min(h, w) * min(scales) > 1.5 * CLOSE_UP_SIDE:
            close += [unturned(r, turn, w, h) for b in backends for r in close_ups(b, view)]
    return merge_overlapping(found + strongest(close))


def close_ups(backend: Backend, image: np.ndarray) -> list[Region]:
    """Faces at least half the picture's short side, from CLOSE_UP_THRESHOLD, in the pass with that side
    CLOSE_UP_SIDE px long. Its smaller finds are left to the fine scales, which see them sharper and box them
    better (on 12 wider-dev photos it found 255 of its 270 faces under a quarter of that side, mostly in
    crowds; Grace Hopper's portrait face, 0.39 of it, is boxed well by the fine scales)."""
    short = min(image.shape[:2])
    found = detect_at_scale(backend, image, CLOSE_UP_SIDE / short)
    return [r for r in found if r.score >= CLOSE_UP_THRESHOLD and max(r.width, r.height) >= short / 2]
