"""Follow a region through its shot with the motion the video tracker uses, from frames the user placed it on.

A face the detector misses (turned away, in profile, behind a banner) is drawn once; the region is then
carried forward and backward frame by frame by the median optical flow of points inside it
(``motion.box_shifts``), and stops at the shot's cuts and where it leaves the picture. Each further
keyframe corrects it: between two keyframes the flow's path is bent so that it meets both exactly.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from threading import Event

import numpy as np

from blurkit.detect.multiscale import scaled
from blurkit.errors import Cancelled, MediaError
from blurkit.media.ffmpeg import Frame, FrameReader, Probe, probe
from blurkit.regions import Region
from blurkit.settings import Settings
from blurkit.video.motion import FrameView, ShotCuts, box_shifts, frame_view
from blurkit.video.schedule import Schedule
from blurkit.video.track import DAMPING

# How far back before its first keyframe a region is followed: the frames in between are held (small
# grey copies) until that keyframe is reached. A longer shot needs a keyframe nearer its start.
BACK_SECONDS = 10.0


def follow_region(
    path: str | Path,
    keyframes: Mapping[int, Region],
    *,
    track_id: int,
    cuts: Sequence[int] | None = None,
    cancel: Event | None = None,
) -> list[Region]:
    """The region in every frame of its shot, from ``keyframes`` (frame index -> the region placed there,
    all in one shot): one manual region per frame (``frames=(i, i)``), all with ``track_id``, which
    keeps one noise pattern on them (choose one no other region of the video has). ``cuts`` are the
    first frames of the shots (a dry run's ``details['cuts']``); without them cuts are found here,
    decoding from the start. Pass the result as ``extra_regions`` to ``anonymize_file``."""
    if not keyframes:
        raise ValueError("follow_region needs at least one keyframe")
    p = probe(Path(path))
    keys = sorted(keyframes)
    if keys[0] < 0 or keys[-1] >= p.info.frames:
        raise IndexError(f"keyframes must lie in 0..{p.info.frames - 1}")
    shape = keyframes[keys[0]].shape
    boxes = _follow(p, Path(path), {k: _box(keyframes[k]) for k in keys}, cuts, cancel)
    return [
        Region(*(float(v) for v in box), shape=shape, source="manual", track_id=track_id, frames=(i, i))
        for i, box in sorted(boxes.items())
    ]


def _box(r: Region) -> np.ndarray:
    return np.array([r.x0, r.y0, r.x1, r.y1], float)


def _follow(
    p: Probe, path: Path, keys: dict[int, np.ndarray], cuts: Sequence[int] | None, cancel: Event | None
) -> dict[int, np.ndarray]:
    first, last = min(keys), max(keys)
    back = round(BACK_SECONDS * p.info.fps)
    if cuts is not None:
        shot_start = max([c for c in cuts if c <= first], default=0)
        if any(shot_start < c <= last for c in cuts):
            raise ValueError("the keyframes lie in different shots")
        frames = _frames_from(p, path, max(shot_start, first - back))
        cut_at = set(cuts)
    else:
        frames, shots = _frames_from(p, path, 0), ShotCuts()
    scale = Schedule(Settings(), p.info).quick_scale  # the pipeline's motion and cuts see the same copy
    width, height = p.info.width, p.info.height
    held: deque[tuple[int, FrameView]] = deque(maxlen=back)  # the shot so far, up to the first keyframe
    out: dict[int, np.ndarray] = {}
    box, velocity, previous, anchor = keys[first], np.zeros(2), None, first
    for frame in frames:
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled")
        i = frame.index
        small = scaled(frame.pixels, scale)
        view = frame_view(small, small.shape[1] / width)
        cut = i in cut_at if cuts is not None else shots.is_cut(view)
        if i <= first and cut:
            held.clear()  # a new shot: what came before is another picture
        if i < first:
            held.append((i, view))
            continue
        if i == first:
            out.update(_backward(box, held, view, width, height))
        else:
            if cut:
                break
            shift = box_shifts(previous, view, box[None])[0]
            velocity = shift if np.isfinite(shift).all() else velocity * DAMPING
            box = box + np.tile(velocity, 2)
            if i in keys:
                _bend(out, anchor, i, keys[i] - box)
                box, anchor = keys[i], i
            elif i > last and not _on_picture(box, width, height):
                break
        out[i], previous = box, view
    if last not in out:
        raise MediaError("the video ended before the last keyframe")
    return out


def _backward(
    box: np.ndarray, held: deque[tuple[int, FrameView]], view: FrameView, width: int, height: int
) -> dict[int, np.ndarray]:
    """The region carried back from the first keyframe through the held frames of its shot."""
    out: dict[int, np.ndarray] = {}
    velocity, later = np.zeros(2), view
    for i, earlier in reversed(held):
        shift = box_shifts(later, earlier, box[None])[0]
        velocity = shift if np.isfinite(shift).all() else velocity * DAMPING
        box = box + np.tile(velocity, 2)
        if not _on_picture(box, width, height):
            break
        out[i], later = box, earlier
    return out


def _bend(out: dict[int, np.ndarray], anchor: int, key: int, miss: np.ndarray) -> None:
    """Spread the flow's miss at a keyframe back over the frames since the last one, growing linearly."""
    for i in range(anchor + 1, key):
        out[i] = out[i] + miss * (i - anchor) / (key - anchor)


def _on_picture(box: np.ndarray, width: int, height: int) -> bool:
    return box[2] > 0 and box[3] > 0 and box[0] < width and box[1] < height


def _frames_from(p: Probe, path: Path, first: int) -> Iterator[Frame]:
    """Frames ``first`` to the end, numbered as in the whole video, found by seeking to half a frame before
    ``first`` (as ``read_video_frame`` does) rather than decoding from the start."""
    halfway = Fraction(p.pts[first] + p.pts[first - 1], 2) * p.time_base if first else None
    start = max(0.0, float(halfway) - p.start - 0.001) if halfway is not None else None
    with FrameReader(path, p.info.width, p.info.height, start=start) as reader:
        kept = (f for f in reader if halfway is None or f.pts_ns >= halfway * 1_000_000_000)
        for index, frame in enumerate(kept, start=first):
            yield replace(frame, index=index)
