"""Detection: each backend on real faces, multi-scale and tiled passes, model integrity, crowd recall."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import blurkit
from blurkit.detect import backends_for, models
from blurkit.detect.multiscale import TILE, tiles
from blurkit.errors import ModelError
from blurkit.obscure import mask_of, mask_regions
from blurkit.regions import Region, boxes_of, iou_matrix

# Where the astronaut's face is in sample_media/astronaut.png (checked by eye on the rendered photo).
ASTRONAUT_FACE = Region(180, 60, 270, 178)


def astronaut() -> np.ndarray:
    return blurkit.load_photo(Path(__file__).resolve().parent.parent / "sample_media" / "astronaut.png").pixels


def best_iou(regions: list[Region], face: Region) -> float:
    return float(iou_matrix(boxes_of(regions), boxes_of([face])).max()) if regions else 0.0


@pytest.mark.parametrize("detector", ["centerface", "mediapipe", "both"])
def test_every_backend_finds_the_astronaut(detector: str) -> None:
    found = blurkit.detect_faces(astronaut(), blurkit.Settings(detector=detector))
    assert best_iou(found, ASTRONAUT_FACE) > 0.5


def test_a_small_face_needs_the_upscaled_pass() -> None:
    """The astronaut shrunk until her face is ~11 px wide: the 1.5x pass is what finds it."""
    small = cv2.resize(astronaut(), (64, 64), interpolation=cv2.INTER_AREA)
    frame = np.full((256, 256, 3), 120, np.uint8)
    frame[96:160, 96:160] = small
    face = ASTRONAUT_FACE.moved(0, 0, 0.125, 0.125).moved(96, 96)
    default = blurkit.detect_faces(frame)
    assert best_iou(default, face) > 0.3
    assert best_iou(default, face) >= best_iou(blurkit.detect_faces(frame, blurkit.Settings(scales=(1.0,))), face)


def test_large_images_are_tiled_and_still_find_a_face_larger_than_the_overlap() -> None:
    """A 4096 px image runs in overlapping tiles; a 720 px face crosses tile edges and is found
    by the overview pass, in full-image coordinates."""
    big = cv2.resize(astronaut(), (4096, 4096), interpolation=cv2.INTER_CUBIC)
    assert len(list(tiles(4096 * 3 // 2, 4096 * 3 // 2))) > 1
    found = blurkit.detect_faces(big, blurkit.Settings(scales=(1.0,)))
    assert best_iou(found, ASTRONAUT_FACE.moved(0, 0, 8, 8)) > 0.5


# Grace Hopper's face in sample_media/grace_hopper.jpg (x, y, width, height): the detector's box on the portrait.
HOPPER_FACE = (167, 114, 199, 226)


@pytest.mark.parametrize("fill", [0.6, 0.8, 0.95])
def test_a_face_filling_the_picture_is_covered_whole(fill: float) -> None:
    """A close-up: the portrait cropped so her face is ``fill`` of the picture's width, enlarged to 1000 px.
    At the fine scales the face is out of CenterFace's range (its box stops growing and its score falls: the
    masks covered 0.55-0.84 of the face before the close-up pass); the close-up pass sees it whole."""
    hopper = blurkit.load_photo(Path(__file__).resolve().parent.parent / "sample_media" / "grace_hopper.jpg").pixels
    x, y, w, h = HOPPER_FACE
    side = round(w / fill)
    x0, y0 = max(0, round(x + (w - side) / 2)), max(0, round(y + (h - side) / 2))
    crop = hopper[y0 : y0 + side, x0 : x0 + side]
    k = 1000 / crop.shape[1]
    picture = cv2.resize(crop, (1000, round(crop.shape[0] * k)), interpolation=cv2.INTER_CUBIC)
    top, left = max(0, round((y - y0) * k)), round((x - x0) * k)
    bottom, right = round((y + h - y0) * k), round((x + w - x0) * k)
    settings = blurkit.Settings()
    regions = blurkit.find_faces(picture, settings)
    mask = mask_of(picture.shape, mask_regions(regions, settings, picture.shape[1], picture.shape[0]))
    assert mask[top:bottom, left:right].mean() >= 0.9


def test_tiles_cover_the_image_with_overlap() -> None:
    covered = np.zeros((5000, 7000), bool)
    for x0, y0, x1, y1 in tiles(7000, 5000):
        assert x1 - x0 <= TILE and y1 - y0 <= TILE
        covered[y0:y1, x0:x1] = True
    assert covered.all()


def test_an_altered_model_is_refused(tmp_path: Path, monkeypatch) -> None:
    """A damaged or swapped model file must stop detection, not quietly find nothing."""
    for f in models.MODEL_DIR.iterdir():
        shutil.copy(f, tmp_path / f.name)
    with open(tmp_path / "centerface.onnx", "r+b") as f:
        f.seek(1000)
        f.write(b"\x00" * 16)
    monkeypatch.setattr(models, "MODEL_DIR", tmp_path)
    models.model_path.cache_clear()
    backends_for.cache_clear()
    try:
        with pytest.raises(ModelError, match="damaged"):
            blurkit.detect_faces(astronaut(), blurkit.Settings(threshold=0.31))
    finally:
        models.model_path.cache_clear()
        backends_for.cache_clear()


def test_wider_sample_recall_with_defaults(shared_data: Path) -> None:
    """A slice of the WIDER FACE set (the benchmark's first 20 photos), scored with the shared
    scorer's own rule on the obscured output: the defaults cover >= 90 % of faces >= 10 px."""
    sys.path.insert(0, str(shared_data.parent / "eval"))
    from coverage import obscured_mask, read_gt

    gt = read_gt(shared_data / "wider-dev" / "gt.txt")
    hit = total = 0
    for rel in sorted(gt)[:20]:
        rgb = blurkit.load_photo(shared_data / "wider-dev" / "images" / rel).pixels
        out, _ = blurkit.anonymize_image(rgb)
        changed = obscured_mask(rgb[:, :, ::-1].copy(), out[:, :, ::-1].copy())
        for x, y, w, h in gt[rel]:
            if w >= 10:
                total += 1
                hit += changed[y : y + h, x : x + w].mean() >= 0.7
    assert total > 100
    assert hit / total >= 0.9


@pytest.mark.parametrize("height", [24, 300])
def test_faces_on_a_band_seam_are_found(height: int) -> None:
    # a 1080p frame runs as two bands (the network's memory grows with its input); a small face on the seam
    # is inside the overlap, a large one is found at the coarse scale the video pass adds
    (_, _, _, seam), _ = tiles(1920, 1080)
    photo = blurkit.load_photo(Path(__file__).resolve().parent.parent / "sample_media" / "grace_hopper.jpg").pixels
    portrait = photo[100:380, 140:400]
    face = (42, 42, 210, 228)  # the tight face box in that crop
    scale = height / (face[3] - face[1])
    small = cv2.resize(portrait, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    frame = np.full((1080, 1920, 3), (40, 90, 70), np.uint8)
    top = int(seam - 64 - face[1] * scale - height / 2)  # the face's centre in the middle of the overlap
    frame[top : top + small.shape[0], 800 : 800 + small.shape[1]] = small
    found = blurkit.detect_faces(frame, blurkit.Settings(scales=(0.444, 1.0)))
    cy = top + (face[1] + face[3]) / 2 * scale
    assert any(abs(r.center[1] - cy) < height / 2 and r.height > height / 2 for r in found), found
