"""How the picture changes from one frame to the next: shot cuts, and where boxes moved.

Both work on a small grey copy of each frame, made once (``FrameView``). Boxes are moved
by the median pyramidal Lucas-Kanade flow of a few points inside them, so a mask between
two detections follows the face through a handheld shake or a sudden turn instead of
sliding on a straight line between detections.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

WIN = (15, 15)
LEVELS = 3
# Points followed per box (GRID x GRID over its inner part) and how many must be followed to trust the median.
GRID = 4
MIN_POINTS = 3
LK_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 10, 0.03)
# How far (flow pixels) the pyramid search can reach from a point: the patch flow needs around the points.
REACH = WIN[0] * 2**LEVELS
# Cut detection compares THUMB-sized copies: a cut when a frame differs from each of the last CUT_BACK
# frames (a strobe or a flash returns to a look seen a few frames before; a new shot does not) by a mean
# absolute difference (0-255) above CUT_MIN and CUT_RATIO times the typical such difference of the last
# CUT_HISTORY frames (fast pans change every frame a lot, and are not cuts). Measured on the shared
# clips: cuts 27-76, other frames <= 13.
THUMB = (48, 27)
CUT_BACK = 4
CUT_MIN = 18.0
CUT_RATIO = 3.0
CUT_HISTORY = 24


@dataclass(frozen=True)
class FrameView:
    """What motion and cut detection need of one frame, computed once."""

    grey: np.ndarray
    scale: float  # flow pixels per frame pixel
    thumb: np.ndarray  # THUMB-sized float32 RGB


def frame_view(image: np.ndarray, scale: float = 1.0) -> FrameView:
    """``image`` is the frame as flow should see it, ``scale`` times the frame's size (the video pipeline
    passes the small copy its every-frame detection sees, so each frame is shrunk once)."""
    thumb = cv2.resize(image, THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
    return FrameView(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), scale, thumb)


def box_shifts(a: FrameView, b: FrameView, boxes: np.ndarray) -> np.ndarray:
    """(N, 2) shift in frame pixels of each (x0, y0, x1, y1) box from frame ``a`` to frame ``b``;
    NaN where too few of its points could be followed (no texture, or gone off the picture)."""
    n = len(boxes)
    if n == 0:
        return np.zeros((0, 2))
    steps = np.linspace(0.2, 0.8, GRID)
    xs = boxes[:, 0:1] + (boxes[:, 2:3] - boxes[:, 0:1]) * steps  # (N, GRID)
    ys = boxes[:, 1:2] + (boxes[:, 3:4] - boxes[:, 1:2]) * steps
    points = np.stack(np.broadcast_arrays(xs[:, None, :], ys[:, :, None]), axis=-1).reshape(-1, 1, 2) * a.scale
    # flow only over the part of the picture the points can reach (one face: a small patch, not the frame)
    h, w = a.grey.shape
    # (boxes drifted off the picture keep a patch at its edge; their points come back as lost)
    low, high = points.reshape(-1, 2).min(axis=0), points.reshape(-1, 2).max(axis=0)
    x0, y0 = min(max(0, int(low[0]) - REACH), w - 1), min(max(0, int(low[1]) - REACH), h - 1)
    x1, y1 = int(high[0]) + REACH, int(high[1]) + REACH
    x1, y1 = min(w, max(x1, x0 + 1)), min(h, max(y1, y0 + 1))
    origin = np.array([x0, y0], np.float32)
    moved, status, _ = cv2.calcOpticalFlowPyrLK(
        a.grey[y0:y1, x0:x1], b.grey[y0:y1, x0:x1], (points - origin).astype(np.float32), None,
        winSize=WIN, maxLevel=LEVELS, criteria=LK_CRITERIA,
    )  # fmt: skip
    delta = ((moved + origin - points) / a.scale).reshape(n, GRID * GRID, 2)
    ok = status.reshape(n, GRID * GRID).astype(bool)
    shifts = np.full((n, 2), np.nan)
    trusted = ok.sum(axis=1) >= MIN_POINTS
    if trusted.any():
        shifts[trusted] = np.nanmedian(np.where(ok[:, :, None], delta, np.nan)[trusted], axis=1)
    return shifts


class ShotCuts:
    """Hard cuts, decided as each frame arrives (PySceneDetect's detectors decide later, or
    not within a minimum scene length; a pipeline that must start tracks afresh on the very
    frame of a cut cannot wait)."""

    def __init__(self) -> None:
        self._looks: deque[np.ndarray] = deque(maxlen=CUT_BACK)
        self._recent: deque[float] = deque(maxlen=CUT_HISTORY)

    def is_cut(self, view: FrameView) -> bool:
        """True for the first frame of a new shot (the first frame of the video included)."""
        if not self._looks:
            self._looks.append(view.thumb)
            return True
        change = min(float(np.mean(np.abs(view.thumb - look))) for look in self._looks)
        typical = float(np.median(self._recent)) if self._recent else 0.0
        self._recent.append(change)
        self._looks.append(view.thumb)
        return change > CUT_MIN and change > CUT_RATIO * typical


# Where the picture changed since the detector last saw it (``Unseen``): compared on a blurred grey copy
# (a sub-pixel misregistration of the camera's motion must not flag every edge), a pixel differs by more
# than CHANGE_LEVEL grey levels, a CELL-sized cell by more than CHANGE_SHARE of its pixels. A face of the
# smallest identifiable size (16 px in the quick pass's copy) covers a quarter of a cell's side.
CELL = 32
CHANGE_BLUR = (5, 5)
CHANGE_LEVEL = 16
CHANGE_SHARE = 0.02
# The camera's motion from frame to frame: a similarity fitted to the flow of a grid of points.
CAMERA_GRID = (16, 9)
CAMERA_MIN_POINTS = 20
# Where too little texture can be followed to fit it, a picture that on average changed less than this many
# grey levels is taken as a still camera (what did change is then found changed, cell by cell).
STILL_LEVEL = 2.0


class Unseen:
    """Which cells of the quick pass's copy differ from what the detector last saw there.

    What was seen is kept as a picture in the current frame's coordinates, moved each frame by the camera's
    motion; what the camera newly reveals counts as changed. A face cannot appear without changing the pixels
    where it appears, so a cell that did not change since it was checked holds no face that check did not
    find. It starts at each full search; once the whole picture had to be searched (a busy scene, a camera
    motion that cannot be fitted) it stops until the next, so a busy scene costs one comparison."""

    def __init__(self) -> None:
        self._seen: np.ndarray | None = None  # blurred grey, as last checked, in this frame's coordinates
        self._valid: np.ndarray | None = None  # 255 where _seen holds a checked picture
        self._previous: np.ndarray | None = None

    def reset(self, grey: np.ndarray) -> None:
        """The detector searched all of this frame (``grey``, the quick pass's copy)."""
        self._previous = cv2.GaussianBlur(grey, CHANGE_BLUR, 0)
        self._seen, self._valid = self._previous.copy(), np.full(grey.shape, 255, np.uint8)

    def changed(self, grey: np.ndarray) -> np.ndarray | None:
        """Cells (rows, cols) of ``grey`` changed since they were last checked, or None: search everything."""
        if self._seen is None or self._valid is None or self._previous is None:
            return None
        h, w = grey.shape
        blurred = cv2.GaussianBlur(grey, CHANGE_BLUR, 0)
        previous, self._previous = self._previous, blurred
        move = camera_motion(previous, blurred) if previous.shape == blurred.shape else None
        if move is None:
            self._seen = None
            return None
        self._seen = cv2.warpAffine(self._seen, move, (w, h), flags=cv2.INTER_LINEAR)
        self._valid = cv2.warpAffine(self._valid, move, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
        differs = (cv2.absdiff(blurred, self._seen) > CHANGE_LEVEL) | (self._valid < 255)
        rows, cols = -(-h // CELL), -(-w // CELL)
        padded = np.zeros((rows * CELL, cols * CELL), np.float32)
        padded[:h, :w] = differs
        return padded.reshape(rows, CELL, cols, CELL).mean(axis=(1, 3)) > CHANGE_SHARE

    def checked(self, rects: list[tuple[int, int, int, int]] | None) -> None:
        """The detector saw the current frame inside ``rects`` (x0, y0, x1, y1 pixels), or all of it (None:
        the scene is busy; comparing stops until the next ``reset``)."""
        if rects is None or self._seen is None or self._valid is None or self._previous is None:
            self._seen = None
            return
        for x0, y0, x1, y1 in rects:
            self._seen[y0:y1, x0:x1] = self._previous[y0:y1, x0:x1]
            self._valid[y0:y1, x0:x1] = 255


def camera_motion(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """The 2x3 similarity taking picture ``a`` onto ``b`` (the camera's motion), None when it cannot be fitted."""
    still = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    if float(cv2.absdiff(a, b).mean()) < STILL_LEVEL:
        return still
    h, w = a.shape
    gx, gy = CAMERA_GRID
    xs, ys = np.meshgrid(np.linspace(0.05, 0.95, gx) * w, np.linspace(0.05, 0.95, gy) * h)
    points = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32).reshape(-1, 1, 2)
    moved, status, _ = cv2.calcOpticalFlowPyrLK(a, b, points, None, winSize=WIN, maxLevel=LEVELS, criteria=LK_CRITERIA)
    ok = status.ravel().astype(bool)
    if ok.sum() < CAMERA_MIN_POINTS:
        return None
    move, inliers = cv2.estimateAffinePartial2D(points[ok], moved[ok], method=cv2.RANSAC, ransacReprojThreshold=2.0)
    if move is None or inliers is None or inliers.sum() < CAMERA_MIN_POINTS:
        return None
    return move
