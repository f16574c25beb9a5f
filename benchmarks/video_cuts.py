"""Shot cuts of a video, found from its pixels alone, so the benchmark does not grade blurkit with blurkit's code.

Each frame is shrunk to a 64x36 grey thumbnail and standardised (zero mean, unit variance); a cut is a frame
whose thumbnail correlates with the previous one by less than 0.4. Standardising makes the measure blind to
brightness and contrast: ffmpeg's ``scdet`` scores the flickering light of tears-of-steel (10-13) above the
real cuts of stage-clip (8-10), so no threshold of it fits both, while here on the shared clips every cut
falls below 0.25 and everything else (flicker, a camera on a bus, a dense crowd) stays above 0.6.
Gradual transitions (a dissolve, a wipe) are not cuts and are not found. Frames are decoded with OpenCV,
as the scorer does, so indices match its own.

Check by eye: python benchmarks/video_cuts.py CLIP [--sheets DIR] prints the cut frames and writes, per cut,
a PNG of the three frames before and after it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

CUT_BELOW = 0.4
THUMB = (64, 36)


def _thumb(frame: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(cv2.resize(frame, THUMB, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    grey = grey.astype(np.float32)
    return (grey - grey.mean()) / (grey.std() + 1e-6)


def correlations(path: Path) -> list[float]:
    """Per frame, the correlation of its thumbnail with the previous frame's (1.0 for the first)."""
    cap = cv2.VideoCapture(str(path))
    values: list[float] = []
    prev = None
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        thumb = _thumb(frame)
        values.append(1.0 if prev is None else float((thumb * prev).mean()))
        prev = thumb
    cap.release()
    return values


def find_cuts(path: Path) -> list[int]:
    """Indices of the first frame of each new shot."""
    return [i for i, c in enumerate(correlations(path)) if c < CUT_BELOW]


def write_sheets(path: Path, cuts: list[int], out: Path, around: int = 3) -> list[Path]:
    """One PNG per cut: frames cut-around .. cut+around-1, numbered, in a row of thumbnails."""
    wanted = {i for c in cuts for i in range(c - around, c + around)}
    frames: dict[int, np.ndarray] = {}
    cap = cv2.VideoCapture(str(path))
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if index in wanted:
            tile = cv2.resize(frame, (320, round(320 * frame.shape[0] / frame.shape[1])))
            cv2.putText(tile, str(index), (5, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 255, 255), 2)
            frames[index] = tile
        index += 1
    cap.release()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for c in cuts:
        sheet = out / f"{path.stem}-cut{c}.png"
        cv2.imwrite(str(sheet), np.hstack([frames[i] for i in range(c - around, c + around) if i in frames]))
        written.append(sheet)
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clip", type=Path)
    ap.add_argument("--sheets", type=Path, help="write a PNG of the frames around each cut into this folder")
    args = ap.parse_args()
    cuts = find_cuts(args.clip)
    print(f"{args.clip.name}: cuts at frames {cuts}")
    if args.sheets:
        for sheet in write_sheets(args.clip, cuts, args.sheets):
            print(sheet)


if __name__ == "__main__":
    main()
