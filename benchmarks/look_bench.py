"""Is the default look calm? Old erase vs new erase (and deface's blur) per mask, on clip frames and photos.

Issue #24's criterion: a mask is calm when its mean brightness is within 15 levels of a ring just outside
it and it is no busier (standard deviation) than that ring. The ring lies beyond the soft edge (the mask
grown 1.3x to 1.6x) and leaves out every other mask grown 1.3x; brightness is the output's luma. Reported
per look: % calm, median and 90th percentile of the brightness difference, and per look the check's
findings on the output that lie on a mask (the look fooling ``blurkit check``) and off every mask.

Faces are found once per picture with blurkit's photo pipeline (``find_faces``: detection and second look);
the old look is the erase of commit OLD (loaded from git), the new one the code as it stands; both draw the
same masks. deface (its CenterFace, CLI defaults: blur, ellipse, mask scale 1.3) is measured on its own
masks when it is importable. Frames are sampled evenly from ../shared/data/video/*.mp4 (research data,
read in place); photos are the first N of ../shared/data/wider-dev. --pictures DIR writes, per clip frame
and for a few photos, original | old | new | deface side by side.

--video INPUT OUTPUT REPORT measures a whole rendered video instead (blurkit's output and the JSON report
of the run that wrote it, ``--report``): the calm criterion on every mask of every 5th frame, and whether the
fill is steady and follows the light: per track and pair of consecutive frames, the change of the mask's
mean luma beside the change of its ring's, and the mean pixel change inside the mask (output, and the input's
face there for scale). A wobbling fill moves more than its ring; a fill that ignores the light, less.

Usage: python benchmarks/look_bench.py [--frames N] [--photos N] [--pictures DIR] [--no-check]
       python benchmarks/look_bench.py --video INPUT OUTPUT REPORT
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from blurkit.api import find_faces  # noqa: E402
from blurkit.check import check_pixels  # noqa: E402
from blurkit.obscure import mask_of, mask_regions, obscure  # noqa: E402
from blurkit.regions import Region  # noqa: E402
from blurkit.settings import Settings  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
OLD = "b3472e8"  # the last commit with the loud erase (blotches and mottle)
CALM_LEVELS = 15.0
SETTINGS = Settings()


def old_obscure() -> Callable[..., np.ndarray]:
    """``obscure`` as it was at commit OLD, loaded from git into a module of its own."""
    source = subprocess.run(
        ["git", "show", f"{OLD}:blurkit/obscure.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "old_obscure.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_obscure", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_obscure"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.obscure


def deface_look() -> Callable[[np.ndarray], tuple[np.ndarray, list[Region]]] | None:
    """deface's CLI default (blur) and the ellipse masks it drew, or None when deface is not installed."""
    try:
        from deface.centerface import CenterFace
        from deface.deface import anonymize_frame
    except ImportError:
        return None
    centerface = CenterFace(in_shape=None, backend="auto")

    def run(rgb: np.ndarray) -> tuple[np.ndarray, list[Region]]:
        out = rgb.copy()
        dets, _ = centerface(out, threshold=0.2)
        anonymize_frame(dets, out, mask_scale=1.3, replacewith="blur", ellipse=True, draw_scores=False,
                        replaceimg=None, mosaicsize=20)  # fmt: skip
        masks = []
        for x0, y0, x1, y1, *_ in dets:
            w, h = x1 - x0, y1 - y0
            masks.append(Region(x0 - 0.15 * w, y0 - 0.15 * h, x1 + 0.15 * w, y1 + 0.15 * h, shape="ellipse"))
        return out, masks

    return run


def calm(out: np.ndarray, masks: list[Region]) -> list[tuple[float, bool]]:
    """Per mask: |mean - ring mean| of the luma, and whether the mask is calm (see the module docstring)."""
    luma = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY).astype(np.float32)
    others = mask_of(out.shape, [m.scaled(1.3) for m in masks])
    rows = []
    for m in masks:
        inside = mask_of(out.shape, [m])
        ring = mask_of(out.shape, [m.scaled(1.6)]) & ~others
        if inside.sum() < 20 or ring.sum() < 20:
            continue
        diff = abs(float(luma[inside].mean()) - float(luma[ring].mean()))
        rows.append((diff, diff <= CALM_LEVELS and float(luma[inside].std()) <= float(luma[ring].std())))
    return rows


def on_masks(finds: list[Region], masks: list[Region], shape: tuple[int, ...]) -> int:
    """How many check findings lie mostly (>= half their box) on a mask."""
    inside = mask_of(shape, masks)
    height, width = shape[:2]
    count = 0
    for r in finds:
        c = r.clipped(width, height)
        x0, y0, x1, y1 = int(c.x0), int(c.y0), int(np.ceil(c.x1)), int(np.ceil(c.y1))
        count += x1 > x0 and y1 > y0 and inside[y0:y1, x0:x1].mean() >= 0.5
    return count


def clip_frames(n: int) -> dict[str, list[tuple[int, np.ndarray]]]:
    """n frames evenly spaced over each shared clip (upright RGB)."""
    clips = {}
    for path in sorted((DATA / "video").glob("*.mp4")):
        cap = cv2.VideoCapture(str(path))
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        frames = []
        for index in np.linspace(0, total - 1, n).astype(int):
            cap.set(cv2.CAP_PROP_POS_FRAMES, int(index))
            ok, bgr = cap.read()
            if ok:
                frames.append((int(index), bgr[:, :, ::-1].copy()))
        clips[path.stem] = frames
    return clips


def photos(n: int) -> dict[str, list[tuple[int, np.ndarray]]]:
    paths = sorted((DATA / "wider-dev" / "images").rglob("*.jpg"))[:n]
    return {"wider-dev photos": [(i, cv2.imread(str(p))[:, :, ::-1].copy()) for i, p in enumerate(paths)]}


def summary(rows: list[tuple[float, bool]]) -> str:
    if not rows:
        return "no masks"
    diffs = np.array([d for d, _ in rows])
    share = 100 * np.mean([c for _, c in rows])
    return f"{share:5.1f} % calm, median {np.median(diffs):5.1f}, p90 {np.percentile(diffs, 90):5.1f}"


def frames_of(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while (got := cap.read())[0]:
        frames.append(cv2.cvtColor(got[1], cv2.COLOR_BGR2RGB))
    return frames


def video(source: Path, output: Path, report: Path) -> None:
    """The calm criterion and the steadiness of the fill over a whole rendered video (see the docstring)."""
    doc = json.loads(report.read_text())
    files = doc["files"] if isinstance(doc, dict) else doc
    (result,) = [f for f in files if Path(f["output"]).resolve() == output.resolve()]
    per_frame = [[Region.from_dict(d) for d in frame] for frame in result["frames"]]
    ins, outs = frames_of(source), frames_of(output)
    rows: list[tuple[float, bool]] = []
    steps: dict[str, list[float]] = {"mask": [], "ring": [], "pixels out": [], "pixels in": []}
    before: dict[int, tuple[np.ndarray, float, float]] = {}
    previous_out = previous_in = np.zeros(0, np.float32)
    for index, (rgb, out) in enumerate(zip(ins, outs, strict=True)):
        masks = mask_regions(per_frame[index], SETTINGS, rgb.shape[1], rgb.shape[0], index)
        if index % 5 == 0:
            rows.extend(calm(out, masks))
        luma_out = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY).astype(np.float32)
        luma_in = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
        others = mask_of(out.shape, [m.scaled(1.3) for m in masks])
        now = {}
        for m in masks:
            inside = mask_of(out.shape, [m])
            ring = mask_of(out.shape, [m.scaled(1.6)]) & ~others
            if m.track_id is None or inside.sum() < 20 or ring.sum() < 20:
                continue
            now[m.track_id] = (inside, float(luma_out[inside].mean()), float(luma_out[ring].mean()))
            if m.track_id in before:
                was, mask_mean, ring_mean = before[m.track_id]
                both = inside & was
                steps["mask"].append(abs(now[m.track_id][1] - mask_mean))
                steps["ring"].append(abs(now[m.track_id][2] - ring_mean))
                if both.sum() >= 20:
                    steps["pixels out"].append(float(np.abs(luma_out - previous_out)[both].mean()))
                    steps["pixels in"].append(float(np.abs(luma_in - previous_in)[both].mean()))
        before, previous_out, previous_in = now, luma_out, luma_in
    print(f"{output.name}: {len(ins)} frames; every 5th frame: {len(rows)} masks, {summary(rows)}")
    for name, values in steps.items():
        if values:
            median, p90 = np.median(values), np.percentile(values, 90)
            print(f"  frame-to-frame change, {name:10s} median {median:5.2f}, p90 {p90:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=8, help="frames sampled per clip")
    parser.add_argument("--photos", type=int, default=60, help="dev photos measured (0: none)")
    parser.add_argument("--pictures", type=Path, help="write original | old | new | deface strips here")
    parser.add_argument("--no-check", action="store_true", help="skip blurkit check on the outputs")
    parser.add_argument("--video", nargs=3, type=Path, metavar=("INPUT", "OUTPUT", "REPORT"))
    args = parser.parse_args()
    if args.video:
        video(*args.video)
        return
    if not DATA.is_dir():
        sys.exit(f"{DATA} is not present")
    old = old_obscure()
    looks: dict[str, Callable[[np.ndarray, list[Region]], np.ndarray]] = {
        "old erase": lambda rgb, regions: old(rgb, regions, SETTINGS),
        "new erase": lambda rgb, regions: obscure(rgb, regions, SETTINGS),
    }
    deface = deface_look()
    sets = clip_frames(args.frames) | (photos(args.photos) if args.photos else {})
    if args.pictures:
        args.pictures.mkdir(parents=True, exist_ok=True)
    totals: dict[str, list[tuple[float, bool]]] = {}
    for name, pictures in sets.items():
        rows: dict[str, list[tuple[float, bool]]] = {}
        on, off, seconds = {}, {}, {}
        for index, rgb in pictures:
            regions = find_faces(rgb, SETTINGS)
            masks = mask_regions(regions, SETTINGS, rgb.shape[1], rgb.shape[0])
            outs = {}
            for look, draw in looks.items():
                start = time.perf_counter()
                outs[look] = draw(rgb, regions)
                seconds[look] = seconds.get(look, 0.0) + time.perf_counter() - start
                rows.setdefault(look, []).extend(calm(outs[look], masks))
            if deface is not None:
                outs["deface blur"], drawn = deface(rgb)
                rows.setdefault("deface blur", []).extend(calm(outs["deface blur"], drawn))
            for look, out in outs.items():
                if not args.no_check:
                    finds = check_pixels(out, SETTINGS)
                    mask_finds = on_masks(finds, masks if look != "deface blur" else drawn, out.shape)
                    on[look] = on.get(look, 0) + mask_finds
                    off[look] = off.get(look, 0) + len(finds) - mask_finds
            if args.pictures and (name != "wider-dev photos" or index < 6):
                strip = np.hstack([rgb, *outs.values()])
                cv2.imwrite(str(args.pictures / f"{name}-{index:04d}.png"), strip[:, :, ::-1])
        print(f"\n{name}: {len(pictures)} pictures, {len(rows['new erase'])} masks")
        for look, got in rows.items():
            totals.setdefault(look, []).extend(got)
            check = "" if args.no_check else f"; check finds {on[look]} on masks, {off[look]} elsewhere"
            cost = f"; {1000 * seconds[look] / len(pictures):.1f} ms/picture" if look in seconds else ""
            print(f"  {look:12s} {summary(got)}{check}{cost}")
    print("\nall sets:")
    for look, got in totals.items():
        print(f"  {look:12s} {summary(got)}")


if __name__ == "__main__":
    main()
