"""Photo recall and speed, blurkit's defaults beside deface's, in one run.

Both tools anonymize ../shared/data/wider-dev/images; ../shared/eval/coverage.py
scores each output black-box (it reads pixels only). Times are medians per image
(blurkit: whole file, decode to encoded output, from its --report; deface: its
detector and masking, as run_deface.py reports).

Usage: python benchmarks/photo_benchmark.py [--skip-deface] [--also "OPTIONS"]... [blurkit options...]
(each --also adds a row: blurkit run again with those options, e.g. --also "--second-look off")
"""

from __future__ import annotations

import argparse
import json
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


def coverage(out_dir: Path) -> dict:
    cmd = [
        sys.executable,
        str(SHARED / "eval" / "coverage.py"),
        str(DATA / "gt.txt"),
        str(DATA / "images"),
        str(out_dir),
    ]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def run_blurkit(extra: list[str], dst: Path) -> float:
    shutil.rmtree(dst, ignore_errors=True)
    report = dst.with_name(dst.name + "-report.json")
    report.unlink(missing_ok=True)  # reports are never replaced without --overwrite
    cmd = [
        sys.executable,
        "-m",
        "blurkit",
        str(DATA / "images"),
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


def run_deface() -> float:
    dst = OUT / "deface"
    shutil.rmtree(dst, ignore_errors=True)
    cmd = [
        str(deface_python()),
        str(SHARED / "eval" / "run_deface.py"),
        str(DATA / "gt.txt"),
        str(DATA / "images"),
        str(dst),
    ]
    line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return float(line.split("(")[1].split(" ms")[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-deface", action="store_true")
    ap.add_argument("--also", action="append", default=[], metavar="OPTIONS", help="another blurkit row")
    a, extra = ap.parse_known_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} is not present")
    OUT.mkdir(parents=True, exist_ok=True)
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
