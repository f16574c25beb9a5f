"""Link face detections across the frames of one shot and cover every frame of each face.

Frames arrive in order. Each live track is first carried into the new frame by the
picture's own motion (``Mover``: optical flow between the two frames), then matched to
that frame's detections; a matched track takes the detected box. A track lives on
``hold`` frames past its last detection (misses, turned heads), moved by the flow and
grown a little per frame for the uncertainty. A new track is also carried *back* through
the frames not yet written (the look-ahead window, at most ``lead`` frames, never before
the start of its shot), so a face is covered before the detector first catches it. No
track survives a shot cut: the cut ends every track, and the new shot starts afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from blurkit.regions import Region, iou_matrix

# Where boxes (N, 4) of frame ``a`` are in frame ``b``: (N, 2) shifts, NaN where unknown.
Mover = Callable[[np.ndarray, int, int], np.ndarray]

# Margin added per frame away from a detection, and its cap.
GROWTH_PER_FRAME = 0.02
MAX_GROWTH = 1.5
# Matching: least overlap to link by IoU; else centres closer than GATE box sizes (plus GATE_PER_FRAME
# for each frame since the track's last detection), sizes within SIZE_RATIO.
MIN_IOU = 0.1
GATE = 1.0
GATE_PER_FRAME = 0.1
SIZE_RATIO = 2.0
# A track seen only once, below this score, is held (and led) for ``brief`` frames instead of hold (lead).
WEAK = 0.3
# Per frame the flow cannot follow a face, its last motion is kept but slowed by this factor.
DAMPING = 0.9


@dataclass
class Track:
    id: int
    seen: int  # frame of the last detection
    score: float  # best detection score
    detections: int = 1
    # frame -> (x0, y0, x1, y1, frames from the nearest detection, 1 if detected there)
    boxes: dict[int, np.ndarray] = field(default_factory=dict)
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))  # last shift per frame, for flow misses
    born: int = 0  # frame of the first detection
    reached_back: int = 0  # earliest frame the track was carried back to
    second_look: bool = False  # first found by the second look (the report marks all its frames)

    @property
    def confirmed(self) -> bool:
        """Seen twice, or once with some confidence: a lone faint detection is most likely not a face."""
        return self.detections > 1 or self.score >= WEAK


class Tracker:
    """``pad`` (pixels) is added on every side of every region: detector boxes jitter by a few
    pixels, which is nothing on a 200 px face but uncovers the edge of a 12 px one."""

    def __init__(self, hold: int, lead: int, mover: Mover, pad: float = 0.0, brief: int | None = None) -> None:
        self.hold, self.lead, self.pad, self.move = hold, lead, pad, mover
        self.brief = hold if brief is None else brief
        self.live: list[Track] = []
        self.ended: list[Track] = []
        self.shot_start = 0
        self.written = 0  # frames before this have been asked for and are gone
        self._frame = -1
        self._next_id = 0

    def next_frame(self, frame: int, cut: bool) -> None:
        """Carry the live tracks into ``frame`` (the frame after the last one), or end them at a cut."""
        self._frame = frame
        if cut:
            self.shot_start = frame
            self.ended += self.live
            self.live = []
            return
        keep = []
        for t in self.live:
            if frame - t.seen > (self.hold if t.confirmed else self.brief):
                self.ended.append(t)
            else:
                keep.append(t)
        self.live = keep
        if not keep:
            return
        before = np.array([t.boxes[frame - 1][:4] for t in keep])
        shifts = self.move(before, frame - 1, frame)
        for t, box, shift in zip(keep, before, shifts, strict=True):
            # where the flow loses the face (no texture), it keeps drifting as it last moved, slowing down
            t.velocity = shift if np.isfinite(shift).all() else t.velocity * DAMPING
            previous = t.boxes[frame - 1]
            t.boxes[frame] = np.array([*(box + np.tile(t.velocity, 2)), previous[4] + 1, 0])

    def update(self, frame: int, detections: list[Region]) -> None:
        """Detections found on ``frame``, the frame last passed to ``next_frame``."""
        boxes = np.array([(r.x0, r.y0, r.x1, r.y1) for r in detections], float).reshape(-1, 4)
        taken_d: set[int] = set()
        if self.live and len(detections):
            here = np.array([t.boxes[frame][:4] for t in self.live])
            gaps = np.array([frame - t.seen for t in self.live])
            taken_t: set[int] = set()
            for ti, di in self._affinity(here, boxes, GATE + GATE_PER_FRAME * gaps):
                if ti in taken_t or di in taken_d:
                    continue
                taken_t.add(ti)
                taken_d.add(di)
                t = self.live[ti]
                was_confirmed = t.confirmed
                t.boxes[frame] = np.array([*boxes[di], 0, 1])
                t.seen, t.score, t.detections = frame, max(t.score, detections[di].score), t.detections + 1
                if t.confirmed and not was_confirmed:
                    self._carry_back(t, self.lead)
        for di in range(len(detections)):
            if di in taken_d:
                continue
            row = np.array([*boxes[di], 0, 1])
            d = detections[di]
            t = Track(self._next_id, frame, d.score, boxes={frame: row}, born=frame, reached_back=frame,
                      second_look=d.source == "second-look")  # fmt: skip
            self._next_id += 1
            self.live.append(t)
            self._carry_back(t, self.lead if t.confirmed else min(self.brief, self.lead))

    def _carry_back(self, t: Track, frames: int) -> None:
        """Cover the track in the frames before its first box that are still to be written, by flow backwards."""
        stop = max(self.shot_start, self.written, t.born - frames)
        velocity = np.zeros(2)
        for f in range(t.reached_back - 1, stop - 1, -1):
            box = t.boxes[f + 1]
            shift = self.move(box[None, :4], f + 1, f)[0]
            if np.isfinite(shift).all():
                velocity = shift
            t.boxes[f] = np.array([*(box[:4] + np.tile(velocity, 2)), box[4] + 1, 0])
            t.reached_back = f

    @staticmethod
    def _affinity(predicted: np.ndarray, boxes: np.ndarray, gate: np.ndarray) -> list[tuple[int, int]]:
        """Plausible (track, detection) pairs, best first: overlapping ones, then near ones of similar size."""
        iou = iou_matrix(predicted.astype(np.float32), boxes.astype(np.float32))
        pc = (predicted[:, :2] + predicted[:, 2:]) / 2
        dc = (boxes[:, :2] + boxes[:, 2:]) / 2
        psize = np.maximum(predicted[:, 2] - predicted[:, 0], predicted[:, 3] - predicted[:, 1])
        dsize = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
        bigger = np.maximum(psize[:, None], dsize[None, :])
        dist = np.linalg.norm(pc[:, None] - dc[None, :], axis=2) / np.maximum(bigger, 1.0)
        ratio = bigger / np.maximum(np.minimum(psize[:, None], dsize[None, :]), 1.0)
        near = (dist < gate[:, None]) & (ratio <= SIZE_RATIO)
        score = np.where(iou >= MIN_IOU, iou, np.where(near, MIN_IOU * (1 - dist / gate[:, None]), -1.0))
        order = np.argsort(-score, axis=None)
        ti, di = np.unravel_index(order, score.shape)
        return [(int(t), int(d)) for t, d in zip(ti, di, strict=True) if score[t, d] > 0]

    def boxes_at(self, frame: int) -> np.ndarray:
        """(N, 4) boxes of the live tracks at ``frame`` (the last passed to ``next_frame``), where the picture's
        motion carried them: where a face is expected."""
        return np.array([t.boxes[frame][:4] for t in self.live if frame in t.boxes], float).reshape(-1, 4)

    def regions_at(self, frame: int) -> list[Region]:
        """Every tracked face at ``frame``. Final once the frames up to ``frame + lead`` are in."""
        out = []
        for t in (*self.ended, *self.live):
            row = t.boxes.get(frame)
            if row is None:
                continue
            x0, y0, x1, y1, away, detected = row
            grow = min(MAX_GROWTH, 1 + GROWTH_PER_FRAME * away)
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            hw, hh = (x1 - x0) * grow / 2 + self.pad, (y1 - y0) * grow / 2 + self.pad
            source = "second-look" if t.second_look else "detector" if detected else "tracker"
            out.append(Region(float(cx - hw), float(cy - hh), float(cx + hw), float(cy + hh), t.score, source=source,
                              track_id=t.id))  # fmt: skip
        return out

    def forget_before(self, frame: int) -> None:
        """Drop what no later query can need, so memory stays flat over hours of video."""
        self.written = max(self.written, frame)
        for t in (*self.ended, *self.live):
            for f in [f for f in t.boxes if f < frame and f < self._frame - 1]:
                del t.boxes[f]
        self.ended = [t for t in self.ended if t.boxes and max(t.boxes) >= frame]
