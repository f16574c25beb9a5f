"""When and where a video is searched for faces: every constant and decision of the schedule, in one place.

The pipeline, ``check``, ``follow`` and segment planning all ask a ``Schedule`` rather than working it out,
so they cannot disagree. Every frame gets the quick pass at ``quick_scale`` (a face big enough to identify:
40 px at 1080p, in proportion at any height), between full searches only where ``quick_where`` says: where
the picture changed since the detector last saw it, and at every live track. The full multi-scale pass
(``full``, for the small faces of a crowd) and the second look run where ``full_search`` says: on the first
frame of every shot, on every ``detect_every``-th frame of the video's own clock (so segments agree with a
single pass) and on the last.

Any-angle search (``any_angle``) follows the same two decisions at the quick scale, where a face big enough to
identify is found, one turn a frame in rotation, in the rectangles ``quick_where`` gives; and every turn at the
middle of the full pass's fine scales (``turned_full``: from 1080p up, the upright fine scale) where ``full_search``
is true, for smaller faces. A sideways face is so searched at least every third frame, and the look-ahead covers it
back to its first frame; the second look stays upright.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from blurkit.detect import TURNS
from blurkit.media.ffmpeg import VideoInfo
from blurkit.settings import Settings
from blurkit.video.motion import CELL, CUT_BACK, CUT_HISTORY

# A face stays covered this long after its last detection (detector misses, turned heads).
HOLD_SECONDS = 1.0
# Look-ahead beyond the detection cadence: how long before its first detection a face is covered.
LEAD_SECONDS = 0.4
# Upscaling beyond this adds a pass at the video's own size.
UPSCALE_ALONE = 1.2
# The every-frame pass sees the picture's short side this many pixels long (rows of a landscape frame, columns
# of a portrait one, as phones film): a face of 40 px at 1080p (and in proportion at any size) is 16 px
# there, where CenterFace scores real faces at 0.45-0.7, well above threshold.
EVERY_FRAME_ROWS = 432
# Bounds of the every-frame scale: a 4K frame is shrunk at most 4x, a tiny one enlarged at most 4x.
QUICK_SCALES = (0.25, 4.0)
# Bounds of the full pass's scale (about ``detect_megapixels``).
FULL_SCALES = (0.25, 2.0)
# Between full searches the quick pass looks only where the picture changed since the detector last saw it
# (``motion.Unseen``), widened by MARGIN_CELLS cells (the context a face needs, and a face whose middle alone
# changed), and at every live track (so a tracked face is seen whole and its box stays the detector's). When
# that is more than WHOLE_SHARE of the picture, the whole picture costs hardly more and is searched.
MARGIN_CELLS = 1
WHOLE_SHARE = 0.6
# Rectangles are rounded up to this many pixels a side: few distinct input shapes, each of which the
# detector runtime compiles a fixed-size model for once it repeats (``detect.centerface``).
QUICK_STEP = 128
# Least score of a find in a turned copy: the turned copies bring false alarms of their own (a chin, a collar:
# 0.16-0.22 on the sample clip, each a mask where there is no face), while a face big enough to identify scores
# 0.45-0.7 at the quick scale, turned or not.
TURNED_THRESHOLD = 0.3
# ``blurkit check`` looks at one frame in this many of the export's full-search periods (every 16th frame at
# the default cadence): looking at every 8th, its check of the 960x540 street clip cost 0.63x anonymizing it,
# and every 16th (half of those frames) still flagged every shared clip's original and deface output it had.
CHECK_SPAN = 2
# How far (in pixels of the detector's input) a detected box may sit off the face; tracked boxes get this margin.
JITTER_PX = 3.0


@dataclass(frozen=True)
class Schedule:
    """The detection schedule of one video (``info``) under ``settings``."""

    settings: Settings
    info: VideoInfo

    @cached_property
    def quick_scale(self) -> float:
        """Scale of the every-frame pass, and of the small copy motion and cut detection see: by the short
        side, so a portrait frame (1080x1920) is searched as finely as a landscape one, not at 0.25."""
        low, high = QUICK_SCALES
        short = min(self.info.width, self.info.height)
        return round(min(high, max(low, EVERY_FRAME_ROWS / short)), 3)

    @cached_property
    def quick(self) -> Settings:
        """The every-frame pass's settings, for a copy already at ``quick_scale``."""
        return self.settings.with_(scales=(1.0,))

    @cached_property
    def full(self) -> Settings:
        """The full pass at about ``detect_megapixels``: large videos are shrunk, small ones upscaled (to find
        small faces) with a pass at their own size too (an upscaled blurry face can score lower than the
        original: a 47 px face on a dark 360p stage did). A close-up can be too large for the fine scales:
        the every-frame scale, seeing it whole, joins them when it is much coarser."""
        scales = self.fine_scales
        quick = self.quick_scale
        return self.settings.with_(scales=(quick, *scales) if quick < 0.75 * min(scales) else scales)

    @cached_property
    def fine_scales(self) -> tuple[float, ...]:
        """The full pass's own scales, about ``detect_megapixels`` (without the coarse every-frame scale that
        joins them for close-ups)."""
        low, high = FULL_SCALES
        pixels = self.info.width * self.info.height
        scale = round(min(high, max(low, (self.settings.detect_megapixels * 1e6 / pixels) ** 0.5)), 3)
        return (1.0, scale) if scale > UPSCALE_ALONE else (scale,)

    @property
    def every(self) -> int:
        return self.settings.detect_every

    def full_search(self, index: int, cut: bool) -> bool:
        """The full pass (and the second look) on this frame: a shot's first frame, or the video's cadence."""
        return cut or index % self.every == 0

    def turns(self, index: int, full: bool) -> tuple[int, ...]:
        """The turns of the picture (degrees) searched at the quick scale on this frame besides upright."""
        if self.settings.any_angle != "on":
            return ()
        return TURNS if full else (TURNS[index % len(TURNS)],)

    @cached_property
    def quick_upright(self) -> Settings:
        """The quick pass's upright search (its turns are ``turns``)."""
        return self.quick.with_(any_angle="off")

    @cached_property
    def turned_full(self) -> tuple[float, ...]:
        """The scale of the turned search on full-search frames, so sideways crowd faces too small for the quick
        scale are found: the middle (geometric mean) of the full pass's fine scales. From 1080p up they are one
        scale, the upright one, as photos search every turn; a smaller video is searched at its own size and
        upscaled, and one turned scale between them keeps that video's cost down (its identifiable faces are
        the quick pass's, at every turn). Not of ``full.scales``: at 1080p the coarse 0.4 joined there put the
        middle at 0.63, where the sideways street clip's 12-32 px faces were 8-20 px, and 40 of its 87 labelled
        face-frames stayed exposed."""
        low, high = min(self.fine_scales), max(self.fine_scales)
        return (math.sqrt(low * high),)

    @cached_property
    def upright(self) -> Settings:
        """The full pass and the second look: upright only (the turns are the quick scale's, ``turns``)."""
        return self.full.with_(any_angle="off")

    def quick_where(
        self, changed: np.ndarray, tracks: np.ndarray, shape: tuple[int, ...]
    ) -> list[tuple[int, int, int, int]] | None:
        """Where the quick pass looks in its copy of ``shape``: rectangles (x0, y0, x1, y1, aligned to the
        network's stride), or None for the whole picture. ``changed``: the cells that changed since they were
        last checked; ``tracks``: live tracks' boxes (N, 4) in the copy's pixels."""
        h, w = shape[:2]
        rows, cols = changed.shape
        cells = changed.astype(np.uint8)
        for x0, y0, x1, y1 in tracks:
            c0, r0 = max(0, int(x0 // CELL)), max(0, int(y0 // CELL))
            c1, r1 = min(cols, int(x1 // CELL) + 1), min(rows, int(y1 // CELL) + 1)
            cells[r0:r1, c0:c1] = 1
        if MARGIN_CELLS:
            cells = cv2.dilate(cells, np.ones((2 * MARGIN_CELLS + 1,) * 2, np.uint8))
        count, _, stats, _ = cv2.connectedComponentsWithStats(cells, connectivity=8)
        rects = []
        for x, y, cw, ch, _ in stats[1:count]:
            x0, x1 = _stepped(int(x) * CELL, int(x + cw) * CELL, w)
            y0, y1 = _stepped(int(y) * CELL, int(y + ch) * CELL, h)
            rects.append((x0, y0, x1, y1))
        area = sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in rects)
        return None if area > WHOLE_SHARE * w * h else rects

    def second_look(self, index: int, cut: bool) -> bool:
        """The second look runs with every full search, when it is on."""
        return self.settings.second_look == "on" and self.full_search(index, cut)

    def checked(self, index: int, last: int) -> bool:
        """A frame ``blurkit check`` looks at: the first, the last and every CHECK_SPAN full-search periods,
        half-way between two full searches (where the export leans most on tracking). A looked-at frame costs
        about what a full search does, so the check costs about 1/CHECK_SPAN of the export's full searches
        whatever ``detect_every`` is; a face left visible stays for many frames."""
        span = CHECK_SPAN * self.every
        return index in (0, last) or index % span == self.every // 2

    def final_search(self, last: int, last_full: int) -> bool:
        """A full pass on the video's last frame: small faces entering in its last frames have no later one."""
        return last_full != last

    @cached_property
    def hold(self) -> int:
        """Frames a face stays covered after its last detection."""
        return max(self.every, round(HOLD_SECONDS * self.info.fps))

    @cached_property
    def lead(self) -> int:
        """Frames a face is covered before its first detection (the look-ahead window)."""
        return self.every + round(LEAD_SECONDS * self.info.fps)

    @property
    def brief(self) -> int:
        """Hold and look-ahead of a track seen once with a low score."""
        return self.every

    @cached_property
    def pad(self) -> float:
        """Margin in frame pixels on every tracked box: the detector's jitter at its finest scale."""
        return JITTER_PX / max(self.full.scales)

    def overlap(self) -> tuple[int, int]:
        """Frames a segment decodes before its first frame and after its last: before, enough for every track
        alive there to have been detected (the hold), for the cut detector's memory to fill and for two full
        passes; after, enough for the look-ahead to carry a face back into it."""
        before = self.hold + 2 * self.every + CUT_HISTORY + CUT_BACK + 1
        return before, self.lead + 1

    def report(self) -> dict:
        """The schedule as the report shows it."""
        return {
            "every": self.every,
            "scales": list(self.full.scales),
            "every_frame_scale": self.quick_scale,
            "turns": "all on full searches, one a frame between" if self.settings.any_angle == "on" else "none",
        }


def _stepped(low: int, high: int, size: int) -> tuple[int, int]:
    """``low``-``high`` grown to a multiple of QUICK_STEP, kept within 0-``size`` (or all of it)."""
    span = min(size, -(-(high - low) // QUICK_STEP) * QUICK_STEP)
    low = max(0, min(low, size - span))
    return low, low + span
