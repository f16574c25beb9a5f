"""Regenerate the README's pictures from sample_media/ (redistributable) with the code as it ships:
``python docs/make_pictures.py`` writes docs/before_after.png (a photo and blurkit's default output) and
docs/modes.png (one photo in every mode, the default first, each labelled)."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import blurkit  # noqa: E402

SAMPLES = ROOT / "sample_media"
DOCS = ROOT / "docs"
# Side of each panel's longer edge: small enough for a README, large enough to see the grain and the rim.
PANEL = 420


def panel(rgb: np.ndarray, label: str | None = None) -> np.ndarray:
    """``rgb`` scaled to PANEL on its longer side, with ``label`` on a dark band under it."""
    h, w = rgb.shape[:2]
    f = PANEL / max(h, w)
    out = cv2.resize(rgb, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
    if label is None:
        return out
    band = np.full((34, out.shape[1], 3), 32, np.uint8)
    cv2.putText(band, label, (10, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (235, 235, 235), 1, cv2.LINE_AA)
    return np.vstack([out, band])


def gap(height: int) -> np.ndarray:
    return np.full((height, 8, 3), 255, np.uint8)


def row(panels: list[np.ndarray]) -> np.ndarray:
    parts = []
    for p in panels:
        parts += [p, gap(p.shape[0])]
    return np.hstack(parts[:-1])


def write(name: str, rgb: np.ndarray) -> None:
    path = DOCS / name
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    print(path.relative_to(ROOT))


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    hopper = blurkit.load_photo(SAMPLES / "grace_hopper.jpg").pixels
    out, _ = blurkit.anonymize_image(hopper)
    write("before_after.png", row([panel(hopper, "original"), panel(out, "blurkit (default: erase)")]))
    astronaut = blurkit.load_photo(SAMPLES / "astronaut.png").pixels
    faces = blurkit.find_faces(astronaut)
    modes = [panel(astronaut, "original")]
    for mode in blurkit.MODES:  # the default first
        settings = blurkit.Settings(mode=mode)
        label = f"{mode} (default)" if mode == blurkit.Settings().mode else mode
        modes.append(panel(blurkit.anonymize_image(astronaut, settings, regions=faces)[0], label))
    write("modes.png", row(modes))


if __name__ == "__main__":
    main()
