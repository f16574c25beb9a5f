"""One long 1080p video on one process and in segments on several (``-j N``), against a plain transcode and
deface in the same run, one after another on this machine.

The input is video_bench's 1080p street clip (the shared mot17-13-street upscaled 2x, with a tone as sound)
looped --long times. Each run is timed with its whole process tree; the segmented runs' report gives their
segment plan, from which the cost of a seam follows: the frames each segment decodes and tracks around its
own (the look-back and look-ahead) beyond a single pass, in seconds at the single pass's rate.

Prints a markdown table for the README and writes benchmarks/out/segments.json.
Usage: python benchmarks/segments_bench.py [--frames 105] [--long 10] [--jobs 2] [--jobs 4] [--skip-deface]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from video_bench import (  # noqa: E402
    STREET,
    VIDEOS,
    Measured,
    blurkit_cmd,
    deface_cmd,
    excerpt,
    ffmpeg_cmd,
    loop,
    upscale,
)

from blurkit.media.ffmpeg import probe  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=105, help="frames of the 1080p street clip (default 105)")
    ap.add_argument("--long", type=int, default=10, help="the clip looped this often (default 10)")
    ap.add_argument("--jobs", type=int, action="append", help="worker counts to try besides 1 (default 2)")
    ap.add_argument("--skip-deface", action="store_true")
    args = ap.parse_args()
    if not (VIDEOS / f"{STREET}.mp4").exists():
        sys.exit(f"the shared clip {STREET}.mp4 is missing from {VIDEOS}")
    rows = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        long = loop(upscale(excerpt(STREET, args.frames, tmp), args.frames, tmp), args.long, tmp)
        frames = probe(long).info.frames
        runs = [("ffmpeg transcode (veryfast)", ffmpeg_cmd(long, tmp / "t.mp4"), None)]
        runs += [("blurkit -j 1", blurkit_cmd(long, tmp / "j1.mp4"), None)]
        for jobs in args.jobs or [2]:
            report = tmp / f"j{jobs}.json"
            runs.append((f"blurkit -j {jobs}", [*blurkit_cmd(long, tmp / f"j{jobs}.mp4"), "-j", str(jobs),
                                                "--report", str(report)], report))  # fmt: skip
        if not args.skip_deface:
            runs.append(("deface (solid)", deface_cmd(long, tmp / "deface.mp4"), None))
        single = transcode = 0.0
        for label, cmd, report in runs:
            m = Measured(cmd)
            transcode = transcode or m.wall
            single = m.wall if label == "blurkit -j 1" else single
            row = {"run": label, "frames": frames, "wall_s": round(m.wall, 1), "fps": round(frames / m.wall, 2)}
            row |= {"x_transcode": round(m.wall / transcode, 2), "peak_mb": round(m.peak / 2**20)}
            row["cores"] = round(m.cpu / m.wall, 2)  # how many cores it kept busy on average
            if label.startswith("blurkit -j") and single:
                row["speedup"] = round(single / m.wall, 2)
            if report is not None:
                [entry] = json.loads(report.read_text())["files"]
                segments = entry.get("segments", [])
                extra = sum((s["decoded"][1] - s["decoded"][0]) - (s["frames"][1] - s["frames"][0]) for s in segments)
                seams = max(len(segments) - 1, 1)
                row |= {"segments": len(segments), "extra_frames_per_seam": round(extra / seams)}
                row["seam_s"] = round(extra / seams * single / frames, 1)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "segments.json").write_text(json.dumps(rows, indent=1))
    print("| run | fps | wall | × transcode | cores busy | speed-up over -j 1 | segments | per seam | peak memory |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        seam = f"{r['extra_frames_per_seam']} frames, {r['seam_s']} s" if "seam_s" in r else "—"
        print(
            f"| {r['run']} | {r['fps']} | {r['wall_s']} s | {r['x_transcode']} | {r['cores']} "
            f"| {r.get('speedup', '—')} | {r.get('segments', '—')} | {seam} | {r['peak_mb'] / 1024:.1f} GB |"
        )


if __name__ == "__main__":
    main()
