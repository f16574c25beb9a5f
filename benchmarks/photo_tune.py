"""Choose the photo detection defaults by measurement on ../shared/data/wider-dev.

Caches CenterFace's raw detections per image and scale (low threshold), then scores
combinations of scales, threshold and mask scale in-process with the rule of
../shared/eval/coverage.py (a face counts as covered when >= 70 % of its box
changed; collateral is changed area outside every face box grown 1.6x).
The chosen default is then confirmed black-box by benchmarks/photo_benchmark.py.

Usage: python benchmarks/photo_tune.py [--scales 1,1.5,2] [--out benchmarks/out]
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent / "shared" / "eval"))

from coverage import obscured_mask, read_gt  # noqa: E402

from blurkit.detect.centerface import CenterFace  # noqa: E402
from blurkit.detect.multiscale import detect_at_scale  # noqa: E402
from blurkit.obscure import obscure  # noqa: E402
from blurkit.regions import merge_overlapping  # noqa: E402
from blurkit.settings import Settings  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "wider-dev"


def cache_detections(scales: list[float], out: Path) -> dict:
    path = out / "wider_raw.pkl"
    cache = pickle.loads(path.read_bytes()) if path.exists() else {"dets": {}, "ms": {}}
    net = CenterFace(threshold=0.05)
    gt = read_gt(DATA / "gt.txt")
    for s in scales:
        if any((rel, s) in cache["dets"] for rel in gt):
            continue
        times = []
        for rel in gt:
            rgb = cv2.cvtColor(cv2.imread(str(DATA / "images" / rel)), cv2.COLOR_BGR2RGB)
            t = time.perf_counter()
            cache["dets"][rel, s] = detect_at_scale(net, rgb, s)
            times.append(time.perf_counter() - t)
        cache["ms"][s] = statistics.median(times) * 1000
        print(f"scale {s}: median {cache['ms'][s]:.0f} ms/image", flush=True)
        path.write_bytes(pickle.dumps(cache))
    return cache


def score(cache: dict, scales: tuple[float, ...], threshold: float, mask_scale: float) -> dict:
    """The scorer's own rule, in-process: obscure with blurkit, diff with coverage.obscured_mask."""
    gt = read_gt(DATA / "gt.txt")
    settings = Settings(mask_scale=mask_scale, threshold=threshold, scales=scales)
    hit10 = n10 = hit24 = n24 = 0
    coll = area = 0
    for rel, boxes in gt.items():
        bgr = cv2.imread(str(DATA / "images" / rel))
        found = [r for s in scales for r in cache["dets"][rel, s] if r.score >= threshold]
        out = obscure(bgr[:, :, ::-1], merge_overlapping(found), settings)
        m = obscured_mask(bgr, np.ascontiguousarray(out[:, :, ::-1]))
        grown = np.zeros_like(m)
        for x, y, bw, bh in boxes:
            cx, cy = x + bw / 2, y + bh / 2
            y0, y1 = int(max(0, cy - 0.8 * bh)), int(cy + 0.8 * bh) + 1
            grown[y0:y1, int(max(0, cx - 0.8 * bw)) : int(cx + 0.8 * bw) + 1] = True
            if bw < 10:
                continue
            ok = m[y : y + bh, x : x + bw].mean() >= 0.7
            hit10 += ok
            n10 += 1
            if bw >= 24:
                hit24 += ok
                n24 += 1
        coll += int((m & ~grown).sum())
        area += m.size
    return {"r10": hit10 / n10, "r24": hit24 / n24, "coll": coll / area}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="1,1.5,2", help="scales to cache detections at")
    ap.add_argument("--combos", default="1;1.5;1,1.5;1,2", help="scale sets to score, ';'-separated")
    ap.add_argument("--thresholds", default="0.1,0.15,0.2")
    ap.add_argument("--mask-scales", default="1.3,1.4,1.5")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    cache = cache_detections([float(s) for s in a.scales.split(",")], a.out)
    combos = [tuple(float(s) for s in c.split(",")) for c in a.combos.split(";")]
    thresholds = [float(t) for t in a.thresholds.split(",")]
    mask_scales = [float(m) for m in a.mask_scales.split(",")]
    print("scales\tms\tthreshold\tmask_scale\trecall>=10\trecall>=24\tcollateral")
    for combo, thr, ms in itertools.product(combos, thresholds, mask_scales):
        r = score(cache, combo, thr, ms)
        cost = sum(cache["ms"][s] for s in combo)
        print(f"{combo}\t{cost:.0f}\t{thr}\t{ms}\t{r['r10']:.4f}\t{r['r24']:.4f}\t{r['coll']:.4f}", flush=True)


if __name__ == "__main__":
    main()
