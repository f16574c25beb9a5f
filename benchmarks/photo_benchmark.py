"""Photo recall and speed, blurkit's defaults beside deface's, in one run.

Both tools anonymize ../shared/data/wider-dev/images; ../shared/eval/coverage.py
scores each output black-box (it reads pixels only). Times are medians per image
(blurkit: whole file, decode to encoded output, from its --report; deface: its
detector and masking, as run_deface.py reports).

Usage: python benchmarks/photo_benchmark.py [--skip-deface] [--also "OPTIONS"]... [blurkit options...]
(each --also adds a row: blurkit run again with those options, e.g. --also "--second-look off")

--turned [--every N]: the same photos turned 0, 90, 180 and 270 degrees by pixels (../shared/eval/turn_set.py,
written once under benchmarks/out), every Nth photo: per orientation, each tool's recall (faces >= 10 px),
matchable faces (coverage_attrs.py: >= 24 px, unoccluded, typical pose, not heavily blurred) and collateral,
and per tool its median time per photo and CPU time (user + sys of its process tree) per photo, one run.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data" / "wider-dev"
OUT = ROOT / "benchmarks" / "out" / "photos"
sys.path.insert(0, str(ROOT / "benchmarks"))

from deface_env import deface_python  # noqa: E402


def coverage(out_dir: Path, gt: Path = DATA / "gt.txt", images: Path = DATA / "images") -> dict:
    cmd = [sys.executable, str(SHARED / "eval" / "coverage.py"), str(gt), str(images), str(out_dir)]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def matchable(out_dir: Path, gt: Path, images: Path) -> float:
    cmd = [sys.executable, str(SHARED / "eval" / "coverage_attrs.py"), str(gt), str(images), str(out_dir)]
    attrs = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return next(v["recall"] for k, v in attrs.items() if k.startswith("identifiable"))


def children_cpu() -> float:
    """User + sys seconds of every finished child process (and theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_blurkit(extra: list[str], dst: Path, images: Path = DATA / "images") -> float:
    shutil.rmtree(dst, ignore_errors=True)
    report = dst.with_name(dst.name + "-report.json")
    report.unlink(missing_ok=True)  # reports are never replaced without --overwrite
    cmd = [
        sys.executable,
        "-m",
        "blurkit",
        str(images),
        "-o",
        str(dst),
        "--quiet",
        "--report",
        str(report),
        *extra,
    ]
    subprocess.run(cmd, check=True, cwd=ROOT)
    files = json.loads(report.read_text())["files"]
    return statistics.median(f["seconds"] for f in files) * 1000


def run_deface(dst: Path = OUT / "deface", gt: Path = DATA / "gt.txt", images: Path = DATA / "images") -> float:
    shutil.rmtree(dst, ignore_errors=True)
    cmd = [str(deface_python()), str(SHARED / "eval" / "run_deface.py"), str(gt), str(images), str(dst)]
    line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return float(line.split("(")[1].split(" ms")[0])


ORIENTATIONS = (0, 90, 180, 270)


def gt_blocks(path: Path) -> list[list[str]]:
    """A WIDER ground-truth file as one block of lines per photo."""
    lines, blocks, i = path.read_text().splitlines(), [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        n = int(lines[i + 1])
        blocks.append(lines[i : i + 2 + max(n, 1)])
        i += 2 + max(n, 1)
    return blocks


def turned_set(every: int) -> Path:
    """The photos turned by each of ORIENTATIONS (turn_set.py's layout: in{o}/ and gt{o}.txt), every Nth one:
    the subset's folders hold links to the full set's files."""
    full = OUT.parent / "turned"
    if not (full / "gt270.txt").is_file():
        script = SHARED / "eval" / "turn_set.py"
        subprocess.run([sys.executable, str(script), str(DATA / "gt.txt"), str(DATA / "images"), str(full)], check=True)
    if every == 1:
        return full
    sub = OUT.parent / f"turned-every{every}"
    shutil.rmtree(sub, ignore_errors=True)
    for o in ORIENTATIONS:
        blocks = gt_blocks(full / f"gt{o}.txt")[::every]
        (sub / f"gt{o}.txt").parent.mkdir(parents=True, exist_ok=True)
        (sub / f"gt{o}.txt").write_text("\n".join(line for b in blocks for line in b) + "\n")
        for b in blocks:
            link = sub / f"in{o}" / b[0].strip()
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(full / f"in{o}" / b[0].strip())
    return sub


def turned_table(every: int, extra: list[str], skip_deface: bool) -> None:
    """Recall per orientation, time and CPU time per photo, blurkit (with ``extra``) beside deface."""
    data = turned_set(every)
    tools = {"blurkit " + (" ".join(extra) or "(defaults)"): "blurkit"}
    if not skip_deface:
        tools["deface 1.5 (defaults)"] = "deface"
    rows: dict[str, dict] = {name: {"ms": [], "cpu": 0.0, "photos": 0} for name in tools}
    for o in ORIENTATIONS:
        gt, images = data / f"gt{o}.txt", data / f"in{o}"
        for name, tool in tools.items():
            dst = OUT / f"turned-{tool}-{o}"
            before = children_cpu()
            ms = run_blurkit(extra, dst, images) if tool == "blurkit" else run_deface(dst, gt, images)
            rows[name]["cpu"] += children_cpu() - before
            c = coverage(dst, gt, images)
            rows[name]["ms"].append(ms)
            rows[name]["photos"] += c["images"]
            rows[name][o] = (c["recall_ge10px"], matchable(dst, gt, images), c["collateral"])
    print(f"wider-dev turned by pixels: {rows[next(iter(tools))]['photos'] // 4} photos (every {every}th), 2 cores")
    print(f"{'tool':34} {'turn':>4} {'recall>=10px':>12} {'matchable':>9} {'collateral':>10}")
    for name, row in rows.items():
        for o in ORIENTATIONS:
            recall, match, collateral = row[o]
            print(f"{name:34} {o:4d} {recall:12.3f} {match:9.3f} {collateral:10.4f}")
    print(f"{'tool':34} {'ms/photo (median)':>18} {'CPU s/photo':>11}")
    for name, row in rows.items():
        print(f"{name:34} {statistics.median(row['ms']):18.0f} {row['cpu'] / row['photos']:11.2f}")
    if not skip_deface:
        (b, rb), (d, rd) = rows.items()
        ratio = statistics.median(rb["ms"]) / statistics.median(rd["ms"])
        print(f"ratio {b} / {d}: time {ratio:.2f}, CPU {rb['cpu'] / rd['cpu']:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-deface", action="store_true")
    ap.add_argument("--also", action="append", default=[], metavar="OPTIONS", help="another blurkit row")
    ap.add_argument("--turned", action="store_true", help="recall per orientation (see above)")
    ap.add_argument("--every", type=int, default=1, metavar="N", help="with --turned: every Nth photo")
    a, extra = ap.parse_known_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} is not present")
    OUT.mkdir(parents=True, exist_ok=True)
    if a.turned:
        turned_table(a.every, extra, a.skip_deface)
        return
    rows = {}
    for i, options in enumerate([extra, *(also.split() for also in a.also)]):
        dst = OUT / f"blurkit-{i}"
        rows["blurkit " + (" ".join(options) or "(defaults)")] = (run_blurkit(options, dst), coverage(dst))
    if not a.skip_deface:
        rows["deface 1.5 (defaults)"] = (run_deface(), coverage(OUT / "deface"))
    print(f"wider-dev: {next(iter(rows.values()))[1]['images']} photos, 1024 px wide, 2 cores")
    print(f"{'tool':40} {'recall>=10px':>12} {'recall>=24px':>12} {'10-24px':>8} {'collateral':>10} {'ms/photo':>9}")
    for name, (ms, c) in rows.items():
        b = c["buckets"]["10-24px"]["recall"]
        print(
            f"{name:40} {c['recall_ge10px']:12.3f} {c['recall_ge24px']:12.3f} {b:8.3f} "
            f"{c['collateral']:10.4f} {ms:9.0f}"
        )
    if not a.skip_deface:
        ms_d = rows["deface 1.5 (defaults)"][0]
        for name, (ms, _) in rows.items():
            print(f"time ratio {name} / deface: {ms / ms_d:.2f}")


if __name__ == "__main__":
    main()
