"""Video speed and coverage in one run: per clip, a plain ffmpeg transcode, blurkit, blurkit --fast and deface.

Clips (all on by default; --only picks some):
  street1080, street720, street360
                       a shared street clip (mot17-13-street, 960x540) scaled to 1920x1080, 1280x720 and 640x360,
                       its first --frames frames, with a synthetic tone as sound; street1080 also looped --long
                       times, to show memory stays flat with length (those rows are timed, not scored)
  turned1080           street1080 with its pixels turned 90 degrees clockwise (1080x1920, no rotation metadata:
                       checked), as a phone held sideways whose orientation tag was lost; its labels are the
                       upright clip's, turned with it; it adds a row blurkit --any-angle off (issue 22)
  mot17-13-street, mot20-05-crowd, stage-clip
                       the shared clips at their own size, first --clip-frames frames
  tears-of-steel-cuts  the shared film excerpt, whole (240 frames) or its first --cut-frames: shot cuts, close faces
Every input is re-encoded first with regular timestamps from zero (deface needs them; see CLEAN) into a temp
folder; the research data is read in place, never copied into the project.

Labels: every frame of each clip at its own size gets a slow, thorough pass (CenterFace at 1x, 2x and 3x,
threshold 0.35, a face kept when a neighbouring frame confirms it; the 1x pass finds the close-up faces of
tears-of-steel, up to 180x220 px; upright search only); the street clips reuse their 540p source's labels,
scaled (and turned for turned1080, so its labels do not come from blurkit's any-angle search). Cuts: found from
the pixels alone by video_cuts.py (a brightness-blind thumbnail correlation, checked by eye on the shared clips:
tears-of-steel cuts at frames 21, 65 and 185, stage-clip at 20, 82 and 211). Both are cached under
benchmarks/out/video/, the labels per source frame, so a run with fewer frames labels nothing new.
Tools run one at a time; each row reports:

  cpu_x         CPU seconds (user + sys) of the whole process tree (ffmpeg's included) over the plain
                transcode's (decode + libx264 veryfast + AAC), same clip, same run: the cost on a shared machine
  fps           frames / wall-clock seconds of the whole command (start-up included)
  wall_s        those seconds; x_transcode: them over the plain transcode's, same clip, same run
  cpu_fps       frames / (CPU seconds of the process tree / 2): the rate on 2 idle cores (results.json only)
  peak_mb       peak resident memory of the process tree (sampled every 50 ms)
  recall        per-frame recall from ../shared/eval/video_coverage.py (faces >= 10 px, >= 70 % covered)
  exposed       labelled face-frames left exposed under the scorer's rule (a face in 3 frames counts 3)
  cut_exposed   exposed face-frames in the 5 frames from each cut on (cut_faces: the labelled face-frames there)
  flashes       labelled faces exposed in one frame but covered in the frames before and after it

Prints a markdown table, writes it into its own section of benchmarks/RESULTS.md and the rows into
benchmarks/out/video/results.json.
Usage: python benchmarks/video_bench.py [--frames 105] [--long 10] [--clip-frames 150] [--only CLIP]...
  [--cut-frames N] [--skip-deface] [--second-look-off] [--baseline FOLDER]; --long 1 leaves out the looped input.
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
VIDEOS = SHARED / "data" / "video"
SCORER = SHARED / "eval" / "video_coverage.py"
OUT = ROOT / "benchmarks" / "out" / "video"
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from deface_env import deface_python  # noqa: E402
from video_cuts import find_cuts  # noqa: E402

from blurkit.detect import detect_faces  # noqa: E402
from blurkit.media.ffmpeg import FrameReader, ffmpeg_exe, probe  # noqa: E402
from blurkit.regions import iou_matrix  # noqa: E402
from blurkit.settings import Settings  # noqa: E402

# Upright search only: the turned clip's labels are the upright ones turned, not what any-angle search finds.
LABEL_SETTINGS = Settings(scales=(1.0, 2.0, 3.0), threshold=0.35, any_angle="off")
# Regular timestamps from zero: deface reads through imageio at the container's average rate, and a first
# frame at 0.04 s (as in the street clip) makes that 24.76 fps: frames repeat and everything after lands off.
CLEAN = ("-vf", "setpts=N/FRAME_RATE/TB")
STREET = "mot17-13-street"
WHOLE = "tears-of-steel-cuts"  # short enough to take whole, and its cuts are the point
SHARED_CLIPS = (STREET, "mot20-05-crowd", "stage-clip", WHOLE)
STREET_SIZES = {"street1080": (1920, 1080), "street720": (1280, 720), "street360": (640, 360)}
TURNED = "turned1080"  # street1080 turned 90 degrees clockwise by its pixels
CLIPS = (*STREET_SIZES, TURNED, *SHARED_CLIPS)
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SECTION = ("<!-- video_bench.py: start -->", "<!-- video_bench.py: end -->")
AFTER_CUT = 5  # frames from a cut on in which exposures are counted apart
Labels = dict[int, list[list[float]]]


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def excerpt(name: str, frames: int | None, tmp: Path) -> Path:
    """The shared clip's first ``frames`` frames (all when None), picture only, regular timestamps."""
    out = tmp / f"{name}-{frames or 'all'}.mp4"
    limit = ("-frames:v", str(frames)) if frames else ()
    ffmpeg("-i", str(VIDEOS / f"{name}.mp4"), *limit, "-map", "0:v", *CLEAN, "-c:v", "libx264", "-crf", "14", str(out))
    return out


def rescale(src: Path, frames: int, name: str, tmp: Path, turn: bool = False) -> Path:
    """The 540p street excerpt at street clip ``name``'s size, with a tone as sound (the transcode and blurkit
    both carry it); with ``turn``, its pixels then turned 90 degrees clockwise, no rotation tag."""
    width, height = STREET_SIZES[name]
    hd = tmp / f"{TURNED if turn else name}.mp4"
    picture = f"scale={width}:{height}:flags=bicubic" + (",transpose=1" if turn else "")
    ffmpeg(
        "-i", str(src), "-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=48000:duration={frames / 25}",
        "-map", "0:v", "-map", "1:a", "-vf", picture, "-c:v", "libx264",
        "-preset", "fast", "-crf", "18", "-c:a", "aac", str(hd),
    )  # fmt: skip
    if turn:
        dump = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(hd)], capture_output=True, text=True).stderr
        info = probe(hd).info
        if "displaymatrix" in dump or info.rotation or (info.width, info.height) != (height, width):
            raise RuntimeError(f"{hd.name} is not a plain {height}x{width} picture without a rotation tag")
    return hd


def turned_labels(labels: Labels, height: int) -> Labels:
    """Boxes [x, y, w, h, score] of a picture ``height`` rows high, on that picture turned 90 degrees clockwise."""
    return {i: [[height - y - h, x, h, w, s] for x, y, w, h, s in boxes] for i, boxes in labels.items()}


def loop(hd: Path, times: int, tmp: Path) -> Path:
    looped = tmp / f"street1080x{times}.mp4"
    ffmpeg("-stream_loop", str(times - 1), "-i", str(hd), "-c", "copy", str(looped))
    return looped


def labels_for(clip: Path, source: str, factor: float = 1.0) -> Labels:
    """Thorough per-frame face boxes [x, y, w, h, score] of ``clip``, the start of shared clip ``source``.

    Cached per source frame, so a longer excerpt labels only the frames not seen yet and a shorter one none;
    ``factor`` maps the boxes onto an upscaled copy."""
    cache = OUT / f"labels-{source}.json"
    raw = {int(k): v for k, v in json.loads(cache.read_text()).items()} if cache.exists() else {}
    info = probe(clip).info
    if any(i not in raw for i in range(info.frames)):
        with FrameReader(clip, info.width, info.height) as reader:
            for frame in reader:
                if frame.index not in raw:
                    found = detect_faces(frame.pixels, LABEL_SETTINGS)
                    raw[frame.index] = [[r.x0, r.y0, r.x1, r.y1, r.score] for r in found]
                print(f"\rlabelling {source}: frame {frame.index + 1}/{info.frames}", end="", file=sys.stderr)
        print(file=sys.stderr)
        OUT.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(dict(sorted(raw.items()))))
    raw = {i: raw[i] for i in range(info.frames)}
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


def cuts_for(clip: Path, key: str) -> list[int]:
    """First frames of new shots (video_cuts.py), cached beside the labels."""
    cache = OUT / f"cuts-{key}.json"
    if not cache.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(find_cuts(clip)))
    return json.loads(cache.read_text())


@dataclass
class Clip:
    name: str
    path: Path  # the input every tool gets
    frames: int
    size: str
    labels: Labels
    cuts: list[int]


def prepare(name: str, args: argparse.Namespace, tmp: Path) -> Clip:
    """Build the clip's input in ``tmp``; label it and find its cuts (cached)."""
    if name == TURNED:
        src = excerpt(STREET, args.frames, tmp)
        path = rescale(src, args.frames, "street1080", tmp, turn=True)
        labels = turned_labels(labels_for(src, STREET, factor=2.0), 1080)
        key = f"{name}-{args.frames}"
    elif name in STREET_SIZES:
        src = excerpt(STREET, args.frames, tmp)
        path = rescale(src, args.frames, name, tmp)
        labels = labels_for(src, STREET, factor=STREET_SIZES[name][1] / 540)
        key = f"{name}-{args.frames}"
    else:
        frames = args.cut_frames if name == WHOLE else args.clip_frames
        path = excerpt(name, frames, tmp)
        key = f"{name}-{frames or 'all'}"
        labels = labels_for(path, name)
    info = probe(path).info
    return Clip(name, path, info.frames, f"{info.width}×{info.height}", labels, cuts_for(path, key))


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


def score(clip: Clip, run: str, out: Path, tmp: Path) -> dict:
    """The official scorer's numbers, plus when each exposure happens (flashes, after cuts), found by
    re-applying its rule face by face; the two must agree on the number of exposed face-frames. The output
    frame with the most labelled faces goes to benchmarks/out/video/ as a PNG, to look at."""
    from coverage import obscured_mask  # the scorer's own notion of "obscured"; imported once data is checked

    gt = tmp / f"{clip.name}-labels.json"
    gt.write_text(json.dumps(clip.labels))
    official_run = subprocess.Popen([sys.executable, str(SCORER), str(clip.path), str(out), str(gt)],
                                    stdout=subprocess.PIPE, text=True)  # fmt: skip
    exposed: list[list[tuple[np.ndarray, bool]]] = []
    busiest = max(clip.labels, key=lambda i: len(clip.labels[i]), default=0)
    a, b = cv2.VideoCapture(str(clip.path)), cv2.VideoCapture(str(out))
    while True:
        ok1, f1 = a.read()
        ok2, f2 = b.read()
        if not (ok1 and ok2):
            break
        if f1.shape != f2.shape:
            f2 = cv2.resize(f2, (f1.shape[1], f1.shape[0]))
        if len(exposed) == busiest:
            OUT.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(OUT / f"{clip.name}-{'-'.join(run.replace('-', ' ').split())}-{busiest}.png"), f2)
        mask = obscured_mask(f1, f2)
        faces = []
        for x, y, w, h, _ in clip.labels.get(len(exposed), []):
            x, y, w, h = int(x), int(y), int(w), int(h)
            if w < 10 or h <= 0:
                continue
            box = mask[max(0, y) : y + h, max(0, x) : x + w]
            faces.append((np.array([x, y, x + w, y + h], np.float32), bool(box.size == 0 or box.mean() < 0.7)))
        exposed.append(faces)
    official = json.loads(official_run.communicate()[0])
    mine = sum(bad for faces in exposed for _, bad in faces)
    if mine != official["exposed"]:
        raise RuntimeError(f"{clip.name}: {mine} exposed face-frames here, {official['exposed']} by the scorer")
    flashes = 0
    for t in range(1, len(exposed) - 1):
        for box, bad in exposed[t]:
            if bad and all(_covered_near(box, exposed[t + d]) for d in (-1, 1)):
                flashes += 1
    after = {t for c in clip.cuts for t in range(c, min(c + AFTER_CUT, len(exposed)))}
    return {
        "recall": official["frame_recall"],
        "face_frames": official["face_frames"],
        "exposed": official["exposed"],
        "frames_with_leak": official["frames_with_leak"],
        "cut_faces": sum(len(exposed[t]) for t in after),
        "cut_exposed": sum(bad for t in after for _, bad in exposed[t]),
        "flashes": flashes,
        "collateral": official["collateral"],
        "scorer_error": official["error"],
    }


def _covered_near(box: np.ndarray, row: list[tuple[np.ndarray, bool]]) -> bool:
    """The same face (best overlap >= 0.3) in a neighbouring frame, and covered there."""
    if not row:
        return False
    overlaps = iou_matrix(box[None], np.stack([b for b, _ in row]))[0]
    best = int(overlaps.argmax())
    return overlaps[best] >= 0.3 and not row[best][1]


Command = Callable[[Path, Path], list[str]]


def ffmpeg_cmd(inp: Path, out: Path) -> list[str]:
    return [ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(inp), "-c:v", "libx264", "-preset", "veryfast",
            "-crf", "20", "-c:a", "aac", str(out)]  # fmt: skip


def blurkit_cmd(inp: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "blurkit", str(inp), "-o", str(out), "--quiet", "--overwrite"]


def blurkit_fast_cmd(inp: Path, out: Path) -> list[str]:
    return [*blurkit_cmd(inp, out), "--fast"]


def blurkit_upright_cmd(inp: Path, out: Path) -> list[str]:
    return [*blurkit_cmd(inp, out), "--any-angle", "off"]


def blurkit_no_second_look_cmd(inp: Path, out: Path) -> list[str]:
    return [*blurkit_cmd(inp, out), "--second-look", "off"]


def baseline_cmd(folder: Path, fast: bool) -> Command:
    """blurkit as exported into ``folder`` (say ``git archive COMMIT | tar -x -C folder``): before and after
    a change, in one run."""

    def cmd(inp: Path, out: Path) -> list[str]:
        run = f"import sys; sys.path.insert(0, {str(folder)!r}); from blurkit.cli import main; sys.exit(main())"
        return [sys.executable, "-c", run, str(inp), "-o", str(out), "--quiet", "--overwrite", *["--fast"] * fast]

    return cmd


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


TRANSCODE = "ffmpeg transcode (veryfast)"


def run_all(
    name: str, inp: Path, frames: int, tools: list[tuple[str, Command]], tmp: Path, clip: Clip | None
) -> list[dict]:
    """Each tool on ``inp`` in turn, the plain transcode first; scored against ``clip``'s labels when given."""
    rows: list[dict] = []
    transcode_wall = transcode_cpu = 0.0
    for run, cmd in [(TRANSCODE, ffmpeg_cmd), *tools]:
        out = tmp / f"{name}-{len(rows)}.mp4"
        m = Measured(cmd(inp, out))
        transcode_wall, transcode_cpu = transcode_wall or m.wall, transcode_cpu or m.cpu
        row = {"clip": name, "run": run, "frames": frames, "cpu_x": round(m.cpu / transcode_cpu, 2)}
        row |= {"fps": round(frames / m.wall, 2)}
        row |= {"cpu_fps": round(frames / (m.cpu / 2), 2), "wall_s": round(m.wall, 2), "cpu_s": round(m.cpu, 1)}
        row |= {"x_transcode": round(m.wall / transcode_wall, 2), "peak_mb": round(m.peak / 2**20)}
        if clip and run != TRANSCODE:
            row |= score(clip, run, out, tmp)
        out.unlink()
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def table(rows: list[dict], clips: dict[str, Clip]) -> str:
    """One markdown table, a block of rows per clip."""
    lines = [
        "| clip | run | frames | CPU × transcode | CPU s | wall s | wall × transcode | peak MB | recall "
        f"| exposed face-frames | exposed in {AFTER_CUT} frames after cuts | flashes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    shown = None
    for r in rows:
        clip = clips.get(r["clip"])
        head = ""
        if r["clip"] != shown:
            shown = r["clip"]
            if clip:
                head = f"**{r['clip']}** {clip.size}, {len(clip.cuts)} cut{'s' * (len(clip.cuts) != 1)}"
            else:
                head = f"**{r['clip']}** (timed only)"
        scored = "recall" in r
        run = f"{r['run']} ({r['scorer_error']})" if r.get("scorer_error") else r["run"]
        cells = [head, run, r["frames"], f"{r['cpu_x']:.2f}", f"{r['cpu_s']:.1f}", f"{r['wall_s']:.1f}",
                 f"{r['x_transcode']:.2f}",
                 r["peak_mb"], f"{r['recall']:.3f}" if scored else "—", r["exposed"] if scored else "—",
                 f"{r['cut_exposed']} of {r['cut_faces']}" if scored and clip.cuts else "—",
                 r["flashes"] if scored else "—"]  # fmt: skip
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=105, help="frames of the 1080p street clip (default 105)")
    ap.add_argument("--long", type=int, default=10, help="the long input is street1080 looped this often (default 10)")
    ap.add_argument("--clip-frames", type=int, default=150, help="frames of each shared clip but tears-of-steel-cuts")
    ap.add_argument("--cut-frames", type=int, help="frames of tears-of-steel-cuts (default: all 240)")
    ap.add_argument("--only", action="append", choices=CLIPS, help="run this clip only (repeatable)")
    ap.add_argument("--skip-deface", action="store_true")
    ap.add_argument("--baseline", type=Path, help="add rows: blurkit (and --fast) exported into this folder")
    ap.add_argument("--second-look-off", action="store_true", help="add a row: blurkit --second-look off")
    args = ap.parse_args()
    chosen = args.only or list(CLIPS)
    needed = [VIDEOS / f"{STREET if n in (*STREET_SIZES, TURNED) else n}.mp4" for n in chosen] + [SCORER]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        sys.exit(f"the shared research data is missing ({', '.join(missing)}); it is read in place from {SHARED}")
    sys.path.insert(0, str(SCORER.parent))
    tools: list[tuple[str, Command]] = [("blurkit", blurkit_cmd), ("blurkit --fast", blurkit_fast_cmd)]
    tools += [("blurkit --second-look off", blurkit_no_second_look_cmd)] if args.second_look_off else []
    if args.baseline:
        tools += [(f"baseline{' --fast' * f}", baseline_cmd(args.baseline, f)) for f in (False, True)]
    tools += [] if args.skip_deface else [("deface (solid)", deface_cmd)]
    rows: list[dict] = []
    clips: dict[str, Clip] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for clip_name in chosen:
            clips[clip_name] = prepare(clip_name, args, tmp)
        for clip in clips.values():
            extra = [("blurkit --any-angle off", blurkit_upright_cmd)] if clip.name == TURNED else []
            rows += run_all(clip.name, clip.path, clip.frames, tools[:1] + extra + tools[1:], tmp, clip)
            if clip.name == "street1080" and args.long > 1:
                looped = loop(clip.path, args.long, tmp)
                rows += run_all(f"street1080 ×{args.long}", looped, probe(looped).info.frames, tools[:2], tmp, None)
            OUT.mkdir(parents=True, exist_ok=True)
            (OUT / "results.json").write_text(json.dumps(rows, indent=1))
    text = table(rows, clips)
    print(text)
    write_section(text, args)


def write_section(text: str, args: argparse.Namespace) -> None:
    """Replace this script's section of benchmarks/RESULTS.md (other benchmarks own the rest of the file)."""
    start, end = SECTION
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    how = " ".join("FOLDER" if Path(a).is_absolute() else a for a in sys.argv[1:]) or "(defaults)"  # no local paths
    body = (
        f"{start}\n## Video: cost and coverage beside a plain transcode and deface\n\n"
        f"`python benchmarks/video_bench.py {how}` ({time.strftime('%Y-%m-%d')}, one run, tools one at a time; "
        "CPU is user + sys of the whole process tree, ffmpeg's processes included; wall time depends on "
        "what else the machine runs, CPU time much less).\n\n"
        f"{text}\n{end}"
    )
    if start in old and end in old:
        new = old[: old.index(start)] + body + old[old.index(end) + len(end) :]
    else:
        new = old.rstrip("\n") + "\n\n" + body + "\n"
    RESULTS.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
