"""Peak memory of one photo export by its size: what a photo at the 180 MP limit needs.

Each size runs in a fresh process (``ru_maxrss`` is a high-water mark): a square JPEG tiled from the
sample portrait, opaque, or as a PNG with an alpha gradient (transparent photos are searched in three
views). Prints each peak RSS (and the baseline after importing blurkit and exporting a 64 px photo), the
straight line through the peaks (bytes per pixel and a fixed part: the detector's working memory is
bounded by its tiles), and that line at MAX_PIXELS. Also the wall and CPU time (user + sys) of the export.

Usage: python benchmarks/photo_memory.py [--sides 2000,4000,6000] [--alpha]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np
from PIL import Image
import blurkit
side, alpha, folder = int(sys.argv[1]), sys.argv[2] == "1", Path(sys.argv[3])
tile = np.asarray(Image.open(sys.argv[4]).convert("RGB"))
def made(s):
    rgb = np.tile(tile, (s // tile.shape[0] + 1, s // tile.shape[1] + 1, 1))[:s, :s]
    path = folder / f"in{s}.{'png' if alpha else 'jpg'}"
    im = Image.fromarray(rgb)
    if alpha:
        im.putalpha(Image.fromarray(np.tile(np.linspace(60, 255, s).astype(np.uint8), (s, 1))))
    im.save(path, **({} if alpha else {"quality": 90}))
    return path
small, big = made(64), made(side)
blurkit.anonymize_file(small, folder / ("s" + small.name))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t, c = time.perf_counter(), time.process_time()
r = blurkit.anonymize_file(big, folder / ("o" + big.name))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"side": side, "faces": r.faces, "base": base, "peak": peak,
                  "wall": time.perf_counter() - t, "cpu": time.process_time() - c}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sides", default="2000,4000,6000")
    parser.add_argument("--alpha", action="store_true", help="PNG with transparency instead of an opaque JPEG")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from blurkit.media.image import MAX_PIXELS

    rows = []
    for side in (int(s) for s in args.sides.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            run = [sys.executable, "-c", CHILD, str(side), "1" if args.alpha else "0", folder]
            out = subprocess.run(
                [*run, str(ROOT / "sample_media" / "grace_hopper.jpg")], capture_output=True, text=True
            )
        if out.returncode:
            sys.exit(out.stderr)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"{side}x{side} ({side**2 / 1e6:.0f} MP, {row['faces']} faces): peak {row['peak'] / 2**20:.0f} MiB "
            f"(baseline {row['base'] / 2**20:.0f} MiB); wall {row['wall']:.1f} s, cpu {row['cpu']:.1f} s",
            flush=True,
        )
    if len(rows) > 1:
        per_pixel, fixed = np.polyfit([r["side"] ** 2 for r in rows], [r["peak"] for r in rows], 1)
        at_limit = (fixed + per_pixel * MAX_PIXELS) / 2**30
        print(
            f"{per_pixel:.1f} B/pixel + {fixed / 2**20:.0f} MiB; "
            f"at MAX_PIXELS ({MAX_PIXELS / 1e6:.0f} MP): {at_limit:.1f} GiB"
        )


if __name__ == "__main__":
    main()
