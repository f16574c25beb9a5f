"""How far a clean ``blurkit check`` can be trusted, both ways, on wider-dev photos and the shared clips.

Photos (``../shared/data/wider-dev``, every 3rd photo by default): four sets of files are checked:

- the originals (every face visible);
- deface's outputs (``../shared/eval/run_deface.py``, its defaults);
- blurkit's outputs with ONE face deliberately left visible: blurkit's own regions less the one over the
  largest covered face of at least 24 px, rendered again, and checked as the report checks (the regions
  still covered left out);
- blurkit's own outputs, checked as the report checks them (``--known``) and bare.

Which ground-truth faces are visible is decided from pixels with ../shared/eval/coverage.py's own rule (a
face is covered when >= 70 % of its box changed or lost its detail). Rates:

- (a) of the files with a visible face >= 24 px, the share the check flags, and the share of those faces a
  find lands on (its centre in the face's box, or the face's centre in its box);
- (b) of blurkit's outputs whose every face >= 10 px is covered, the share flagged (a false alarm).

Each detector family's raw finds are cached per file with their scores (``--out``), then every
combination of families and thresholds is scored in-process, with how often each family misses a visible
face the other finds (their independence). Video (``--clips``): the check as shipped on each shared clip's
original, deface's output and blurkit's output, and its CPU time against anonymizing the clip.

Usage: python benchmarks/check_bench.py [--every 3] [--out DIR] [--clips all|NAME,...] [--deface DIR] [--no-photos]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import pickle
import resource
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent / "shared" / "eval"))

from coverage import obscured_mask, read_gt  # noqa: E402

from blurkit.api import anonymize_file  # noqa: E402
from blurkit.check import YUNET_THRESHOLD, CheckResult, check_file, check_pixels  # noqa: E402
from blurkit.detect import detect_faces  # noqa: E402
from blurkit.detect.yunet import YuNet  # noqa: E402
from blurkit.media.image import read_photo  # noqa: E402
from blurkit.obscure import mask_of, mask_regions  # noqa: E402
from blurkit.regions import Region  # noqa: E402
from blurkit.render import render_frame  # noqa: E402
from blurkit.result import FileResult  # noqa: E402
from blurkit.second_look import look  # noqa: E402
from blurkit.second_look import outside_mask as outside_of  # noqa: E402
from blurkit.settings import Settings  # noqa: E402

SHARED = ROOT.parent / "shared"
DATA = SHARED / "data" / "wider-dev"
CLIPS = SHARED / "data" / "video"
VISIBLE_PX = 24
GT: dict = {}  # wider-dev's ground truth, by relative path
# The families and the thresholds each is scored at (raw finds are cached from the lowest).
FAMILIES = {
    "cf": (0.3, 0.4, 0.5, 0.6, 0.7),  # CenterFace, blurkit's main detection (scales 1 and 1.5)
    "look": (0.3, 0.4, 0.5, 0.6, 0.7),  # CenterFace mirrored at scale 1 (the second look)
    "yn": (0.5, 0.6, 0.7, 0.8, 0.9),  # YuNet at scale 1
    "yn2": (0.6, 0.7, 0.8, 0.9),  # YuNet on the picture upscaled 2x
}


def cpu() -> float:
    """CPU seconds of this process and its finished children."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def raw_finds(pixels: np.ndarray, yunet: YuNet) -> dict[str, list[Region]]:
    """Every family's finds at its lowest threshold."""
    s = Settings(threshold=min(FAMILIES["cf"]))
    up = cv2.resize(pixels, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)
    return {
        "cf": detect_faces(pixels, s),
        "look": look(pixels, s.with_(threshold=min(FAMILIES["look"]))),
        "yn": yunet.detect(pixels),
        "yn2": [r.moved(0, 0, 0.5, 0.5) for r in yunet.detect(up)],
    }


def visible_faces(gt: list[list[int]], original: np.ndarray, output: np.ndarray) -> tuple[list, list]:
    """(faces >= 24 px left visible, faces >= 10 px left visible) by coverage.py's rule."""
    m = obscured_mask(original[:, :, ::-1], output[:, :, ::-1])
    seen = [b for b in gt if b[2] >= 10 and m[b[1] : b[1] + b[3], b[0] : b[0] + b[2]].mean() < 0.7]
    return [b for b in seen if b[2] >= VISIBLE_PX], seen


def hits(face: list[int], finds: list[Region]) -> bool:
    x, y, w, h = face
    cx, cy = x + w / 2, y + h / 2
    return any(
        (x <= f.center[0] <= x + w and y <= f.center[1] <= y + h) or (f.x0 <= cx <= f.x1 and f.y0 <= cy <= f.y1)
        for f in finds
    )


def left_visible(result: FileResult, gt: list[list[int]]) -> tuple[list[Region], Region] | None:
    """blurkit's regions less the one over the largest face >= 24 px it covers, and that region."""
    for x, y, w, h in sorted((b for b in gt if b[2] >= VISIBLE_PX), key=lambda b: -b[2]):
        over = [r for r in result.regions if r.x0 <= x + w / 2 <= r.x1 and r.y0 <= y + h / 2 <= r.y1]
        if len(over) == 1:
            return [r for r in result.regions if r is not over[0]], over[0]
    return None


def settings_of(report: dict) -> Settings:
    """The settings a JSON report names (lists back to tuples)."""
    d = report.get("settings", {})
    return Settings(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def build_sets(names: list[str], gt: dict, out: Path, deface: Path) -> dict:
    """Per set, per photo: (the picture checked, the regions blurkit covered in it or None)."""
    report = json.loads((out / "blurkit.json").read_text()) if (out / "blurkit.json").exists() else {"files": []}
    written = {Path(f["input"]).name: f for f in report["files"] if f["status"] == "written"}
    settings = settings_of(report)
    sets: dict[str, dict] = {"original": {}, "deface": {}, "left-visible": {}, "blurkit": {}}
    (out / "left-visible").mkdir(exist_ok=True)
    for rel in names:
        original = read_photo(DATA / "images" / rel).pixels
        sets["original"][rel] = (original, None)
        d = deface / (Path(rel).with_suffix(".png"))
        if d.is_file():
            sets["deface"][rel] = (read_photo(d).pixels, None)
        f = written.get(Path(rel).name)
        if f is None:
            continue
        regions = [Region.from_dict(r) for r in f["regions"]]
        sets["blurkit"][rel] = (read_photo(f["output"]).pixels, regions)
        result = FileResult(Path(f["input"]), Path(f["output"]), "photo", "written", regions=regions)
        left = left_visible(result, gt[rel])
        if left is not None:
            kept, _ = left
            sets["left-visible"][rel] = (render_frame(original, kept, settings), kept)
    return sets


def cache(sets: dict, out: Path, only: list[str] | None = None) -> dict:
    """Every family's raw finds per (set, photo), one pickle per set (so sets can be cached in parallel)."""
    yunet = YuNet(min(min(FAMILIES["yn"]), min(FAMILIES["yn2"])))
    finds: dict = {}
    for name, files in sets.items():
        path = out / f"finds-{name}.pkl"
        mine = pickle.loads(path.read_bytes()) if path.exists() else {}
        if only is None or name in only:
            for rel, (pixels, _) in files.items():
                if rel not in mine:
                    mine[rel] = raw_finds(pixels, yunet)
                    path.write_bytes(pickle.dumps(mine))
            print(f"{name}: {len(files)} files cached", file=sys.stderr, flush=True)
        finds |= {(name, rel): f for rel, f in mine.items()}
    return finds


def timed_families(pixels: list[np.ndarray]) -> dict[str, float]:
    """Median seconds per photo of each family alone."""
    yunet, s = YuNet(0.5), Settings()
    runs = {
        "cf": lambda p: detect_faces(p, s),
        "look": lambda p: look(p, s),
        "yn": yunet.detect,
        "yn2": lambda p: yunet.detect(cv2.resize(p, None, fx=2, fy=2)),
    }
    out = {}
    for name, run in runs.items():
        t = []
        for p in pixels:
            started = time.perf_counter()
            run(p)
            t.append(time.perf_counter() - started)
        out[name] = float(np.median(t))
    return out


def facts(sets: dict, settings: Settings) -> dict:
    """Per (set, photo), computed once: the visible faces >= 24 px and >= 10 px, and the mask of the regions
    blurkit covered there (None for files it did not write)."""
    out = {}
    for name, files in sets.items():
        for rel, (pixels, covered) in files.items():
            big, seen = visible_faces(GT[rel], sets["original"][rel][0], pixels)
            h, w = pixels.shape[:2]
            mask = None if covered is None else mask_of(pixels.shape, mask_regions(covered, settings, w, h))
            out[name, rel] = (big, seen, mask)
    return out


def outside_mask(finds: list[Region], mask: np.ndarray | None) -> list[Region]:
    """second_look's rule on a precomputed mask."""
    return finds if mask is None else outside_of(finds, mask)


def score(sets: dict, finds: dict, fact: dict, plan: dict[str, float], known: bool = True) -> dict:
    """Rates of a check that takes each family in ``plan`` from its threshold."""
    res = {}
    for name, files in sets.items():
        flagged_visible = files_visible = faces = found = flagged_clean = clean = 0
        for rel in files:
            big, seen, mask = fact[name, rel]
            these = [r for fam, t in plan.items() for r in finds[name, rel][fam] if r.score >= t]
            if known:
                these = outside_mask(these, mask)
            if big:
                files_visible += 1
                flagged_visible += bool(these)
                faces += len(big)
                found += sum(hits(b, these) for b in big)
            elif not seen and name == "blurkit":
                clean += 1
                flagged_clean += bool(these)
        res[name] = {
            "files_visible": files_visible,
            "flagged": flagged_visible,
            "file_rate": round(flagged_visible / max(1, files_visible), 3),
            "faces": faces,
            "face_rate": round(found / max(1, faces), 3),
        }
        if name == "blurkit":
            res[name] |= {"covered_files": clean, "false_alarms": flagged_clean}
    return res


def independence(sets: dict, finds: dict, fact: dict, a: tuple[str, float], b: tuple[str, float]) -> dict:
    """Over visible faces >= 24 px in every set: how often each family misses, and both at once."""
    n = miss_a = miss_b = both = 0
    for name, files in sets.items():
        for rel in files:
            fa = [r for r in finds[name, rel][a[0]] if r.score >= a[1]]
            fb = [r for r in finds[name, rel][b[0]] if r.score >= b[1]]
            for face in fact[name, rel][0]:
                n += 1
                ma, mb = not hits(face, fa), not hits(face, fb)
                miss_a, miss_b, both = miss_a + ma, miss_b + mb, both + (ma and mb)
    pa, pb = miss_a / max(1, n), miss_b / max(1, n)
    return {"faces": n, "miss_a": round(pa, 3), "miss_b": round(pb, 3), "both": round(both / max(1, n), 4),
            "both_if_independent": round(pa * pb, 4)}  # fmt: skip


def photos(a: argparse.Namespace) -> None:
    gt = read_gt(DATA / "gt.txt")
    names = sorted(gt)[:: a.every]
    a.out.mkdir(parents=True, exist_ok=True)
    if not (a.out / "blurkit.json").exists() and not a.cache_only:
        files = [str(DATA / "images" / n) for n in names]
        subprocess.run([sys.executable, "-m", "blurkit", *files, "-o", str(a.out / "blurkit"), "--report",
                        str(a.out / "blurkit.json"), "-q"], check=True)  # fmt: skip
    deface = a.deface or a.out / "deface"
    if not deface.exists():
        subprocess.run([sys.executable, str(SHARED / "eval" / "run_deface.py"), str(DATA / "gt.txt"),
                        str(DATA / "images"), str(deface)], check=True)  # fmt: skip
    sets = build_sets(names, gt, a.out, deface)
    if a.cache_only:
        cache(sets, a.out, a.cache_only.split(","))
        return
    finds = cache(sets, a.out, [] if a.cached else None)
    if a.cached:  # score what is cached so far, the same photos in every set
        ready = set.intersection(*({rel for (n, rel) in finds if n == name} for name in sets if sets[name]))
        sets = {name: {rel: v for rel, v in files.items() if rel in ready} for name, files in sets.items()}
    settings = settings_of(json.loads((a.out / "blurkit.json").read_text()))
    t, y = Settings().check_threshold, YUNET_THRESHOLD
    plans = [{"cf": 0.6, "look": 0.6}, {"cf": t, "look": t, "yn": y, "yn2": y}]  # the old check; the shipped one
    for fams in (("cf",), ("yn",), ("yn2",), ("cf", "look"), ("cf", "yn"), ("cf", "look", "yn"), ("cf", "yn2"),
                 ("cf", "look", "yn2")):  # fmt: skip
        for ts in itertools.product(*(FAMILIES[f] for f in fams)):
            plans.append(dict(zip(fams, ts, strict=True)))
    GT.update(gt)
    fact = facts(sets, settings)
    rows = [(plan, score(sets, finds, fact, plan)) for plan in plans]
    ok = [
        (p, r) for p, r in rows
        if r["blurkit"]["false_alarms"] <= 0.02 * r["blurkit"]["covered_files"]
    ]  # fmt: skip
    best = sorted(ok, key=lambda pr: -min(pr[1][s]["file_rate"] for s in ("deface", "left-visible", "original")))
    print("## check benchmark (photos)\n")
    print(f"{len(names)} wider-dev photos; sets: " + ", ".join(f"{k} {len(v)}" for k, v in sets.items()))
    head = "| families (threshold) | originals | deface | left visible | blurkit: visible | blurkit: false alarms |"
    print(head + "\n| --- | --- | --- | --- | --- | --- |")

    def cell(r: dict) -> str:
        return f"{r['flagged']}/{r['files_visible']} ({r['file_rate']}), faces {r['face_rate']}"

    shown = [rows[0], rows[1], *best[:12]]
    for plan, r in shown:
        b = r["blurkit"]
        print(
            f"| {', '.join(f'{k} {v}' for k, v in plan.items())} | {cell(r['original'])} | {cell(r['deface'])} | "
            f"{cell(r['left-visible'])} | {cell(b)} | {b['false_alarms']}/{b['covered_files']} |"
        )
    chosen = rows[1][0]
    bare = score(sets, finds, fact, chosen, known=False)["blurkit"]
    print(f"\nshipped {chosen}; blurkit's outputs checked bare (no --known): {bare['false_alarms']}/"
          f"{bare['covered_files']} fully covered files flagged")  # fmt: skip
    for x, y in ((("cf", 0.6), ("yn", 0.7)), (("cf", 0.6), ("yn2", 0.8)), (("cf", 0.6), ("look", 0.6))):
        print(f"independence {x} vs {y}: {independence(sets, finds, fact, x, y)}")
    sample = [sets["original"][rel][0] for rel in list(sets["original"])[:15]]
    print(f"median seconds per photo: {timed_families(sample)}")


def clips(a: argparse.Namespace) -> None:
    """The check as shipped on each clip's original, deface's output and blurkit's output, and the CPU time of
    checking blurkit's output against that of anonymizing the clip, both in this process with the models
    already loaded (CPU of this process and its finished children, ffmpeg)."""
    out = a.out / "clips"
    out.mkdir(parents=True, exist_ok=True)
    warm = read_photo(ROOT / "sample_media" / "grace_hopper.jpg").pixels
    check_pixels(warm, Settings())
    detect_faces(warm, Settings())
    print("\n## check benchmark (clips)\n")
    print("| clip | anonymize CPU s (wall) | check CPU s (wall) | ratio | original | deface | blurkit |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for clip in sorted(CLIPS.glob("*.mp4")):
        if a.clips != "all" and clip.stem not in a.clips.split(","):
            continue
        dst = out / clip.name
        c0, w0 = cpu(), time.perf_counter()
        written = anonymize_file(clip, dst, overwrite=True)
        anon_cpu, anon_wall = cpu() - c0, time.perf_counter() - w0
        c0, w0 = cpu(), time.perf_counter()
        mine = check_file(dst, written=written)
        check_cpu, check_wall = cpu() - c0, time.perf_counter() - w0
        defaced = out / (clip.stem + ".deface.mp4")
        if not defaced.exists():
            subprocess.run([str(Path(sys.executable).parent / "deface"), str(clip), "-o", str(defaced)],
                           check=True, capture_output=True)  # fmt: skip
        theirs, original = check_file(defaced), check_file(clip)

        def said(r: CheckResult) -> str:
            frames = len({x.frames for x in r.findings})
            return f"{r.status}: {frames} frame(s) flagged"

        print(
            f"| {clip.name} | {anon_cpu:.1f} ({anon_wall:.1f}) | {check_cpu:.1f} ({check_wall:.1f}) | "
            f"{check_cpu / max(anon_cpu, 1e-9):.2f} | {said(original)} | {said(theirs)} | {said(mine)} |",
            flush=True,
        )
        (out / (clip.stem + ".check.json")).write_text(json.dumps(mine.to_dict(), indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--every", type=int, default=3, help="every Nth wider-dev photo (default 3)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "check")
    ap.add_argument("--deface", type=Path, help="deface's outputs of wider-dev already made (run_deface.py)")
    ap.add_argument("--clips", metavar="all|NAME,...", help="also the shared clips (anonymized and timed)")
    ap.add_argument("--no-photos", action="store_true")
    ap.add_argument("--cached", action="store_true", help="score only the photos cached in every set so far")
    ap.add_argument("--cache-only", metavar="SET,...", help="only cache these sets' finds (to run them in parallel)")
    a = ap.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent", file=sys.stderr)
        return
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    if not a.no_photos:
        photos(a)
    if a.clips:
        clips(a)


if __name__ == "__main__":
    main()
