"""CenterFace as blurkit ships it for OpenVINO (INT8, ``packaging/quantize_centerface.py``) beside the fp32 original
on the same runtime, in one run:

- CPU and wall time of one inference at video's every-frame size (768x448) and a 1080p full search (1920x1088);
- recall (faces >= 10 px whose box the grown mask covers >= 70 %), collateral (mask outside every face box
  grown 1.6x), CPU per photo and regions found, with the default photo search (upright and three turns, each
  at the default scales; the table in RESULTS.md was made when the turns ran at 1.22 alone), on every 8th
  wider-dev photo (none of them calibrated the quantization), upright and turned 90 degrees by its pixels;
- how far the scores of the faces both find move.

Reads ../shared in place. Usage: python benchmarks/int8_bench.py
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PHOTOS = SHARED / "data" / "wider-dev"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "packaging"))
sys.path.insert(0, str(SHARED / "eval"))

from coverage import read_gt  # noqa: E402
from quantize_centerface import held_out  # noqa: E402

from blurkit.detect import TURNS  # noqa: E402
from blurkit.detect.centerface import CenterFace, _OpenVino  # noqa: E402
from blurkit.detect.models import model_path  # noqa: E402
from blurkit.detect.multiscale import detect_multiscale  # noqa: E402
from blurkit.obscure import mask_of, mask_regions  # noqa: E402
from blurkit.regions import Region, boxes_of, iou_matrix  # noqa: E402
from blurkit.settings import Settings  # noqa: E402

PLAN = dict.fromkeys((0, *TURNS), Settings().scales)


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timing(models: dict[str, CenterFace]) -> None:
    print("| input | model | CPU ms | wall ms |\n| --- | --- | --- | --- |")
    for shape in ((448, 768), (1088, 1920)):
        data = np.random.default_rng(0).uniform(0, 255, (1, 3, *shape)).astype(np.float32)
        for name, model in models.items():
            for _ in range(3):
                model._openvino.forward(data)
            c, w = cpu(), time.perf_counter()
            for _ in range(10):
                model._openvino.forward(data)
            c, w = (cpu() - c) * 100, (time.perf_counter() - w) * 100
            print(f"| {shape[1]}x{shape[0]} | {name} | {c:.1f} | {w:.1f} |")


def turned_box(box: tuple[int, int, int, int], height: int) -> tuple[int, int, int, int]:
    """A box of an image of ``height`` rows in that image turned 90 degrees clockwise."""
    x, y, w, h = box
    return height - y - h, x, h, w


def grown_boxes(boxes: list[tuple[int, int, int, int]], shape: tuple[int, ...]) -> np.ndarray:
    """Every face box grown 1.6x about its centre, as ../shared/eval/coverage.py counts collateral."""
    grown = np.zeros(shape[:2], bool)
    for x, y, w, h in boxes:
        cx, cy = x + w / 2, y + h / 2
        grown[int(max(0, cy - 0.8 * h)) : int(cy + 0.8 * h) + 1, int(max(0, cx - 0.8 * w)) : int(cx + 0.8 * w) + 1] = 1
    return grown


def score_shifts(a: list[Region], b: list[Region]) -> list[float]:
    """|score difference| of the finds of ``a`` that a find of ``b`` matches (IoU >= 0.5)."""
    if not a or not b:
        return []
    iou = iou_matrix(boxes_of(a), boxes_of(b))
    best = iou.argmax(axis=1)
    return [abs(r.score - b[j].score) for r, j, v in zip(a, best, iou.max(axis=1), strict=True) if v >= 0.5]


def accuracy(models: dict[str, CenterFace], photos: list[Path], gt: dict) -> None:
    settings = Settings()
    print("\n| photos | model | recall >= 10 px | faces | collateral | CPU s a photo | regions |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    shifts: list[float] = []
    for turn in (0, 90):
        rows = {name: [0, 0, 0, 0, 0.0, 0] for name in models}
        for p in photos:
            rgb = cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)
            boxes = gt[p.relative_to(PHOTOS / "images").as_posix()]
            if turn:
                boxes = [turned_box(b, rgb.shape[0]) for b in boxes]
                rgb = np.ascontiguousarray(np.rot90(rgb, -1))
            height, width = rgb.shape[:2]
            grown = grown_boxes(boxes, rgb.shape)
            faces = [(x, y, w, h) for x, y, w, h in boxes if w >= 10]
            found = []
            for name, model in models.items():
                c = cpu()
                regions = detect_multiscale([model], rgb, PLAN)
                row = rows[name]
                row[4] += cpu() - c
                mask = mask_of(rgb.shape, mask_regions(regions, settings, width, height))
                row[0] += sum(mask[y : y + h, x : x + w].mean() >= 0.7 for x, y, w, h in faces)
                row[1] += len(faces)
                row[2] += int((mask & ~grown).sum())
                row[3] += mask.size
                row[5] += len(regions)
                found.append(regions)
            shifts += score_shifts(*found)
        for name, (hit, n, outside, area, seconds, count) in rows.items():
            per_photo = seconds / len(photos)
            print(f"| {turn} deg | {name} | {hit / n:.4f} | {n} | {outside / area:.4f} | {per_photo:.2f} | {count} |")
    q = np.quantile(shifts, [0.5, 0.9, 0.99, 1.0])
    moves = ", ".join(f"{k} {v:.3f}" for k, v in zip(("median", "p90", "p99", "max"), q, strict=True))
    print(f"\nscore moves of the {len(shifts)} finds both made: {moves}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.parse_args()
    if not (PHOTOS / "gt.txt").is_file():
        sys.exit("../shared/data/wider-dev is not present")
    gt = read_gt(str(PHOTOS / "gt.txt"))
    # the photos packaging/quantize_centerface.py left out of its calibration
    held = [
        p
        for p in held_out(list((PHOTOS / "images").rglob("*.jpg")))
        if p.relative_to(PHOTOS / "images").as_posix() in gt
    ]
    threshold = Settings().threshold
    fp32 = CenterFace(threshold, runtime="openvino")
    fp32._openvino = _OpenVino(model_path("centerface.onnx"))
    models = {"fp32": fp32, "int8 (shipped)": CenterFace(threshold, runtime="openvino")}
    print(f"## CenterFace INT8 beside fp32 (OpenVINO); {len(held)} held-out photos\n")
    timing(models)
    accuracy(models, held, gt)


if __name__ == "__main__":
    main()
