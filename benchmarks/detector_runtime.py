"""CenterFace's time per frame on OpenCV DNN and on OpenVINO, side by side in one run.

Real frames (six from the shared street clip ../shared/data/video/mot17-13-street.mp4 when present, read
in place, else from the shipped sample_media/two_faces.mp4) are resized to each size and run through
``CenterFace.detect`` (padding, blob, network, decoding) on each runtime in turn, alternating which goes
first, so load from elsewhere on the machine falls on both alike. Two untimed calls per runtime and size
come first (OpenVINO compiles a fixed-size model on a small size's second call, as video's repeated frames
get). Prints a markdown table of medians.

Usage: python benchmarks/detector_runtime.py [--reps 15] [--threads N]
  --threads sets OpenCV's thread count, which OpenVINO's inference threads follow (default: all cores).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from blurkit.detect.centerface import CenterFace  # noqa: E402
from blurkit.settings import Settings  # noqa: E402

STREET = ROOT.parent / "shared" / "data" / "video" / "mot17-13-street.mp4"
SAMPLE = ROOT / "sample_media" / "two_faces.mp4"
SIZES = [(1920, 1080), (1280, 720), (960, 540), (640, 360), (480, 270)]
RUNTIMES = ("opencv", "openvino")


def frames(path: Path, count: int = 6) -> list[np.ndarray]:
    """``count`` RGB frames spread over the clip, read in order (seeking can miss the last ones)."""
    cap = cv2.VideoCapture(str(path))
    step = max(1, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) // count)
    picked = []
    index = 0
    while len(picked) < count and cap.grab():
        if index % step == 0:
            picked.append(cv2.cvtColor(cap.retrieve()[1], cv2.COLOR_BGR2RGB))
        index += 1
    cap.release()
    if not picked:
        raise SystemExit(f"no frames read from {path}")
    return picked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=15, help="timed calls per runtime and size")
    parser.add_argument("--threads", type=int, help="OpenCV's (and so OpenVINO's) thread count")
    args = parser.parse_args()
    if args.threads:
        cv2.setNumThreads(args.threads)
    source = STREET if STREET.is_file() else SAMPLE
    clip = frames(source)
    threshold = Settings().threshold
    detectors = {runtime: CenterFace(threshold, runtime=runtime) for runtime in RUNTIMES}
    print(f"frames: {len(clip)} from {source.name}; threads: {cv2.getNumThreads()}; reps: {args.reps}\n")
    print("| input | OpenCV DNN ms | OpenVINO ms | OpenCV / OpenVINO |")
    print("| --- | ---: | ---: | ---: |")
    for w, h in SIZES:
        images = [cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in clip]
        times: dict[str, list[float]] = {runtime: [] for runtime in RUNTIMES}
        for detector in detectors.values():
            detector.detect(images[0])
            detector.detect(images[1])
        for rep in range(args.reps):
            for runtime in RUNTIMES if rep % 2 == 0 else RUNTIMES[::-1]:
                started = time.perf_counter()
                detectors[runtime].detect(images[rep % len(images)])
                times[runtime].append((time.perf_counter() - started) * 1000)
        cv_ms, ov_ms = (statistics.median(times[runtime]) for runtime in RUNTIMES)
        print(f"| {w}x{h} | {cv_ms:.1f} | {ov_ms:.1f} | {cv_ms / ov_ms:.2f} |", flush=True)


if __name__ == "__main__":
    main()
