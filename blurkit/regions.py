"""The one region type that flows through blurkit.

Detectors produce regions, trackers link them (``track_id``), obscurers consume
them, reports serialise them and the GUI edits them. Coordinates are pixels in
the upright image, ``x0, y0`` inclusive and ``x1, y1`` exclusive.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Literal

import numpy as np

Shape = Literal["ellipse", "box"]
# "second-look": missed by the main pass, found by the look at the obscured output (``blurkit.second_look``).
Source = Literal["detector", "tracker", "manual", "second-look"]


@dataclass(frozen=True)
class Region:
    x0: float
    y0: float
    x1: float
    y1: float
    score: float = 1.0
    shape: Shape = "ellipse"
    source: Source = "detector"
    track_id: int | None = None
    # Inclusive frame range for video; None means every frame (and photos).
    frames: tuple[int, int] | None = None

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def center(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2

    def scaled(self, factor: float) -> Region:
        """Grow (or shrink) about the centre, e.g. to cover hair, ears and chin."""
        cx, cy = self.center
        hw, hh = self.width * factor / 2, self.height * factor / 2
        return replace(self, x0=cx - hw, y0=cy - hh, x1=cx + hw, y1=cy + hh)

    def moved(self, dx: float, dy: float, sx: float = 1.0, sy: float = 1.0) -> Region:
        """Map through ``x' = x * sx + dx`` (used to undo tiling and resizing)."""
        return replace(self, x0=self.x0 * sx + dx, y0=self.y0 * sy + dy, x1=self.x1 * sx + dx, y1=self.y1 * sy + dy)

    def clipped(self, width: int, height: int) -> Region:
        return replace(
            self,
            x0=min(max(self.x0, 0.0), width),
            y0=min(max(self.y0, 0.0), height),
            x1=min(max(self.x1, 0.0), width),
            y1=min(max(self.y1, 0.0), height),
        )

    def in_frame(self, index: int) -> bool:
        return self.frames is None or self.frames[0] <= index <= self.frames[1]

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("x0", "y0", "x1", "y1", "score"):
            d[k] = round(float(d[k]), 2 if k != "score" else 4)
        if d["frames"] is not None:
            d["frames"] = list(d["frames"])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Region:
        d = dict(d)
        if d.get("frames") is not None:
            d["frames"] = tuple(d["frames"])
        return cls(**d)


def boxes_of(regions: list[Region]) -> np.ndarray:
    """(N, 4) float array of x0, y0, x1, y1."""
    if not regions:
        return np.zeros((0, 4), np.float32)
    return np.array([(r.x0, r.y0, r.x1, r.y1) for r in regions], np.float32)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection over union of two (N, 4) and (M, 4) box arrays."""
    ix0 = np.maximum(a[:, None, 0], b[None, :, 0])
    iy0 = np.maximum(a[:, None, 1], b[None, :, 1])
    ix1 = np.minimum(a[:, None, 2], b[None, :, 2])
    iy1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-6)


def merge_overlapping(regions: list[Region], iou: float = 0.3) -> list[Region]:
    """Non-maximum suppression that keeps the best-scored box of each cluster,
    stretched halfway toward the cluster's union: merging passes should add
    coverage, but one loose duplicate should not balloon the mask."""
    if len(regions) < 2:
        return list(regions)
    order = sorted(range(len(regions)), key=lambda i: -regions[i].score)
    boxes = boxes_of(regions)[order]
    overlaps = iou_matrix(boxes, boxes)
    taken = np.zeros(len(order), bool)
    merged = []
    for i in range(len(order)):
        if taken[i]:
            continue
        # every earlier box is taken by now; a zero-area box overlaps nothing, not even itself
        cluster = np.union1d(np.flatnonzero(~taken & (overlaps[i] >= iou)), [i])
        taken[cluster] = True
        best = regions[order[i]]
        x0, y0 = boxes[cluster, 0].min(), boxes[cluster, 1].min()
        x1, y1 = boxes[cluster, 2].max(), boxes[cluster, 3].max()
        merged.append(
            replace(
                best,
                x0=float((best.x0 + x0) / 2),
                y0=float((best.y0 + y0) / 2),
                x1=float((best.x1 + x1) / 2),
                y1=float((best.y1 + y1) / 2),
            )
        )
    return merged


def strongest(regions: list[Region], iou: float = 0.3) -> list[Region]:
    """Plain non-maximum suppression: each region that no better-scored one overlaps, its box as found (where
    ``merge_overlapping`` stretches it toward its cluster). The close-up pass keeps a face's own orientation's
    box so: it is found less surely in the picture's other turns, boxed in other shapes (an upright face
    filling 459 px of a picture: 0.88 upright, 0.58 upside down in a box 831 px high)."""
    order = sorted(regions, key=lambda r: -r.score)
    kept: list[Region] = []
    for r in order:
        if not kept or iou_matrix(boxes_of([r]), boxes_of(kept)).max() < iou:
            kept.append(r)
    return kept
