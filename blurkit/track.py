"""Link face detections across video frames and cover the frames between them.

Detection runs on some frames only (every k-th, for speed) and misses a face
now and then. A track covers its face in every frame from ``lead`` frames
before its first detection to ``hold`` frames after its last one: linear
interpolation between its detections, constant-velocity prediction with a
growing margin outside them. The caller asks for a frame only after handing
over the detections of the ``lead`` frames that follow it (the look-ahead), so
a face is covered before the detector first catches it and never flashes.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

import numpy as np

from blurkit.regions import Region, iou_matrix

# Margin added per frame of prediction away from a detection, and its cap.
GROWTH_PER_FRAME = 0.03
MAX_GROWTH = 1.6
# A prediction moves at most this share of the box size per frame (guards against wild velocities).
MAX_STEP = 0.35
# Matching: least overlap to link by IoU; else centres closer than GATE box sizes (plus GATE_PER_FRAME
# for each frame since the track's last detection: small faces move more than their size), sizes within SIZE_RATIO.
MIN_IOU = 0.1
GATE = 1.0
GATE_PER_FRAME = 0.1
SIZE_RATIO = 2.0
# A track seen only once, below this score, is held (and led) for ``brief`` frames instead of hold (lead).
WEAK = 0.3


@dataclass
class Track:
    id: int
    frames: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)  # (4,) x0, y0, x1, y1
    scores: list[float] = field(default_factory=list)

    @property
    def confirmed(self) -> bool:
        """Seen twice, or once with some confidence: a lone faint detection is most likely not a face."""
        return len(self.frames) > 1 or self.scores[0] >= WEAK

    def add(self, frame: int, box: np.ndarray, score: float) -> None:
        self.frames.append(frame)
        self.boxes.append(box)
        self.scores.append(score)

    def velocity(self, at_start: bool) -> np.ndarray:
        """Per-frame motion of the box edges from the two detections at the start or the end."""
        if len(self.frames) < 2:
            return np.zeros(4)
        a, b = (0, 1) if at_start else (-2, -1)
        v = (self.boxes[b] - self.boxes[a]) / (self.frames[b] - self.frames[a])
        size = max(self.boxes[b][2] - self.boxes[b][0], self.boxes[b][3] - self.boxes[b][1], 1.0)
        return np.clip(v, -MAX_STEP * size, MAX_STEP * size)

    def predict(self, frame: int, from_index: int, velocity: np.ndarray) -> np.ndarray:
        """The box at ``frame`` extrapolated from detection ``from_index``, grown with the distance."""
        n = frame - self.frames[from_index]
        box = self.boxes[from_index] + velocity * n
        grow = min(MAX_GROWTH, 1 + GROWTH_PER_FRAME * abs(n))
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        hw, hh = (box[2] - box[0]) * grow / 2, (box[3] - box[1]) * grow / 2
        return np.array([cx - hw, cy - hh, cx + hw, cy + hh])


class Tracker:
    """``pad`` (pixels) is added on every side of every region: detector boxes jitter by a few
    pixels, which is nothing on a 200 px face but uncovers the edge of a 12 px one."""

    def __init__(self, hold: int, lead: int, pad: float = 0.0, brief: int | None = None) -> None:
        self.hold, self.lead, self.pad = hold, lead, pad
        self.brief = hold if brief is None else brief
        self.tracks: list[Track] = []
        self._next_id = 0

    def update(self, frame: int, detections: list[Region]) -> None:
        """Detections found on ``frame``; frames must come in increasing order."""
        live = [t for t in self.tracks if frame - t.frames[-1] <= self.hold]
        boxes = np.array([(r.x0, r.y0, r.x1, r.y1) for r in detections], float).reshape(-1, 4)
        if live and len(detections):
            predicted = np.array([t.predict(frame, -1, t.velocity(False)) for t in live])
            gaps = np.array([frame - t.frames[-1] for t in live])
            pairs = self._affinity(predicted, boxes, GATE + GATE_PER_FRAME * gaps)
            taken_t, taken_d = set(), set()
            for ti, di in pairs:
                if ti not in taken_t and di not in taken_d:
                    live[ti].add(frame, boxes[di], detections[di].score)
                    taken_t.add(ti)
                    taken_d.add(di)
            new = [i for i in range(len(detections)) if i not in taken_d]
        else:
            new = list(range(len(detections)))
        for i in new:
            track = Track(self._next_id)
            self._next_id += 1
            track.add(frame, boxes[i], detections[i].score)
            self.tracks.append(track)

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

    def regions_at(self, frame: int) -> list[Region]:
        """Every tracked face at ``frame``. Valid once the detections up to ``frame + lead`` are in."""
        out = []
        for t in self.tracks:
            i = bisect_right(t.frames, frame)  # detections before: [:i], after: [i:]
            box = source = None
            if i and t.frames[i - 1] == frame:
                box, source, score = t.boxes[i - 1], "detector", t.scores[i - 1]
            elif 0 < i < len(t.frames):
                a, b = t.frames[i - 1], t.frames[i]
                w = (frame - a) / (b - a)
                box, source, score = t.boxes[i - 1] * (1 - w) + t.boxes[i] * w, "tracker", min(t.scores[i - 1 : i + 1])
            elif i and frame - t.frames[-1] <= (self.hold if t.confirmed else self.brief):
                box, source, score = t.predict(frame, -1, t.velocity(False)), "tracker", t.scores[-1]
            elif not i and t.frames[0] - frame <= (self.lead if t.confirmed else min(self.brief, self.lead)):
                box, source, score = t.predict(frame, 0, t.velocity(True)), "tracker", t.scores[0]
            if box is not None:
                x0, y0, x1, y1 = (float(v) for v in box + np.array([-1, -1, 1, 1]) * self.pad)
                out.append(Region(x0, y0, x1, y1, score, source=source, track_id=t.id))
        return out

    def forget_before(self, frame: int) -> None:
        """Drop what no query at ``frame`` or later can need, so memory stays flat over hours of video."""
        kept = []
        for t in self.tracks:
            if frame - t.frames[-1] > self.hold:
                continue
            i = bisect_right(t.frames, frame) - 1
            if i > 1:  # keep the detection before ``frame`` and the one before that (velocity)
                del t.frames[: i - 1], t.boxes[: i - 1], t.scores[: i - 1]
            kept.append(t)
        self.tracks = kept
