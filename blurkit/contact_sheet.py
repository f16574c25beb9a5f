"""A video's contact sheet for the editor's report: the frames a person must look at before signing off.

Which frames: the first of every shot, every frame the check of the output or the second look flagged,
and the frames where a face track starts or ends at the picture's edge (someone walking in or out, where
a detector is weakest). Each is a small JPEG of the OUTPUT with its regions outlined, its time code and
frame number. A long video can flag thousands of frames, so the sheet keeps to ``MAX_FRAMES`` and a byte
budget (``BUDGET_BYTES`` per video, enforced): the flagged frames first, spread evenly; what is left out
is counted on the page, and the timeline still marks every flagged frame.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from blurkit.check import CheckResult
from blurkit.media.ffmpeg import FrameReader, probe
from blurkit.obscure import mask_regions
from blurkit.regions import Region
from blurkit.result import FileResult
from blurkit.settings import Settings

# Longest side of a contact-sheet frame, and the JPEG quality.
SIDE, QUALITY = 320, 70
# Frames on one video's sheet, and the bytes its pictures may take (before base64, which adds a third).
MAX_FRAMES = 48
BUDGET_BYTES = 1_200_000
# A region within this many pixels of a border touches it.
EDGE = 4
# Why a frame is on the sheet, in the order they are kept when there are too many.
REASONS = ("check", "second look", "kept visible", "shot", "edge")


@dataclass
class Sheet:
    """The pictures (JPEG bytes by frame index), why each is there, and what was left out."""

    frames: dict[int, bytes] = field(default_factory=dict)
    reasons: dict[int, list[str]] = field(default_factory=dict)
    times: dict[int, float] = field(default_factory=dict)  # seconds from the first frame
    left_out: int = 0

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.frames.values())


def frames_to_show(r: FileResult, check: CheckResult | None) -> dict[int, list[str]]:
    """Every frame worth a look, with its reasons (all of them, before any budget)."""
    assert r.frames is not None
    n, reasons = len(r.frames), {}

    def add(i: int, why: str) -> None:
        if 0 <= i < n and why not in reasons.setdefault(i, []):
            reasons[i].append(why)

    for cut in [0, *r.details.get("cuts", [])]:
        add(int(cut), "shot")
    for x in check.findings if check is not None else []:
        add(x.frames[0] if x.frames else 0, "check")
    for x in check.kept if check is not None else []:
        add(x.frames[0] if x.frames else 0, "kept visible")
    spans: dict[int, list[int]] = {}
    for i, regions in enumerate(r.frames):
        for x in regions:
            if x.source == "second-look":
                add(i, "second look")
            if x.track_id is not None and x.source != "manual":
                spans.setdefault(x.track_id, []).append(i)
    for frames in spans.values():
        for i in (frames[0], frames[-1]):
            if any(_at_edge(x, r.width, r.height) for x in r.frames[i] if x.track_id is not None):
                add(i, "edge")
    return reasons


def _at_edge(x: Region, width: int, height: int) -> bool:
    return x.x0 <= EDGE or x.y0 <= EDGE or x.x1 >= width - EDGE or x.y1 >= height - EDGE


def choose(reasons: dict[int, list[str]], limit: int = MAX_FRAMES) -> list[int]:
    """At most ``limit`` frames: by reason in REASONS' order, each reason's frames spread evenly."""
    chosen: set[int] = set()
    for why in REASONS:
        these = sorted(i for i, rs in reasons.items() if why in rs and i not in chosen)
        room = limit - len(chosen)
        if room <= 0:
            break
        if len(these) > room:
            these = [these[round(k * (len(these) - 1) / max(1, room - 1))] for k in range(room)]
        chosen.update(these)
    return sorted(chosen)


def build_sheet(
    r: FileResult,
    check: CheckResult | None,
    settings: Settings,
    outline: Callable[..., None],
    colours: dict[str, str],
    progress: Callable[[int, int], None] | None = None,
) -> Sheet:
    """Decode the output once and draw the chosen frames; keep within BUDGET_BYTES by leaving out the last
    chosen frames of the lowest reason first."""
    assert r.dst is not None and r.frames is not None
    reasons = frames_to_show(r, check)
    wanted = choose(reasons)
    sheet = Sheet(left_out=len(reasons) - len(wanted))
    if not wanted:
        return sheet
    info = probe(r.dst).info
    residual = check.findings if check is not None else []
    kept = check.kept if check is not None else []
    first_ns = None
    last = wanted[-1]
    with FrameReader(Path(r.dst), info.width, info.height) as reader:
        for frame in reader:
            first_ns = frame.pts_ns if first_ns is None else first_ns
            i = frame.index
            if progress:
                progress(i + 1, last + 1)
            if i in wanted and i < len(r.frames):
                sheet.frames[i] = _picture(frame.pixels, r.frames[i], residual, kept, i, settings, outline, colours)
                sheet.reasons[i] = reasons[i]
                sheet.times[i] = (frame.pts_ns - first_ns) / 1e9
            if i >= last:
                break
    order = sorted(sheet.frames, key=lambda i: (min(REASONS.index(w) for w in sheet.reasons[i]), i))
    while sheet.size > BUDGET_BYTES and order:
        dropped = order.pop()
        del sheet.frames[dropped]
        sheet.left_out += 1
    return sheet


def _picture(
    pixels: np.ndarray,
    covered: Sequence[Region],
    residual: Sequence[Region],
    kept: Sequence[Region],
    index: int,
    settings: Settings,
    outline: Callable[..., None],
    colours: dict[str, str],
) -> bytes:
    height, width = pixels.shape[:2]
    f = min(1.0, SIDE / max(width, height))
    image = Image.fromarray(pixels).resize((max(1, round(width * f)), max(1, round(height * f))))
    draw = ImageDraw.Draw(image)
    for mask in mask_regions(list(covered), settings, width, height, index):
        outline(draw, mask, f, colours[mask.source if mask.source in ("manual", "second-look") else "covered"])
    for x in kept:
        if x.in_frame(index):
            outline(draw, x, f, colours["kept"])
    for x in residual:
        if x.in_frame(index):
            outline(draw, x, f, colours["residual"], True)
    data = io.BytesIO()
    image.save(data, "JPEG", quality=QUALITY)
    return data.getvalue()


def time_code(seconds: float) -> str:
    """H:MM:SS.mmm"""
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000}:{ms // 60_000 % 60:02}:{ms // 1000 % 60:02}.{ms % 1000:03}"
