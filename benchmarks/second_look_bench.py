"""Which second look pays: variants of a detection on the OBSCURED output, scored on wider-dev.

The main pass (blurkit's defaults) runs once per photo and its output is kept. Each variant then looks at
those outputs (CenterFace rescaled, mirrored, rotated, contrast-stretched; MediaPipe's BlazeFace short
range in tiles) and its raw finds are cached with their median time per photo. A variant at a threshold
keeps its finds that lie mostly outside every mask, the photo is obscured again with them added, and the
result is scored in-process with ../shared/eval/coverage.py's own rule (covered when >= 70 % of a face's
box changed; collateral: changed area outside every face box grown 1.6x). The chosen default is then
confirmed black-box, beside deface, by benchmarks/photo_benchmark.py --also "--second-look off".

On a busy shared machine times drift by 2x within minutes, so --timing N times the whole file (decode to
encoded output) with the second look on and off alternately, photo by photo, on N photos: the median ratio.

A second model family, YuNet (libfacedetection; OpenCV's FaceDetectorYN runs it), is tried with --yunet FILE.
Its weights are not shipped, since they did not pay: onnx/yunet_s_640_640.onnx of ShiqiYu/libfacedetection.train
(Apache-2.0; sha256 8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4, the same file as OpenCV
Zoo's face_detection_yunet_2023mar.onnx, MIT) and onnx/yunet_n_dynamic.onnx of the same repository.

Usage: python benchmarks/second_look_bench.py [--variants NAME,...] [--limit N] [--out DIR] [--timing N]
                                              [--yunet FILE]
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent / "shared" / "eval"))

from coverage import obscured_mask, read_gt  # noqa: E402

from blurkit.api import anonymize_file  # noqa: E402
from blurkit.detect import detect_faces  # noqa: E402
from blurkit.detect.centerface import CenterFace  # noqa: E402
from blurkit.detect.mediapipe import BlazeFace  # noqa: E402
from blurkit.detect.multiscale import detect_at_scale  # noqa: E402
from blurkit.regions import Region, merge_overlapping  # noqa: E402
from blurkit.render import render_frame  # noqa: E402
from blurkit.second_look import outside  # noqa: E402
from blurkit.settings import Settings  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "wider-dev"
SETTINGS = Settings(second_look="off")
# (variant, thresholds to score it at)
PLAN = {
    "cf_s0.5": (0.2, 0.3),
    "cf_s1": (0.2, 0.3),
    "cf_s1.25": (0.2, 0.3),
    "cf_s1.5": (0.2, 0.3),
    "cf_s2": (0.2, 0.3),
    "cf_flip_s1": (0.2, 0.25, 0.3),
    "cf_flip_s1.5": (0.2, 0.3),
    "cf_rot+25_s1": (0.2, 0.3),
    "cf_rot-25_s1": (0.2, 0.3),
    "cf_clahe_s1": (0.2, 0.3),
    "mps_t256": (0.5, 0.6),
    "mps_t128": (0.5, 0.6),
}
# with --yunet FILE (finds cached under the variant's name: one model per --out folder)
YUNET_PLAN = {"yn_s1": (0.3, 0.5, 0.7), "yn_s2": (0.3, 0.5, 0.7, 0.8), "yn_flip_s1": (0.3, 0.5, 0.7),
              "yn_agree_s1": (0.2, 0.3)}  # fmt: skip
AGREE = 0.15  # yn_agree: a YuNet find counts where the mirrored CenterFace also scores this much
Look = Callable[[np.ndarray], list[Region]]


def _rotated(image: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """The image turned about its centre on a canvas that holds all of it, and the turn's matrix."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    c, s = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * s + w * c + 1), int(h * c + w * s + 1)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(image, m, (nw, nh), borderMode=cv2.BORDER_REFLECT), m


def _turned(cf: CenterFace, image: np.ndarray, degrees: float) -> list[Region]:
    """CenterFace on the image turned by ``degrees``; each find's centre turned back, its size kept (a tilted
    face's own box, not the box around it)."""
    turned, m = _rotated(image, degrees)
    found = detect_at_scale(cf, turned, 1.0)
    back = cv2.invertAffineTransform(m)
    out = []
    for r in found:
        x, y = back @ np.array([*r.center, 1.0])
        hw, hh = r.width / 2, r.height / 2
        out.append(Region(float(x - hw), float(y - hh), float(x + hw), float(y + hh), r.score))
    return out


def _mirrored(found: list[Region], width: int) -> list[Region]:
    return [Region(width - r.x1, r.y0, width - r.x0, r.y1, r.score) for r in found]


def _stretched(image: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
    lab[:, :, 0] = cv2.createCLAHE(2.0, (8, 8)).apply(lab[:, :, 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def _tiles(detector: BlazeFace, image: np.ndarray, side: int) -> list[Region]:
    """BlazeFace (128 px input) on tiles of ``side`` px overlapping by half: a face a quarter of a tile wide
    is the size it sees best."""
    h, w = image.shape[:2]
    step = side // 2
    ys = [*range(0, max(h - side, 0) + 1, step)]
    xs = [*range(0, max(w - side, 0) + 1, step)]
    ys += [h - side] if ys[-1] + side < h else []
    xs += [w - side] if xs[-1] + side < w else []
    return [
        r.moved(x, y)
        for y in ys
        for x in xs
        for r in detector.detect(np.ascontiguousarray(image[y : y + side, x : x + side]))
    ]


def _yunet(path: Path) -> Callable[[np.ndarray, float], list[Region]]:
    """YuNet through OpenCV's FaceDetectorYN on an RGB picture resized by a factor, boxes in its pixels."""
    detector = cv2.FaceDetectorYN.create(str(path), "", (320, 320), 0.05, 0.3, 5000)

    def run(image: np.ndarray, scale: float) -> list[Region]:
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        if scale != 1.0:
            bgr = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        detector.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, faces = detector.detect(bgr)
        boxes = [] if faces is None else [(*(f[:4] / scale), float(f[-1])) for f in faces]
        return [Region(float(x), float(y), float(x + w), float(y + h), s) for x, y, w, h, s in boxes]

    return run


def _agreed(yunet: list[Region], centerface: list[Region]) -> list[Region]:
    """YuNet's finds where CenterFace (mirrored) also sees a face, plus the default look's own finds (kept
    at any threshold): two families agreeing, to keep YuNet's false alarms out."""
    confirmed = [c for c in centerface if c.score >= AGREE]
    agreed = [y for y in yunet if any(_iou(y, c) > 0.3 for c in confirmed)]
    return agreed + [replace(c, score=1.0) for c in centerface if c.score >= 0.2]


def _iou(a: Region, b: Region) -> float:
    w = max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0))
    h = max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))
    return w * h / (a.width * a.height + b.width * b.height - w * h + 1e-9)


def variants(yunet: Path | None = None) -> dict[str, Look]:
    cf = CenterFace(threshold=0.05)
    bf = BlazeFace(0.15, "short")
    flip = lambda o, s: _mirrored(detect_at_scale(cf, np.ascontiguousarray(o[:, ::-1]), s), o.shape[1])  # noqa: E731
    yn = None if yunet is None else _yunet(yunet)
    return {
        **(
            {}
            if yn is None
            else {
                "yn_s1": lambda o: yn(o, 1.0),
                "yn_s2": lambda o: yn(o, 2.0),
                "yn_flip_s1": lambda o: _mirrored(yn(np.ascontiguousarray(o[:, ::-1]), 1.0), o.shape[1]),
                "yn_agree_s1": lambda o: _agreed(yn(o, 1.0), flip(o, 1.0)),
            }
        ),
        **{f"cf_s{s:g}": (lambda o, s=s: detect_at_scale(cf, o, s)) for s in (0.5, 1.0, 1.25, 1.5, 2.0)},
        "cf_flip_s1": lambda o: flip(o, 1.0),
        "cf_flip_s1.5": lambda o: flip(o, 1.5),
        "cf_rot+25_s1": lambda o: _turned(cf, o, 25),
        "cf_rot-25_s1": lambda o: _turned(cf, o, -25),
        "cf_clahe_s1": lambda o: detect_at_scale(cf, _stretched(o), 1.0),
        "mps_t256": lambda o: _tiles(bf, o, 256),
        "mps_t128": lambda o: _tiles(bf, o, 128),
    }


def main_pass(gt: dict, out: Path) -> dict:
    """The defaults' detections and obscured output of every photo (cached)."""
    path = out / "main.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    cache: dict = {"regions": {}, "ms": 0.0}
    times = []
    for rel in gt:
        rgb = cv2.cvtColor(cv2.imread(str(DATA / "images" / rel)), cv2.COLOR_BGR2RGB)
        started = time.perf_counter()
        cache["regions"][rel] = detect_faces(rgb, SETTINGS)
        times.append(time.perf_counter() - started)
        output = render_frame(rgb, cache["regions"][rel], SETTINGS)
        cv2.imwrite(str(out / (rel.replace("/", "__") + ".png")), output[:, :, ::-1])
    cache["ms"] = statistics.median(times) * 1000
    path.write_bytes(pickle.dumps(cache))
    return cache


def cache_finds(names: list[str], gt: dict, out: Path, yunet: Path | None = None) -> dict:
    path = out / "finds.pkl"
    cache = pickle.loads(path.read_bytes()) if path.exists() else {"finds": {}, "ms": {}}
    looks = variants(yunet)
    for name in names:
        if name in cache["ms"]:
            continue
        times = []
        for rel in gt:
            output = cv2.cvtColor(cv2.imread(str(out / (rel.replace("/", "__") + ".png"))), cv2.COLOR_BGR2RGB)
            started = time.perf_counter()
            cache["finds"][name, rel] = looks[name](output)
            times.append(time.perf_counter() - started)
        cache["ms"][name] = statistics.median(times) * 1000
        print(f"{name}: {cache['ms'][name]:.0f} ms per photo", flush=True)
        path.write_bytes(pickle.dumps(cache))
    return cache


def score(gt: dict, main: dict, finds: dict, name: str | None, threshold: float) -> tuple[float, float, float, int]:
    """Recall >= 10 px, recall >= 24 px, collateral, and how many finds were added."""
    hit10 = n10 = hit24 = n24 = coll = area = added = 0
    for rel, boxes in gt.items():
        bgr = cv2.imread(str(DATA / "images" / rel))
        regions = main["regions"][rel]
        new = [] if name is None else [r for r in finds["finds"][name, rel] if r.score >= threshold]
        new = merge_overlapping(outside(new, regions, SETTINGS, bgr.shape))
        added += len(new)
        output = render_frame(np.ascontiguousarray(bgr[:, :, ::-1]), regions + new, SETTINGS)
        m = obscured_mask(bgr, np.ascontiguousarray(output[:, :, ::-1]))
        grown = np.zeros_like(m)
        for x, y, bw, bh in boxes:
            cx, cy = x + bw / 2, y + bh / 2
            grown[
                int(max(0, cy - 0.8 * bh)) : int(cy + 0.8 * bh) + 1, int(max(0, cx - 0.8 * bw)) : int(cx + 0.8 * bw) + 1
            ] = True
            if bw >= 10:
                ok = m[y : y + bh, x : x + bw].mean() >= 0.7
                hit10, n10 = hit10 + ok, n10 + 1
                if bw >= 24:
                    hit24, n24 = hit24 + ok, n24 + 1
        coll += int((m & ~grown).sum())
        area += m.size
    return hit10 / n10, hit24 / n24, coll / area, added


def timing(gt: dict, photos: int, out: Path) -> None:
    """Whole-file time with the second look on and off, alternately on the same photos."""
    ratios, on_ms, off_ms = [], [], []
    for rel in list(gt)[:photos]:
        times = {}
        for look in ("on", "off"):
            started = time.perf_counter()
            anonymize_file(
                DATA / "images" / rel, out / f"timing-{look}.jpg", Settings(second_look=look), overwrite=True
            )
            times[look] = time.perf_counter() - started
        ratios.append(times["on"] / times["off"])
        on_ms.append(times["on"] * 1000)
        off_ms.append(times["off"] * 1000)
    print(
        f"{photos} photos, whole file: second look on {statistics.median(on_ms):.0f} ms, off "
        f"{statistics.median(off_ms):.0f} ms (medians); on/off per photo: median {statistics.median(ratios):.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variants", help="comma-separated, from: " + ", ".join([*PLAN, *YUNET_PLAN]))
    ap.add_argument("--yunet", type=Path, metavar="FILE", help="a YuNet .onnx: adds the yn_* variants")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "second_look")
    ap.add_argument("--limit", type=int, help="only the first N photos (a quick trial of the script)")
    ap.add_argument("--timing", type=int, metavar="N", help="only time on against off, alternately, on N photos")
    a = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} is not present")
    a.out.mkdir(parents=True, exist_ok=True)
    gt = dict(list(read_gt(DATA / "gt.txt").items())[: a.limit])
    if a.timing:
        timing(gt, a.timing, a.out)
        return
    main_cache = main_pass(gt, a.out)
    plan = {**PLAN, **(YUNET_PLAN if a.yunet else {})}
    names = a.variants.split(",") if a.variants else list(plan)
    finds = cache_finds(names, gt, a.out, a.yunet)
    print(f"main pass (defaults, detection only): {main_cache['ms']:.0f} ms per photo")
    columns = ("threshold", "ms", "recall>=10", "recall>=24", "collateral", "finds")
    print(f"{'second look':16} " + " ".join(f"{c:>10}" for c in columns))
    r10, r24, coll, _ = score(gt, main_cache, finds, None, 1.0)
    print(f"{'off':16} {'':>10} {0:10} {r10:10.4f} {r24:10.4f} {coll:10.4f} {0:10}", flush=True)
    for name in names:
        for threshold in plan[name]:
            r10, r24, coll, added = score(gt, main_cache, finds, name, threshold)
            ms = finds["ms"][name]
            print(f"{name:16} {threshold:10} {ms:10.0f} {r10:10.4f} {r24:10.4f} {coll:10.4f} {added:10}", flush=True)


if __name__ == "__main__":
    main()
