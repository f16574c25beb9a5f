"""Synthetic video clips with the exact face box of every face in every frame.

The two public-domain portraits in ``sample_media`` are composited (a soft oval around the head)
onto smooth noise wallpapers that hold no face, each shot its own colours and pattern, so a cut
is a real cut. Every geometric step is one affine map, so the tight face box drawn is known to
the pixel; each clip isolates one way a sparse-detection video pipeline leaves a face exposed.
The tests use them, and a benchmark can call the same functions with other sizes and speeds.
All lengths (face size, positions, speeds, shake) are pixels of a 640x360 frame and scale with the
frame height, so one clip made at 1280x720 is the same clip at twice the resolution.
"""

from __future__ import annotations

import itertools
import math
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from blurkit.media.ffmpeg import ffmpeg_exe

SAMPLES = Path(__file__).resolve().parent.parent / "sample_media"
# The default size, and the frame whose pixels all lengths are given in.
SIZE = (640, 360)
FPS = 25.0
# The default face: 80 px of face proper at 360p (240 px at 1080p), a person a few metres away.
FACE_HEIGHT = 80.0
# x264 quality of the clips: high enough that codec noise stays far below what counts as changed.
CRF = 14


@dataclass(frozen=True)
class Portrait:
    file: str
    # The face proper (brow to chin, cheek to cheek) in the still's pixels: CenterFace's box on the still
    # (scale 1, threshold 0.3) shrunk to exclude hair and hat, checked by eye on a 2x zoom.
    face: tuple[float, float, float, float]
    # The oval of the still that is pasted: head, hair and neck, feathered by ``feather`` px.
    oval_center: tuple[float, float]
    oval_axes: tuple[float, float]
    feather: float = 10.0


PORTRAITS = {
    "astronaut": Portrait("astronaut.png", (186, 72, 265, 176), (227, 112), (82, 108)),
    "hopper": Portrait("grace_hopper.jpg", (182, 142, 350, 328), (262, 192), (114, 170)),
}


@dataclass(frozen=True)
class Face:
    """One portrait placed in one frame: its face box centre (frame pixels) and face box height, and its
    roll: the portrait turned ``roll`` degrees clockwise about that centre."""

    who: str
    center: tuple[float, float]
    height: float = FACE_HEIGHT
    mirror: bool = False
    roll: float = 0.0

    def corners(self) -> np.ndarray:
        """The face box's corners (4 x 2, frame pixels), turned with the face: the face proper exactly."""
        x0, y0, x1, y1 = PORTRAITS[self.who].face
        hw, hh = self.height * (x1 - x0) / (y1 - y0) / 2, self.height / 2
        return np.array([[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]]) @ _turn(self.roll).T + self.center

    def box(self) -> FaceBox:
        """The tight upright box around the face (around its turned corners when it is rolled)."""
        c = self.corners()
        return FaceBox(self.who, *c.min(axis=0), *c.max(axis=0))


def _turn(degrees: float) -> np.ndarray:
    """The 2 x 2 map turning frame vectors ``degrees`` clockwise on screen (y points down)."""
    a = math.radians(degrees)
    return np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])


def face_pixels(face: Face, width: int, height: int) -> np.ndarray:
    """Boolean mask of the pixels whose centres lie inside ``face``'s turned face box."""
    inside = np.zeros((height, width), np.uint8)
    cv2.fillConvexPoly(inside, np.round((face.corners() - 0.5) * 16).astype(np.int32), 1, cv2.LINE_8, shift=4)
    return inside.astype(bool)


@dataclass(frozen=True)
class FaceBox:
    """A face's tight box in frame pixels; it may run off the frame (a face entering)."""

    who: str
    x0: float
    y0: float
    x1: float
    y1: float

    def visible(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The on-screen part, rounded to whole pixels (empty when the face is off screen)."""
        x0, x1 = (min(max(round(v), 0), width) for v in (self.x0, self.x1))
        y0, y1 = (min(max(round(v), 0), height) for v in (self.y0, self.y1))
        return x0, y0, x1, y1

    def visible_share(self, width: int, height: int) -> float:
        x0, y0, x1, y1 = self.visible(width, height)
        return (x1 - x0) * (y1 - y0) / ((self.x1 - self.x0) * (self.y1 - self.y0))

    def scaled(self, factor: float) -> FaceBox:
        cx, cy = (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2
        hw, hh = (self.x1 - self.x0) * factor / 2, (self.y1 - self.y0) * factor / 2
        return FaceBox(self.who, cx - hw, cy - hh, cx + hw, cy + hh)


@dataclass(frozen=True)
class FrameSpec:
    """What one frame shows: a wallpaper (by seed), a camera offset applied to everything, the faces."""

    wallpaper: int
    faces: tuple[Face, ...] = ()
    offset: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class Clip:
    path: Path
    size: tuple[int, int]
    fps: float
    # Per frame, the tight box of every face drawn in it (after the camera offset).
    faces: list[list[FaceBox]]
    # First frame of every shot after the first.
    cuts: tuple[int, ...] = ()


# Wallpaper hues (OpenCV's 0-180 scale): green, teal, blue, violet; far from skin, hair and lips.
HUES = (60, 85, 110, 135)


def wallpaper(width: int, height: int, seed: int) -> np.ndarray:
    """Smooth coloured noise (blobs a few hundred pixels across, a finer pattern on top), no faces.
    Each seed has its own hue and pattern. Seeds 1-5 and 7 are used: neither detector finds anything on them at
    threshold 0.13 and scales 0.5-3 (MediaPipe fires at up to 0.5 on seeds 6, 10, 14 and 15)."""
    rng = np.random.default_rng(seed)

    def octave(cells: int, amplitude: float) -> np.ndarray:
        grid = rng.normal(0, amplitude, (max(2, cells * height // width), cells)).astype(np.float32)
        return cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)

    hue = np.full((height, width), HUES[seed % len(HUES)], np.float32) + octave(4, 8)
    sat = 120 + octave(5, 40) + octave(24, 10)
    val = 130 + octave(6, 45) + octave(24, 12)
    hsv = np.dstack([np.mod(hue, 180), np.clip(sat, 60, 230), np.clip(val, 50, 220)]).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


@cache
def _still(who: str) -> tuple[np.ndarray, np.ndarray]:
    """The portrait (float RGB) and its feathered oval (float alpha), in the still's pixels."""
    p = PORTRAITS[who]
    bgr = cv2.imread(str(SAMPLES / p.file), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(SAMPLES / p.file)
    alpha = np.zeros(bgr.shape[:2], np.float32)
    center = tuple(round(v) for v in p.oval_center)
    axes = tuple(round(v) for v in p.oval_axes)
    cv2.ellipse(alpha, center, axes, 0, 0, 360, 1.0, -1)
    alpha = cv2.GaussianBlur(alpha, (0, 0), p.feather / 2)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32), alpha


@cache
def _shrunk(who: str, scale: float) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The portrait and its oval pre-shrunk by area averaging (a warp alone would alias), with the
    exact scale factors of the shrunk image."""
    rgb, alpha = _still(who)
    h, w = alpha.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    sx, sy = size[0] / w, size[1] / h
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(rgb, size, interpolation=interp), cv2.resize(alpha, size, interpolation=interp), sx, sy


def _paste(frame: np.ndarray, face: Face) -> None:
    """Composite ``face`` into ``frame`` (float RGB) in place: the still's face box centre goes to
    ``face.center``, scaled so the box is ``face.height`` tall, mirrored and turned by ``face.roll`` about it."""
    p = PORTRAITS[face.who]
    x0, y0, x1, y1 = p.face
    s = face.height / (y1 - y0)
    rgb, alpha, sx, sy = _shrunk(face.who, round(s, 3))
    flip = -1.0 if face.mirror else 1.0
    # frame = s * (still - face centre) * (flip, 1) + target, with still = shrunk / (sx, sy)
    tx, ty = face.center
    linear = _turn(face.roll) @ np.array([[flip * s / sx, 0], [0, s / sy]])
    m = np.hstack([linear, (np.array([tx, ty]) - linear @ [sx * (x0 + x1) / 2, sy * (y0 + y1) / 2])[:, None]])
    h, w = frame.shape[:2]
    warped = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    a = cv2.warpAffine(alpha, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)[:, :, None]
    frame *= 1 - a
    frame += warped * a


def render(path: Path, specs: Sequence[FrameSpec], size: tuple[int, int] = SIZE, fps: float = FPS) -> Clip:
    """Draw and encode ``specs`` (H.264, CRF ``CRF``, constant ``fps``); a wallpaper change is a cut.
    Lengths in ``specs`` are pixels of a 360-line frame, scaled here with the height of ``size``."""
    width, height = size
    k = height / SIZE[1]
    margin = math.ceil(max((abs(v) * k for spec in specs for v in spec.offset), default=0)) + 2
    papers: dict[int, np.ndarray] = {}
    faces, cuts = [], []
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24"]
    cmd += ["-s", f"{width}x{height}", "-framerate", str(fps), "-i", "-", "-c:v", "libx264", "-preset", "medium"]
    cmd += ["-crf", str(CRF), "-pix_fmt", "yuv420p", str(path)]
    with subprocess.Popen(cmd, stdin=subprocess.PIPE) as proc:
        assert proc.stdin is not None
        for index, spec in enumerate(specs):
            if spec.wallpaper not in papers:
                papers[spec.wallpaper] = wallpaper(width + 2 * margin, height + 2 * margin, spec.wallpaper)
            if index and spec.wallpaper != specs[index - 1].wallpaper:
                cuts.append(index)
            dx, dy = (float(v) * k for v in spec.offset)
            shift = np.array([[1, 0, dx - margin], [0, 1, dy - margin]], np.float64)
            frame = cv2.warpAffine(papers[spec.wallpaper], shift, size, flags=cv2.INTER_LINEAR).astype(np.float32)
            placed = [
                Face(f.who, (f.center[0] * k + dx, f.center[1] * k + dy), f.height * k, f.mirror, f.roll)
                for f in spec.faces
            ]
            for face in placed:
                _paste(frame, face)
            faces.append([face.box() for face in placed])
            proc.stdin.write(np.clip(frame + 0.5, 0, 255).astype(np.uint8).tobytes())
        proc.stdin.close()
        if proc.wait() != 0:
            raise RuntimeError(f"ffmpeg failed to encode {path}")
    return Clip(path, size, fps, faces, tuple(cuts))


def photo(path: Path, faces: Sequence[Face], size: tuple[int, int] = (640, 480), paper: int = 1) -> Path:
    """A still (lossless PNG) of ``faces`` on wallpaper ``paper``, in frame pixels (no scaling)."""
    frame = wallpaper(*size, paper).astype(np.float32)
    for face in faces:
        _paste(frame, face)
    cv2.imwrite(str(path), cv2.cvtColor(np.clip(frame + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR))
    return path


def turning_faces(
    face_height: float = FACE_HEIGHT,
    center: tuple[float, float] = (320, 180),
    upright: int = 8,
    turn: int = 16,
    frames: int = 40,
) -> list[Face]:
    """The face of each frame of ``turning_face`` (lengths in pixels of a 360-line frame)."""
    return [Face("astronaut", center, face_height, roll=90 * min(max(i - upright, 0) / turn, 1)) for i in range(frames)]


def turning_face(path: Path, size: tuple[int, int] = SIZE, fps: float = FPS, **how: float) -> Clip:
    """A face upright for a while, rolling to sideways (90 degrees clockwise) and lying sideways to the end
    (``turning_faces`` takes ``how``): someone falling, or a phone turned without its orientation tag."""
    return render(path, [FrameSpec(2, (face,)) for face in turning_faces(**how)], size, fps)


def brief_face(
    path: Path,
    size: tuple[int, int] = SIZE,
    face_height: float = FACE_HEIGHT,
    center: tuple[float, float] = (330, 170),
    first: int = 9,
    last: int = 15,
    frames: int = 30,
    fps: float = FPS,
) -> Clip:
    """A face that pops in at ``first`` and out after ``last`` (no fade), between two detections of a
    pipeline that detects every 8th frame: no detection ever sees it."""
    face = Face("hopper", center, face_height)
    specs = [FrameSpec(1, (face,) if first <= i <= last else ()) for i in range(frames)]
    return render(path, specs, size, fps)


def cut_between_people(
    path: Path,
    size: tuple[int, int] = SIZE,
    face_height: float = FACE_HEIGHT,
    a_center: tuple[float, float] = (260, 175),
    b_offset: tuple[float, float] = (100, 8),
    cut: int = 24,
    frames: int = 48,
    fps: float = FPS,
) -> Clip:
    """Person A until ``cut``, then a hard cut to person B standing ``b_offset`` away on other
    wallpaper: a tracker that links B to A's track slides one mask between them."""
    a = Face("astronaut", a_center, face_height)
    b = Face("hopper", (a_center[0] + b_offset[0], a_center[1] + b_offset[1]), face_height)
    return render(path, [FrameSpec(1, (a,)) if i < cut else FrameSpec(2, (b,)) for i in range(frames)], size, fps)


# Who plays the faces of a shot, in turn: each portrait, then each mirrored.
CAST = (("astronaut", False), ("hopper", False), ("astronaut", True), ("hopper", True))


def _cast(centers: tuple[tuple[float, float], ...], face_height: float, first: int) -> tuple[Face, ...]:
    people = itertools.islice(itertools.cycle(CAST), first, None)
    return tuple(Face(who, c, face_height, mirror) for c, (who, mirror) in zip(centers, people, strict=False))


def cut_mid_interval(
    path: Path,
    size: tuple[int, int] = SIZE,
    face_height: float = FACE_HEIGHT,
    before: tuple[tuple[float, float], ...] = ((100, 100), (330, 160)),
    after: tuple[tuple[float, float], ...] = ((430, 175), (540, 275)),
    cut: int = 13,
    frames: int = 32,
    fps: float = FPS,
) -> Clip:
    """Several faces per shot and a cut between two detections. By default the first shot's left face
    has no one near it after the cut (a track held there masks wallpaper), its other face has a newcomer
    100 px away (a track jumping to it slides its mask across), and the second shot's other face has no
    one near it before the cut (a look-ahead reaching back masks wallpaper). Faces take turns from
    ``CAST``, the second shot starting one later."""
    one, two = _cast(before, face_height, 0), _cast(after, face_height, 1)
    return render(path, [FrameSpec(3, one) if i < cut else FrameSpec(4, two) for i in range(frames)], size, fps)


def shake(
    path: Path,
    size: tuple[int, int] = SIZE,
    face_height: float = FACE_HEIGHT,
    center: tuple[float, float] = (320, 180),
    amplitude: float = 30.0,
    hz: float = 2.0,
    jitter: float = 2.0,
    frames: int = 48,
    fps: float = FPS,
    seed: int = 7,
) -> Clip:
    """A handheld camera: the whole picture sways ``amplitude`` px left-right (half that up-down, a
    quarter turn later) at ``hz``, plus Gaussian jitter of ``jitter`` px. Between two detections the
    face swings out and back, so a straight line between them misses it."""
    rng = np.random.default_rng(seed)
    face = Face("astronaut", center, face_height)
    specs = []
    for i in range(frames):
        phase = 2 * math.pi * hz * i / fps
        dx, dy = amplitude * math.sin(phase), amplitude / 2 * math.sin(phase + math.pi / 2)
        jx, jy = rng.normal(0, jitter, 2)
        specs.append(FrameSpec(5, (face,), (dx + jx, dy + jy)))
    return render(path, specs, size, fps)


def fast_entry(
    path: Path,
    size: tuple[int, int] = SIZE,
    face_height: float = FACE_HEIGHT,
    y: float = 180,
    speed: float = 32.0,
    stop_x: float = 300,
    frames: int = 41,
    fps: float = FPS,
) -> Clip:
    """A face running in from the left edge at ``speed`` px per frame, stopping at ``stop_x``. In frame 0
    its face box is just off screen (the edge of the hat shows); it is part in view for two frames, then whole."""
    half = Face("hopper", (0, 0), face_height).box().x1
    start = -half - 8  # off screen in frame 0, its near edge 8 px short of the frame
    specs = [FrameSpec(7, (Face("hopper", (min(stop_x, start + speed * i), y), face_height),)) for i in range(frames)]
    return render(path, specs, size, fps)


def crowd_photo(
    path: Path, size: tuple[int, int] = (1600, 1000), columns: int = 8, rows: int = 5, face_height: float = 70.0
) -> list[FaceBox]:
    """A crowd: ``columns`` x ``rows`` faces (the cast in turn) on a wallpaper, written as a photo; their boxes."""
    width, height = size
    frame = wallpaper(width, height, 3).astype(np.float32)
    people = itertools.cycle(CAST)
    faces = [
        Face(who, ((c + 0.5) * width / columns, (r + 0.5) * height / rows), face_height, mirror)
        for r in range(rows)
        for c, (who, mirror) in zip(range(columns), people, strict=False)
    ]
    for face in faces:
        _paste(frame, face)
    rgb = np.clip(frame + 0.5, 0, 255).astype(np.uint8)
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise RuntimeError(f"cannot write {path}")
    return [face.box() for face in faces]


def walking_crowd(
    path: Path, frames: int = 300, shot: int = 100, people: int = 4, size: tuple[int, int] = (320, 180)
) -> Clip:
    """A long clip: ``people`` faces drifting across the frame, a cut every ``shot`` frames (new wallpaper,
    so every shot starts new tracks)."""
    specs = []
    for i in range(frames):
        t = i % shot
        centers = tuple(
            (80 + 480 * k / max(people - 1, 1) + 40 * math.sin((t + 9 * k) / 15), 170) for k in range(people)
        )
        specs.append(FrameSpec(1 + i // shot, _cast(centers, 70.0, i // shot)))
    return render(path, specs, size)


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pixels that moved by more than codec noise (as tests/test_video.py and ../shared/eval score coverage)."""
    a2, b2 = (cv2.GaussianBlur(x, (3, 3), 0).astype(np.int16) for x in (a, b))
    return np.abs(a2 - b2).max(axis=2) > 12


def box_changed(a: np.ndarray, b: np.ndarray, box: FaceBox) -> float:
    """Share of the on-screen part of ``box`` that differs between frames ``a`` and ``b``."""
    x0, y0, x1, y1 = box.visible(a.shape[1], a.shape[0])
    return float(changed(a[y0:y1, x0:x1], b[y0:y1, x0:x1]).mean())
