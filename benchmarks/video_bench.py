"""Video speed and coverage: blurkit (default and --fast) beside deface and a plain ffmpeg transcode, in one run.

Builds in a temp folder a 1080p clip (a shared street clip upscaled 2x, its first N frames, with a synthetic
tone as sound) and one 10x longer (the clip looped). Labels every frame with a slow, thorough pass (CenterFace
at 1x, 2x and 3x of the 540p source, threshold 0.35, a face kept when a neighbouring frame confirms it; cached
under benchmarks/out/video/). Then runs each tool on the same clip, one at a time, and reports:

  fps        frames / wall-clock seconds of the whole command (start-up included)
  cpu_fps    frames / (CPU seconds of the process tree / 2): the rate on 2 idle cores, steadier
             than wall clock when the machine is shared
  peak_mb    peak resident memory of the process tree (sampled every 50 ms)
  recall     per-frame recall from ../shared/eval/video_coverage.py (faces >= 10 px, >= 70 % covered)
  leak       frames holding an exposed labelled face (same scorer)
  flashes    labelled faces exposed in one frame but covered in the frames before and after it

Usage: python benchmarks/video_bench.py [--frames 105] [--long 10] [--skip-deface] [--clips]
  --clips also scores blurkit and deface on the shared clips at their own size (first --clip-frames frames).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
VIDEOS = SHARED / "data" / "video"
OUT = ROOT / "benchmarks" / "out" / "video"
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(SHARED / "eval")]

from coverage import obscured_mask  # noqa: E402  (the scorer's own notion of "obscured")
from deface_env import deface_python  # noqa: E402

from blurkit.detect import detect_faces  # noqa: E402
from blurkit.media.ffmpeg import FrameReader, ffmpeg_exe, probe  # noqa: E402
from blurkit.regions import iou_matrix  # noqa: E402
from blurkit.settings import Settings  # noqa: E402

LABEL_SETTINGS = Settings(scales=(1.0, 2.0, 3.0), threshold=0.35)
# Regular timestamps from zero: deface reads through imageio at the container's average rate, and a first
# frame at 0.04 s (as in the street clip) makes that 24.76 fps: frames repeat and everything after lands off.
CLEAN = ("-vf", "setpts=N/FRAME_RATE/TB")


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make_clips(tmp: Path, frames: int, long: int) -> tuple[Path, Path, Path]:
    """The 540p source excerpt (labelled), its 1080p upscale with sound, and that looped ``long`` times."""
    src = tmp / "street540.mp4"
    street = VIDEOS / "mot17-13-street.mp4"
    ffmpeg("-i", str(street), "-frames:v", str(frames), *CLEAN, "-c:v", "libx264", "-crf", "14", str(src))
    hd = tmp / "street1080.mp4"
    ffmpeg(
        "-i", str(src), "-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=48000:duration={frames / 25}",
        "-map", "0:v", "-map", "1:a", "-vf", "scale=1920:1080:flags=bicubic", "-c:v", "libx264", "-preset", "fast",
        "-crf", "18", "-c:a", "aac", str(hd),
    )  # fmt: skip
    looped = tmp / f"street1080x{long}.mp4"
    ffmpeg("-stream_loop", str(long - 1), "-i", str(hd), "-c", "copy", str(looped))
    return src, hd, looped


def excerpt(clip: Path, frames: int, tmp: Path) -> Path:
    out = tmp / f"{clip.stem}-{frames}.mp4"
    ffmpeg("-i", str(clip), "-frames:v", str(frames), "-map", "0:v", *CLEAN, "-c:v", "libx264", "-crf", "14", str(out))
    return out


def labels_for(clip: Path, key: str, factor: float = 1.0) -> dict[int, list[list[float]]]:
    """Thorough per-frame face boxes, cached; ``factor`` maps them onto an upscaled copy."""
    cache = OUT / f"labels-{key}.json"
    if cache.exists():
        raw = json.loads(cache.read_text())
    else:
        info = probe(clip).info
        raw = {}
        with FrameReader(clip, info.width, info.height) as reader:
            for frame in reader:
                found = detect_faces(frame.pixels, LABEL_SETTINGS)
                raw[frame.index] = [[r.x0, r.y0, r.x1, r.y1, r.score] for r in found]
                print(f"\rlabelling {clip.name}: frame {frame.index + 1}/{info.frames}", end="", file=sys.stderr)
        print(file=sys.stderr)
        raw = {int(k): v for k, v in raw.items()}
        OUT.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(raw))
    raw = {int(k): v for k, v in raw.items()}
    confirmed = {}
    for i, boxes in raw.items():
        here = np.array([b[:4] for b in boxes], np.float32).reshape(-1, 4)
        near = [np.array([b[:4] for b in raw.get(j, [])], np.float32).reshape(-1, 4) for j in (i - 1, i + 1)]
        keep = np.zeros(len(here), bool)
        for other in near:
            if len(here) and len(other):
                keep |= iou_matrix(here, other).max(axis=1) >= 0.3
        confirmed[i] = [
            [b[0] * factor, b[1] * factor, (b[2] - b[0]) * factor, (b[3] - b[1]) * factor, b[4]]
            for b, k in zip(boxes, keep, strict=True)
            if k
        ]
    return confirmed


class Measured:
    """Run a command; wall time, CPU time and peak RSS of its whole process tree."""

    def __init__(self, cmd: list[str], cwd: Path = ROOT) -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.peak = 0
        sampler = threading.Thread(target=self._sample, args=(proc,), daemon=True)
        sampler.start()
        _, err = proc.communicate()
        self.wall = time.perf_counter() - started
        sampler.join()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        if proc.returncode != 0:
            raise RuntimeError(f"{cmd[:3]} failed: {err.decode(errors='replace')[-2000:]}")

    def _sample(self, proc: subprocess.Popen) -> None:
        while proc.poll() is None:
            self.peak = max(self.peak, _tree_rss(proc.pid))
            time.sleep(0.05)


def _tree_rss(root: int) -> int:
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo += [c for c, p in parents.items() if p == pid and c not in tree]
    return sum(rss.get(p, 0) for p in tree)


def score(inp: Path, out: Path, labels: dict[int, list[list[float]]], tmp: Path) -> dict:
    """The official per-frame recall, plus single-frame flashes counted the same black-box way."""
    gt = tmp / f"{out.stem}-labels.json"
    gt.write_text(json.dumps(labels))
    cmd = [sys.executable, str(SHARED / "eval" / "video_coverage.py"), str(inp), str(out), str(gt)]
    official = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=False).stdout)
    exposed: list[list[tuple[np.ndarray, bool]]] = []
    a, b = cv2.VideoCapture(str(inp)), cv2.VideoCapture(str(out))
    while True:
        ok1, f1 = a.read()
        ok2, f2 = b.read()
        if not (ok1 and ok2):
            break
        if f1.shape != f2.shape:
            f2 = cv2.resize(f2, (f1.shape[1], f1.shape[0]))
        mask = obscured_mask(f1, f2)
        row = []
        for x, y, w, h, _ in labels.get(len(exposed), []):
            if w < 10:
                continue
            box = mask[max(0, int(y)) : int(y + h), max(0, int(x)) : int(x + w)]
            row.append((np.array([x, y, x + w, y + h], np.float32), box.size == 0 or box.mean() < 0.7))
        exposed.append(row)
    flashes = 0
    for t in range(1, len(exposed) - 1):
        for box, bad in exposed[t]:
            if bad and all(_covered_near(box, exposed[t + d]) for d in (-1, 1)):
                flashes += 1
    return {
        "recall": official["frame_recall"],
        "leak": official["frames_with_leak"],
        "faces": official["face_frames"],
        "collateral": official["collateral"],
        "frames_ok": official["error"] is None,
        "flashes": flashes,
    }


def _covered_near(box: np.ndarray, row: list[tuple[np.ndarray, bool]]) -> bool:
    """The same face (best overlap >= 0.3) in a neighbouring frame, and covered there."""
    if not row:
        return False
    overlaps = iou_matrix(box[None], np.stack([b for b, _ in row]))[0]
    best = int(overlaps.argmax())
    return overlaps[best] >= 0.3 and not row[best][1]


def blurkit_cmd(inp: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "blurkit", str(inp), "-o", str(out), "--quiet", "--overwrite", *extra]


def deface_cmd(inp: Path, out: Path) -> list[str]:
    """deface at its defaults but for two things that would make the frame-by-frame score meaningless:
    it gets the picture alone (imageio reads at a constant rate; a sound track starting earlier than the
    picture makes it repeat frames), and it keeps the frame size (imageio stretches 1080 rows to 1088
    unless told macro_block_size=1; stretched back, every pixel counts as changed)."""
    silent = inp.with_name(f"{inp.stem}-silent{inp.suffix}")
    if not silent.exists():
        ffmpeg("-i", str(inp), "-map", "0:v", "-c", "copy", str(silent))
    config = json.dumps({"codec": "libx264", "macro_block_size": 1})
    return [str(deface_python().parent / "deface"), str(silent), "-o", str(out), "--replacewith", "solid",
            "--ffmpeg-config", config]  # fmt: skip


def ffmpeg_cmd(inp: Path, out: Path) -> list[str]:
    return [ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(inp), "-c:v", "libx264", "-preset", "veryfast",
            "-crf", "20", "-c:a", "copy", str(out)]  # fmt: skip


def row(name: str, frames: int, m: Measured, s: dict | None = None) -> dict:
    r = {"run": name, "frames": frames, "fps": round(frames / m.wall, 2), "cpu_fps": round(frames / (m.cpu / 2), 2)}
    r |= {"wall_s": round(m.wall, 1), "cpu_s": round(m.cpu, 1), "peak_mb": round(m.peak / 2**20)}
    return r | (s or {})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=105, help="frames of the 1080p clip (default 105)")
    ap.add_argument("--long", type=int, default=10, help="the long input is the clip looped this often (default 10)")
    ap.add_argument("--skip-deface", action="store_true")
    ap.add_argument("--clips", action="store_true", help="also score the shared clips at their own size")
    ap.add_argument("--clip-frames", type=int, default=150)
    args = ap.parse_args()
    if not VIDEOS.is_dir():
        sys.exit(f"{VIDEOS} is not present")
    rows = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        src, hd, looped = make_clips(tmp, args.frames, args.long)
        labels = labels_for(src, f"street540-{args.frames}", factor=1920 / 960)
        n = probe(hd).info.frames
        runs = [("ffmpeg transcode (veryfast)", ffmpeg_cmd), ("blurkit", blurkit_cmd)]
        runs += [("blurkit --fast", lambda i, o: blurkit_cmd(i, o, "--fast"))]
        runs += [] if args.skip_deface else [("deface (solid)", deface_cmd)]
        for label, cmd in runs:
            out = tmp / f"{label.split()[0]}-{len(rows)}.mp4"
            m = Measured(cmd(hd, out))
            scored = None if label.startswith("ffmpeg") else score(hd, out, labels, tmp)
            rows.append(row(f"{label}, 1080p", n, m, scored))
            print(json.dumps(rows[-1]), flush=True)
        for label, extra in (("blurkit", ()), ("blurkit --fast", ("--fast",))):
            m = Measured(blurkit_cmd(looped, tmp / "long.mp4", *extra))
            rows.append(row(f"{label}, 1080p x{args.long}", probe(looped).info.frames, m))
            print(json.dumps(rows[-1]), flush=True)
        if args.clips:
            for clip in sorted(VIDEOS.glob("*.mp4")):
                short = excerpt(clip, args.clip_frames, tmp)
                clip_labels = labels_for(short, f"{clip.stem}-{args.clip_frames}")
                frames = probe(short).info.frames
                # magenta fill: same detections and tracks as the default, but a fill the scorer always sees
                # (on a dark stage, erase and deface's black fill change a covered face too little to count)
                loud = ("magenta", lambda i, o: blurkit_cmd(i, o, "--mode", "fill", "--color", "ff00ff"))
                runs = [("blurkit", blurkit_cmd), loud, *([] if args.skip_deface else [("deface", deface_cmd)])]
                for label, cmd in runs:
                    out = tmp / f"{clip.stem}-{label}.mp4"
                    m = Measured(cmd(short, out))
                    name = "blurkit --mode fill (magenta)" if label == "magenta" else label
                    rows.append(row(f"{name}, {clip.stem}", frames, m, score(short, out, clip_labels, tmp)))
                    print(json.dumps(rows[-1]), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(rows, indent=1))
    by = {r["run"]: r for r in rows}
    deface = by.get("deface (solid), 1080p")
    if deface:
        for name in ("blurkit, 1080p", "blurkit --fast, 1080p"):
            r = by[name]
            ratio, cpu_ratio = r["fps"] / deface["fps"], r["cpu_fps"] / deface["cpu_fps"]
            print(f"{name}: {ratio:.1f}x deface's fps ({cpu_ratio:.1f}x by CPU time)")


if __name__ == "__main__":
    main()
