"""Attacks on the modes that read the face (pixelate, blur) and on everyone's noise: regenerating the noise
from what the output shows, and fitting many video frames of one face to rebuild detail no frame shows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import synthetic_clips
from photo_fixtures import load_rgb
from test_video import decoded

import blurkit
from blurkit import Region, Settings, mask_regions, obscure
from blurkit.obscure import TrackMemory

SAMPLES = Path(__file__).resolve().parent.parent / "sample_media"
NOISY_MODES = ("erase", "pixelate", "blur")
# Square masks exactly as given, so the cells of the output can be read off at known places.
AS_GIVEN = {"shape": "box", "mask_scale": 1.0}

# The shaky sequence: a face (the astronaut's, in BLOCK-pixel blocks) FACE pixels square, a BOX-pixel mask
# on it that lands somewhere else on the face in every one of FRAMES frames, while the camera shakes.
FACE, BOX, BLOCK, FRAMES = 96, 64, 4, 48
CELL = BOX // 4


def cells_of(out: np.ndarray, r: Region, n: int = 4) -> np.ndarray:
    """The n x n cell colours of a pixelated box mask, read at the cells' centres."""
    x0, y0, side = int(r.x0), int(r.y0), int(r.width) // n
    return out[y0 + side // 2 :: side, x0 + side // 2 :: side][:n, :n].astype(np.float32)


def test_noise_cannot_be_regenerated_from_coordinates_or_track_ids() -> None:
    """The attack on the old seed: on a flat face every cell is the average plus noise; whoever regenerates
    that noise (it was seeded by the mask's corners) subtracts it and has the exact averages back."""
    image = np.full((200, 200, 3), 120, np.uint8)
    for region in (Region(50, 50, 150, 150), Region(50, 50, 150, 150, track_id=0)):
        mask = mask_regions([region], Settings(mode="pixelate", **AS_GIVEN), 200, 200)[0]
        noise = cells_of(obscure(image, [region], Settings(mode="pixelate", **AS_GIVEN)), mask) - 120
        assert np.sqrt(np.mean(noise**2)) > 3  # there is noise to subtract
        corners = [abs(int(v)) for v in (mask.x0, mask.y0, mask.x1, mask.y1)]
        seeds = [corners, [int(v) for v in (mask.x0, mask.y0, mask.x1, mask.y1)], [0], [0, 1], [1], [0, 0]]
        seeds += [[secret, *key] for secret in range(16) for key in (corners, [0, 1])]
        for seed in seeds:
            guess = np.random.default_rng(seed).normal(0, 6.0, noise.shape)
            # with the right seed only rounding would be left (< 0.5); with a wrong one, two noises add up
            assert np.sqrt(np.mean((noise - guess) ** 2)) > 3, seed


@pytest.mark.parametrize("mode", NOISY_MODES)
def test_each_video_run_draws_its_own_pattern(mode: str) -> None:
    """Track numbers restart with every video, so patterns kept by track number alone would be the same in
    every video of a batch: knowing one face under one of them would give the noise of all the others."""
    # a grey with a camera's noise: erase's grain follows the scene's own noise
    frame = np.clip(90 + np.random.default_rng(0).normal(0, 4, (120, 120, 3)), 0, 255).astype(np.uint8)
    face = Region(30, 30, 90, 90, track_id=0)
    settings = Settings(mode=mode, **AS_GIVEN)
    first, second = TrackMemory(), TrackMemory()
    a = obscure(frame, [face], settings, memory=first)
    b = obscure(frame, [face], settings, memory=second)
    assert np.abs(a[30:90, 30:90].astype(int) - b[30:90, 30:90]).mean() > 1
    assert np.array_equal(obscure(frame, [face], settings, memory=first), a)  # steady within the run


def shaky_face() -> tuple[np.ndarray, list[tuple[np.ndarray, Region]]]:
    """The face's true BLOCK-pixel values and FRAMES (frame, mask) pairs: the camera shakes the face by up to
    10 px and the mask lands on a different part of it each frame (offsets of 0 to FACE - BOX px), as a
    tracker's box wobbles on shaky footage. All grey, so the three channels agree."""
    grey = cv2.cvtColor(load_rgb(SAMPLES / "astronaut.png")[60:200, 160:290], cv2.COLOR_RGB2GRAY)
    truth = cv2.resize(grey, (FACE // BLOCK,) * 2, interpolation=cv2.INTER_AREA).astype(np.float32)
    face = cv2.resize(truth, (FACE, FACE), interpolation=cv2.INTER_NEAREST)
    rng = np.random.default_rng(5)
    frames = []
    for _ in range(FRAMES):
        fx, fy = (60 + int(v) for v in rng.integers(-10, 11, 2))
        ox, oy = (int(v) for v in rng.integers(0, FACE - BOX + 1, 2))
        image = np.full((220, 220), 128, np.float32)
        image[fy : fy + FACE, fx : fx + FACE] = face
        rgb = np.repeat(image[:, :, None], 3, axis=2).astype(np.uint8)
        frames.append((rgb, Region(fx + ox, fy + oy, fx + ox + BOX, fy + oy + BOX, 0.9, track_id=0)))
    return truth, frames


def face_offset(image: np.ndarray, r: Region) -> tuple[int, int]:
    """Where the mask sits on the face: what an attacker gets from the background's motion and the grid."""
    ys, xs = np.nonzero(image[:, :, 0] != 128)
    return int(r.x0) - int(xs.min()), int(r.y0) - int(ys.min())


def fitted_face(observed: list[tuple[np.ndarray, tuple[int, int]]]) -> np.ndarray:
    """Least-squares fit of the face's blocks to every observed cell (each the mean of the blocks under it),
    with a light smoothness prior: the super-resolution attack on a mosaic."""
    n = FACE // BLOCK
    rows, values = [], []
    for cells, (ox, oy) in observed:
        for i in range(4):
            for j in range(4):
                weight = np.zeros((FACE, FACE))
                weight[oy + CELL * i : oy + CELL * (i + 1), ox + CELL * j : ox + CELL * (j + 1)] = 1 / CELL**2
                rows.append(weight.reshape(n, BLOCK, n, BLOCK).sum(axis=(1, 3)).ravel())
                values.append(cells[i, j])
    a, b = np.array(rows), np.array(values)
    steps = [np.eye(n * n) - np.roll(np.eye(n * n), shift, axis=1) for shift in (1, n)]
    prior = sum(s.T @ s for s in steps)
    mean = b.mean()
    x = np.linalg.solve(a.T @ a + 0.01 * prior + 1e-6 * np.eye(n * n), a.T @ (b - mean)) + mean
    return x.reshape(n, n)


def detail_correlation(fit: np.ndarray, truth: np.ndarray, offset: tuple[int, int]) -> float:
    """Correlation with the true face of the detail finer than the mosaic (each minus its own blur), over the
    part of the face the first frame's mask covers."""
    ox, oy = (v // BLOCK for v in offset)
    part = (slice(oy, oy + BOX // BLOCK), slice(ox, ox + BOX // BLOCK))

    def detail(blocks: np.ndarray) -> np.ndarray:
        return (blocks - cv2.GaussianBlur(blocks.astype(np.float32), (0, 0), 2.0))[part].ravel()

    return float(np.corrcoef(detail(fit), detail(truth))[0, 1])


def observations(
    frames: list[tuple[np.ndarray, Region]], memory: TrackMemory | None
) -> Iterator[tuple[np.ndarray, tuple[int, int]]]:
    """Each frame pixelated, as the attacker reads it: the cells and where the mask sat on the face."""
    settings = Settings(mode="pixelate", **AS_GIVEN)
    for image, r in frames:
        yield cells_of(obscure(image, [r], settings, memory=memory), r).mean(axis=2), face_offset(image, r)


def one_and_all(observed: list[tuple[np.ndarray, tuple[int, int]]], truth: np.ndarray) -> tuple[float, float]:
    """Detail correlation of the fit to the first frame alone and to all frames."""
    first = observed[0][1]
    return detail_correlation(fitted_face(observed[:1]), truth, first), detail_correlation(
        fitted_face(observed), truth, first
    )


def test_48_shaky_frames_of_a_pixelated_face_tell_no_more_than_one() -> None:
    """The grid falls on a different part of the face each frame; fitted over 48 frames, the cells gave the
    face's detail back (correlation 0.75 against 0.52 from one frame). Cells kept for the track from
    its first frame give every frame the same values, and the fit nothing more."""
    truth, frames = shaky_face()
    one, many = one_and_all(list(observations(frames, None)), truth)  # every frame its own cells, as before
    assert many > one + 0.1  # the attack works on cells drawn afresh (by 0.21 to 0.25)
    held = list(observations(frames, TrackMemory()))
    assert all(np.array_equal(cells, held[0][0]) for cells, _ in held)
    one, many = one_and_all(held, truth)
    assert many <= one + 0.02


def test_blur_keeps_a_tracks_cells_too() -> None:
    _, frames = shaky_face()
    settings = Settings(mode="blur", **AS_GIVEN)

    def patches(memory: TrackMemory | None) -> list[np.ndarray]:
        """What covers the face in each frame, from the mask's corner."""
        outs = ((obscure(image, [r], settings, memory=memory), r) for image, r in frames)
        return [out[int(r.y0) : int(r.y1), int(r.x0) : int(r.x1)] for out, r in outs]

    held = patches(TrackMemory())
    assert all(np.array_equal(p, held[0]) for p in held)
    fresh = patches(None)
    assert not all(np.array_equal(p, fresh[0]) for p in fresh)


def test_memory_forgets_faces_not_seen_for_a_while() -> None:
    """Bounded: a face unseen for ``forget_after`` frames, or pushed out by ``kept`` newer ones, is dropped,
    and its cells are taken afresh if its track comes back (here onto a brighter face)."""
    frame = np.full((120, 240, 3), 90, np.uint8)
    brighter = frame + np.uint8(60)
    settings = Settings(mode="pixelate", **AS_GIVEN)
    face = [Region(20, 20, 100, 100, track_id=0)]
    others = [Region(140, 20, 220, 100, track_id=k) for k in range(1, 4)]

    def held(memory: TrackMemory, between: list[list[Region]]) -> bool:
        """Whether the face still shows its first cells after the frames ``between``."""
        first = obscure(frame, face, settings, memory=memory)[20:100, 20:100]
        for regions in between:
            obscure(frame, regions, settings, memory=memory)
        return np.array_equal(obscure(brighter, face, settings, memory=memory)[20:100, 20:100], first)

    assert held(TrackMemory(forget_after=5), [[]] * 4)
    assert not held(TrackMemory(forget_after=5), [[]] * 6)
    assert held(TrackMemory(kept=3), [[r] for r in others[:2]])
    assert not held(TrackMemory(kept=3), [[r] for r in others])


def ellipse_cells(image: np.ndarray, mask: Region) -> list[np.ndarray]:
    """The colours of the 12 cells of a pixelated ellipse whose centres lie inside it (all but the corners),
    each the median of 5 x 5 pixels round its centre, so codec error stays small."""
    x0, y0 = int(np.floor(mask.x0)), int(np.floor(mask.y0))
    w, h = int(np.ceil(mask.x1)) - x0, int(np.ceil(mask.y1)) - y0
    out = []
    for i in range(4):
        for j in range(4):
            if i in (0, 3) and j in (0, 3):
                continue
            cy, cx = int(y0 + (i + 0.5) * h / 4), int(x0 + (j + 0.5) * w / 4)
            out.append(np.median(image[cy - 2 : cy + 3, cx - 2 : cx + 3].reshape(-1, 3), axis=0))
    return out


def test_a_pixelated_face_keeps_its_cells_through_a_real_video(tmp_path: Path) -> None:
    """End to end on a handheld clip (ffmpeg in and out): within one run the cells inside the mask stay the
    same in every frame (up to codec error), and a second run of the same clip has different ones."""
    clip = synthetic_clips.shake(tmp_path / "in.mp4")
    settings = Settings(mode="pixelate")
    runs = []
    for name in ("a.mp4", "b.mp4"):
        result = blurkit.anonymize_file(clip.path, tmp_path / name, settings)
        cells = []
        for index, image in enumerate(decoded(tmp_path / name)):
            (mask,) = mask_regions(result.frames[index], settings, image.shape[1], image.shape[0], frame=index)
            cells.append(ellipse_cells(image, mask))
        assert {r.track_id for regions in result.frames for r in regions} == {0}
        runs.append(np.array(cells, np.float32))
    a, b = runs
    assert np.abs(a - np.median(a, axis=0)).max() <= 4  # was up to 30 with cells drawn afresh each frame
    assert np.abs(a - b).mean() > 2  # was 0: the same track number gave the same noise in every run
