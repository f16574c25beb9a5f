"""Obscure regions of an image so that nothing inside the mask can be recovered.

The hard mask (where ``mask_of`` is true) is replaced outright; the soft edge
lies *outside* it, blending replacement into untouched surroundings. In the
default ``erase`` mode the replacement is computed only from pixels outside
every mask plus noise from a per-process secret, so the output does not depend on a
single pixel inside a mask: tests change those pixels and compare. A video run passes
a ``TrackMemory``: each face keeps the cells it had when it appeared, so many frames
of it tell no more than one.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

import cv2
import numpy as np

from blurkit.regions import Region
from blurkit.settings import Settings

# Work sizes of the erase fill: its texture, and the colours carried in from around the face (smooth
# anyway); anything finer would only cost time.
FILL_SIDE = 48
COLOUR_SIDE = 16


def mask_regions(
    regions: Iterable[Region], settings: Settings, width: int, height: int, frame: int | None = None
) -> list[Region]:
    """The final mask geometry: detections grown by ``mask_scale`` in the chosen shape;
    manual regions exactly as drawn. Regions outside ``frame`` (video) or the image are
    dropped. A mask running off the image is kept whole, not clipped: an ellipse refitted
    to the visible part would leave most of the frame edge of a cut-off face uncovered."""
    out = []
    for r in regions:
        if frame is not None and not r.in_frame(frame):
            continue
        if r.source != "manual":
            r = replace(r.scaled(settings.mask_scale), shape=settings.shape)
        visible = r.clipped(width, height)
        if visible.width >= 1 and visible.height >= 1:
            out.append(r)
    return out


def _distance(r: Region, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """Normalised distance from the region's centre over a window: <= 1 is inside."""
    cx, cy = r.center
    a, b = max(r.width / 2, 0.5), max(r.height / 2, 0.5)
    dx = (np.arange(x0, x1, dtype=np.float32) + 0.5 - cx) / a
    dy = (np.arange(y0, y1, dtype=np.float32) + 0.5 - cy) / b
    if r.shape == "box":
        return np.maximum(np.abs(dx)[None, :], np.abs(dy)[:, None])
    return np.sqrt(dx[None, :] ** 2 + dy[:, None] ** 2)


def _feather(r: Region) -> float:
    return max(2.0, 0.12 * min(r.width, r.height))


def _window(r: Region, margin: float, width: int, height: int) -> tuple[int, int, int, int]:
    return (
        max(0, int(np.floor(r.x0 - margin))),
        max(0, int(np.floor(r.y0 - margin))),
        min(width, int(np.ceil(r.x1 + margin))),
        min(height, int(np.ceil(r.y1 + margin))),
    )


def mask_of(shape: tuple[int, ...], masks: list[Region]) -> np.ndarray:
    """Boolean hard mask of already-resolved mask regions (see ``mask_regions``)."""
    height, width = shape[:2]
    inside = np.zeros((height, width), bool)
    for r in masks:
        x0, y0, x1, y1 = _window(r, 1, width, height)
        inside[y0:y1, x0:x1] |= _distance(r, x0, y0, x1, y1) <= 1
    return inside


# A secret drawn once per process: every mode's noise comes from it, so nothing an attacker can read off
# the output (a mask's coordinates, a track number) lets them regenerate the noise and subtract it.
_SECRET = int.from_bytes(os.urandom(16), "big")
# Textures of the regions seen lately: a track keeps its pattern from frame to frame (no flicker).
TEXTURES_KEPT = 512


def _key(r: Region) -> tuple[int, ...]:
    """Noise of a video track is the track's own; a photo region's is its geometry's."""
    return (r.track_id, 1) if r.track_id is not None else tuple(abs(int(v)) for v in (r.x0, r.y0, r.x1, r.y1))


def _rng_for(key: tuple[int, ...]) -> np.random.Generator:
    return np.random.default_rng([_SECRET, *key])


def _rng(r: Region) -> np.random.Generator:
    return _rng_for(_key(r))


# The grain: a tile of unit noise drawn from the secret, laid over the mask at the picture's own pixel
# size (film grain is fine whatever the face's size) and scaled to the surroundings' own noise.
TEXTURE = 64
# Grain at most GRAIN_MAX levels, however noisy the scene: grain is there so that the patch does not read
# as a flat sticker, not to hide anything (nothing inside the mask reaches the fill).
GRAIN_MAX = 3.0
# The faint edge: the rim of the patch up to this many levels darker than its fill (half the ring's own
# spread at most), fading over the outer EDGE_WIDTH of its radius, so a viewer can tell a face was hidden
# there; darker, never lighter.
EDGE = 6.0
EDGE_WIDTH = 0.3
# The ring a patch is never lighter than, in (normalised) distances from the mask's centre: beyond the soft
# edge, what a viewer sees around the patch.
RING = (1.25, 1.6)


@dataclass(frozen=True)
class _Texture:
    grain: np.ndarray  # TEXTURE x TEXTURE, unit normal noise, one channel (grain is brightness only)


def _make_texture(rng: np.random.Generator) -> _Texture:
    return _Texture(rng.normal(0, 1, (TEXTURE, TEXTURE)).astype(np.float32))


@lru_cache(maxsize=TEXTURES_KEPT)
def _texture_for(key: tuple[int, ...]) -> _Texture:
    return _make_texture(_rng_for(key))


def _texture(r: Region) -> _Texture:
    return _texture_for(_key(r))


def _scene_noise(grey: np.ndarray, outside: np.ndarray) -> float:
    """The surroundings' own fine noise (levels, a standard deviation): from the differences between
    neighbours, edges clipped off; continuous, so it does not jump between frames of a video."""
    d = np.abs(np.diff(grey, axis=1))[(outside[:, 1:] & outside[:, :-1])]
    return float(np.minimum(d, 8).mean()) / 1.6 if d.size else 0.0


def _erase_fill(src: np.ndarray, outside: np.ndarray, texture: _Texture, r: Region, x0: int, y0: int) -> np.ndarray:
    """A calm patch made from outside pixels only: the surroundings' colours carried smoothly into the
    hole (normalised convolution at COLOUR_SIDE: each colour is a weighted mean of nearby outside pixels,
    so the patch is never brighter or busier than its ring), a faint darker rim, and the track's grain at
    the scene's own noise level. ``(x0, y0)`` is where ``src`` sits in the picture."""
    h, w = outside.shape
    c = min(1.0, COLOUR_SIDE / max(h, w))
    cw, ch = max(2, round(w * c)), max(2, round(h * c))
    weight = outside.view(np.uint8) * np.uint8(255)
    small_k = cv2.resize(cv2.bitwise_and(src, src, mask=weight), (cw, ch), interpolation=cv2.INTER_AREA)
    small_w = cv2.resize(weight, (cw, ch), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    sigma = 0.3 * max(cw, ch)
    num = cv2.GaussianBlur(small_k.astype(np.float32), (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    den = cv2.GaussianBlur(small_w, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)[:, :, None]
    fallback = small_k.reshape(-1, 3).sum(0) / max(small_w.sum(), 1e-6) if outside.any() else np.full(3, 128.0)
    colours = np.where(den > 1e-4, num / np.maximum(den, 1e-4), fallback.astype(np.float32))
    fill = cv2.resize(colours, (w, h), interpolation=cv2.INTER_LINEAR)
    grey = cv2.cvtColor(src, cv2.COLOR_RGB2GRAY).astype(np.float32)
    distance = _distance(r, x0, y0, x0 + w, y0 + h)
    # never lighter than the ring just around it: the colours above also reach further out, where a
    # bright background can outweigh a dark collar or hair next to the face
    ring = outside & (distance > RING[0]) & (distance <= RING[1])
    hole = distance <= 1
    edge = 0.0
    if ring.any() and hole.any():
        excess = float(cv2.cvtColor(fill, cv2.COLOR_RGB2GRAY)[hole].mean()) - float(grey[ring].mean())
        fill -= max(0.0, excess)
        edge = min(EDGE, 0.5 * float(grey[ring].std()))  # before a plain wall, a rim as faint as the wall
    shade = np.clip((distance - (1 - EDGE_WIDTH)) / EDGE_WIDTH, 0, 1)
    shade *= -edge
    grain = np.tile(texture.grain, (h // TEXTURE + 1, w // TEXTURE + 1))[:h, :w]
    shade += grain * min(GRAIN_MAX, _scene_noise(grey, outside))
    fill += shade[:, :, None]
    return _to_uint8(fill)


def _cell_colours(src: np.ndarray, cells: int, rng: np.random.Generator) -> np.ndarray:
    """Average colours of a few cells across the face, with noise on top (float, cells x cells x 3)."""
    h, w = src.shape[:2]
    n = max(1, min(cells, w, h))
    small = cv2.resize(src, (n, n), interpolation=cv2.INTER_AREA).astype(np.float32)
    return small + rng.normal(0, 6.0, small.shape).astype(np.float32)


def _cells_fill(small: np.ndarray, w: int, h: int, smooth: bool) -> np.ndarray:
    """The cells stretched over a w x h window: as blocks, or (blur) smoothed into each other (uint8)."""
    if not smooth:
        return cv2.resize(_to_uint8(small), (w, h), interpolation=cv2.INTER_NEAREST)
    f = min(1.0, FILL_SIDE / max(h, w))
    sw, sh = max(2, round(w * f)), max(2, round(h * f))
    fill = cv2.GaussianBlur(cv2.resize(small, (sw, sh), interpolation=cv2.INTER_CUBIC), (0, 0), 0.08 * max(sw, sh))
    return cv2.resize(_to_uint8(fill), (w, h), interpolation=cv2.INTER_LINEAR)


def _to_uint8(pixels: np.ndarray) -> np.ndarray:
    return np.clip(pixels + 0.5, 0, 255).astype(np.uint8)


def _alpha(r: Region, feather: float, window: tuple[int, int, int, int]) -> np.ndarray:
    """Soft mask over ``window``: 1 on and inside the hard mask (exactly: distance <= 1 gives >= 1
    before clipping), falling to 0 over ``feather`` pixels outside it."""
    a = _distance(r, *window)
    a -= 1
    a *= -max(1.0, min(r.width, r.height) / 2) / feather
    a += 1
    return np.clip(a, 0, 1, out=a)


# A video run forgets a face not seen for this many frames: a track ends a second or so after its last
# detection and its number is never reused, so this only bounds the memory.
FORGET_FRAMES = 600


@dataclass
class _Held:
    seen: int  # the last frame it was used in
    texture: _Texture | None = None
    cells: np.ndarray | None = None


class TrackMemory:
    """What one video run keeps of each face it obscures (by track; a manual region by its box).

    Pixelate and blur reuse the cells a face had when it first appeared: on shaky footage the grid
    falls on a different part of the face every frame, and a fit over many frames would rebuild detail
    that no single frame shows. Noise and textures come from a secret of the run's own, so track 0 of
    one video does not share its pattern with track 0 of the next; each face's noise is drawn from
    that secret and its key alone, so frames obscured in any order (a preview jumping about) match
    the export frame for frame."""

    def __init__(self, forget_after: int = FORGET_FRAMES, kept: int = TEXTURES_KEPT, secret: int | None = None) -> None:
        self._secret = int.from_bytes(os.urandom(16), "big") if secret is None else secret
        self._held: OrderedDict[tuple[int, ...], _Held] = OrderedDict()  # least recently seen first
        self._frame = 0
        self._forget_after, self._kept = forget_after, kept

    def fresh(self) -> TrackMemory:
        """A memory that obscures exactly as this one (its secret), holding nothing yet: an export's, so
        it matches the previews drawn with this one without sharing their state across threads."""
        return TrackMemory(self._forget_after, self._kept, self._secret)

    def holds(self, r: Region) -> bool:
        """Whether the cells of ``r``'s face are held (from the frame it first appeared in)."""
        held = self._held.get(_key(r))
        return held is not None and held.cells is not None

    def _rng(self, r: Region) -> np.random.Generator:
        return np.random.default_rng([self._secret, *_key(r)])

    def next_frame(self) -> None:
        self._frame += 1
        self._forget()

    def _forget(self) -> None:
        while self._held:
            oldest = next(iter(self._held.values()))
            if len(self._held) <= self._kept and self._frame - oldest.seen <= self._forget_after:
                return
            self._held.popitem(last=False)

    def _entry(self, r: Region) -> _Held:
        key = _key(r)
        held = self._held.pop(key, None) or _Held(self._frame)
        held.seen = self._frame
        self._held[key] = held
        self._forget()
        return held

    def texture(self, r: Region) -> _Texture:
        held = self._entry(r)
        if held.texture is None:
            held.texture = _make_texture(self._rng(r))
        return held.texture

    def cells(self, r: Region, src: np.ndarray, cells: int) -> np.ndarray:
        held = self._entry(r)
        if held.cells is None:
            held.cells = _cell_colours(src, cells, self._rng(r))
        return held.cells


def _fill(
    image: np.ndarray,
    inside: np.ndarray | None,
    r: Region,
    settings: Settings,
    window: tuple[int, int, int, int],
    memory: TrackMemory | None,
) -> np.ndarray:
    """What replaces the face over ``window``, uint8."""
    height, width = image.shape[:2]
    x0, y0, x1, y1 = window
    if settings.mode == "fill":
        return np.full((y1 - y0, x1 - x0, 3), settings.color, np.uint8)
    if settings.mode == "erase":
        assert inside is not None
        # colours come from a ring of surroundings wider than the soft edge
        margin = _feather(r) + max(3.0, 0.25 * min(r.width, r.height))
        cx0, cy0, cx1, cy1 = _window(r, margin, width, height)
        cx0, cy0, cx1, cy1 = min(cx0, x0), min(cy0, y0), max(cx1, x1), max(cy1, y1)
        texture = memory.texture(r) if memory is not None else _texture(r)
        f = _erase_fill(image[cy0:cy1, cx0:cx1], ~inside[cy0:cy1, cx0:cx1], texture, r, cx0, cy0)
        return f[y0 - cy0 : y1 - cy0, x0 - cx0 : x1 - cx0]
    bx0, by0, bx1, by1 = _window(r, 0, width, height)
    src, n = image[by0:by1, bx0:bx1], 4 if settings.mode == "pixelate" else 3
    small = memory.cells(r, src, n) if memory is not None else _cell_colours(src, n, _rng(r))
    cells = _cells_fill(small, bx1 - bx0, by1 - by0, settings.mode == "blur")
    return cv2.copyMakeBorder(cells, by0 - y0, y1 - by1, bx0 - x0, x1 - bx1, cv2.BORDER_REPLICATE)


def obscure(
    image: np.ndarray,
    regions: Iterable[Region],
    settings: Settings | None = None,
    frame: int | None = None,
    memory: TrackMemory | None = None,
) -> np.ndarray:
    """A copy of an RGB image with every region obscured in ``settings.mode``. ``memory`` is one video
    run's, called once per frame in order; without it every call stands alone."""
    if memory is not None:
        memory.next_frame()
    settings = settings or Settings()
    height, width = image.shape[:2]
    masks = mask_regions(regions, settings, width, height, frame)
    out = image.copy()
    if not masks:
        return out
    inside = mask_of(image.shape, masks) if settings.mode == "erase" else None
    # Each pixel takes the fill of the region whose soft mask is strongest there (inside a hard mask: 1, so
    # only that mask's fill). Work stays inside each region's window: full-image float buffers cost seconds
    # and GBs on 48 MP photos.
    alpha = np.zeros((height, width), np.float32)
    for r in masks:
        feather = _feather(r)
        # the soft edge reaches ``feather`` past the short axis, proportionally further along the long one
        reach = feather * max(r.width, r.height) / max(min(r.width, r.height), 1.0) + 1
        window = _window(r, reach, width, height)
        x0, y0, x1, y1 = window
        a = _alpha(r, feather, window)
        win_alpha = alpha[y0:y1, x0:x1]
        w = np.where(a > win_alpha, a, np.float32(0))
        win = out[y0:y1, x0:x1]
        win[:] = cv2.blendLinear(_fill(image, inside, r, settings, window, memory), win, w, 1 - w)
        np.maximum(win_alpha, a, out=win_alpha)
    return out
