"""The second look: after obscuring, a detection on the OUTPUT that fails differently from the main pass.

It runs CenterFace on the obscured picture (obscured as the output is, with a fixed noise pattern so that
the same picture always gives the same finds) mirrored left to right, at the main pass's scale nearest the
picture's own size. A convolutional detector is not symmetric, so a face it scores too low one way round
can pass the other way. A find counts only outside every mask (an obscured face still looks like a head
to a detector: erased patches score up to about 0.7) and from SECOND_LOOK_THRESHOLD up, which keeps its
false alarms, and so the area it covers needlessly, small.

Measured on wider-dev by benchmarks/second_look_bench.py against rotated (+-25 degrees), rescaled (0.5 to
2x), contrast-stretched and brightened looks and MediaPipe's BlazeFace in tiles (README, "How well it
works"): this one gains the most recall for the collateral and time it costs, which is little of either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from blurkit.detect import detect_turned
from blurkit.obscure import TrackMemory, mask_of, mask_regions
from blurkit.regions import Region
from blurkit.render import render_frame
from blurkit.settings import Settings

# Least score of a second-look find (the main pass takes 0.13): lower ones cost more area than they cover.
SECOND_LOOK_THRESHOLD = 0.2
# A find whose box lies at least this much inside a mask is a face (or a patch) already covered.
COVERED = 0.5


def look(pixels: np.ndarray, settings: Settings) -> list[Region]:
    """Every face the second look finds in an upright RGB picture, marked as its finds. Upright only, as in
    video: the main pass searches every turn as it searches upright. Turned copies here too cost a photo 15 %
    more CPU and covered one face more upright and one more at 90 degrees, of about 190 each (19 wider-dev
    photos in four turns)."""
    width = pixels.shape[1]
    scale = min(settings.scales, key=lambda s: abs(math.log(s)))
    mirrored = detect_turned(np.ascontiguousarray(pixels[:, ::-1]), settings, (scale,), (0,))
    threshold = max(settings.threshold, SECOND_LOOK_THRESHOLD)
    return [
        replace(r, x0=width - r.x1, x1=width - r.x0, source="second-look") for r in mirrored if r.score >= threshold
    ]


def outside(
    finds: Sequence[Region], regions: Sequence[Region], settings: Settings, shape: tuple[int, ...]
) -> list[Region]:
    """The ``finds`` lying mostly outside the masks of ``regions`` (in a picture of ``shape``)."""
    height, width = shape[:2]
    return outside_mask(finds, mask_of(shape, mask_regions(regions, settings, width, height)))


def outside_mask(finds: Sequence[Region], inside: np.ndarray) -> list[Region]:
    """The ``finds`` lying mostly outside ``inside`` (a picture's mask, true where it is covered)."""
    height, width = inside.shape[:2]
    kept = []
    for r in finds:
        c = r.clipped(width, height)
        x0, y0, x1, y1 = int(c.x0), int(c.y0), math.ceil(c.x1), math.ceil(c.y1)
        if x1 > x0 and y1 > y0 and inside[y0:y1, x0:x1].mean() < COVERED:
            kept.append(r)
    return kept


def second_look(pixels: np.ndarray, regions: Sequence[Region], settings: Settings) -> list[Region]:
    """Faces the main pass missed: what the look finds in ``pixels`` with ``regions`` obscured, outside their
    masks. The picture is obscured as the output is, but with a fixed noise pattern: the output's own noise is
    drawn afresh each run, and a face at a mask's edge could be found in one run and not the next; this
    picture is never written, so a fixed pattern reveals nothing."""
    looked = render_frame(pixels, regions, settings, memory=TrackMemory(secret=0))
    return outside(look(looked, settings), regions, settings, pixels.shape)
