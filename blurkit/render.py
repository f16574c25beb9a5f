"""One frame as the saved file shows it. The photo export, the video encoder and every preview draw
through ``render_frame``, so what a front end shows is what is written."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from blurkit.obscure import FORGET_FRAMES, TrackMemory, _key, mask_regions, obscure
from blurkit.regions import Region
from blurkit.settings import Settings

# Modes whose fill a face keeps from the frame it first appeared in (TrackMemory's cells).
HELD_MODES = ("pixelate", "blur")


def render_frame(
    pixels: np.ndarray,
    regions: Sequence[Region],
    settings: Settings | None = None,
    frame: int | None = None,
    memory: TrackMemory | None = None,
    *,
    regions_at: Callable[[int], Sequence[Region]] | None = None,
    pixels_at: Callable[[int], np.ndarray] | None = None,
) -> np.ndarray:
    """``pixels`` (upright RGB) with ``regions`` obscured, as frame ``frame`` of an export with ``memory``.

    The export meets every frame in order; a preview jumps into the middle of a face's frames. In
    pixelate and blur a face keeps the cells of the frame it first appeared in, so a preview passes
    ``regions_at`` and ``pixels_at`` (the same video's regions and pixels by frame) and that frame is
    looked up first: the preview then shows the pixels the export writes."""
    settings = settings or Settings()
    if memory is not None and frame is not None and regions_at and pixels_at and settings.mode in HELD_MODES:
        height, width = pixels.shape[:2]
        for mask in mask_regions(regions, settings, width, height, frame):
            if not memory.holds(mask):
                first = _first_seen(mask, frame, regions_at, settings, width, height)
                if first is not None:
                    index, region = first
                    obscure(pixels_at(index), [region], settings, frame=index, memory=memory)
    return obscure(pixels, regions, settings, frame=frame, memory=memory)


def _first_seen(
    mask: Region,
    frame: int,
    regions_at: Callable[[int], Sequence[Region]],
    settings: Settings,
    width: int,
    height: int,
) -> tuple[int, Region] | None:
    """The earlier frame (and the region there) where the export first obscured ``mask``'s face
    without losing it since (a memory forgets a face unseen for FORGET_FRAMES); None if it is this one."""
    key, first, gap = _key(mask), None, 0
    for index in range(frame - 1, -1, -1):
        if gap > FORGET_FRAMES:
            break
        same = [r for r in regions_at(index) if _mask_keys(r, settings, width, height, index) == [key]]
        first, gap = ((index, same[0]), 0) if same else (first, gap + 1)
    return first


def _mask_keys(r: Region, settings: Settings, width: int, height: int, frame: int) -> list[tuple[int, ...]]:
    return [_key(m) for m in mask_regions([r], settings, width, height, frame)]
