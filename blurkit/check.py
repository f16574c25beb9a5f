"""Audit files that are already anonymized (by blurkit or any other tool): every face still found.

Nothing is written. Two model families look, so that the anonymizer's own misses are not the check's:
blurkit's CenterFace (its full detection and the second look, from ``check_threshold``) and YuNet (from
``YUNET_THRESHOLD``, on the picture and on it upscaled 2x, where small faces show). A video gets the same
look on its first and last frame and on every other full-search period between, half-way between the
anonymizer's full searches (``Schedule.checked``: every 16th frame by default); a face left visible stays for
many frames.
``benchmarks/check_bench.py`` measured the rates both ways and the cost against anonymizing. Checking
blurkit's own output, the regions it covered are known and finds inside them are not counted; finds on a
face the user chose to keep visible are listed apart ("kept visible by you"), never as a warning.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from blurkit.detect import TURNS, detect_faces, detect_turned
from blurkit.detect.yunet import YuNet
from blurkit.errors import BlurkitError, Cancelled, MediaError
from blurkit.media import kind_of
from blurkit.media.ffmpeg import FrameReader, probe
from blurkit.media.image import Photo, read_photo
from blurkit.regions import Region, merge_overlapping
from blurkit.result import FileResult
from blurkit.second_look import look, outside
from blurkit.settings import Settings
from blurkit.video.schedule import Schedule

# Least YuNet score that counts (on the picture and upscaled 2x): chosen by benchmarks/check_bench.py.
YUNET_THRESHOLD = 0.8


@dataclass
class CheckResult:
    """What a check found in one file: ``status`` is "clean", "faces" or "failed"."""

    path: Path
    kind: str
    status: str
    findings: list[Region] = field(default_factory=list)  # in video each with frames=(i, i)
    frames: int = 0  # frames decoded
    looked: int = 0  # frames looked at (a video's ``Schedule.checked`` frames)
    error: str | None = None
    known: bool = False  # blurkit's own output, its covered regions (from its report) left out
    kept: list[Region] = field(default_factory=list)  # finds on faces the user kept visible: not warnings

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "status": self.status,
            "error": self.error,
            "frames": self.frames,
            "looked_at": self.looked,
            "covered_left_out": self.known,
            "findings": [_finding(r) for r in self.findings],
            "kept_visible": [_finding(r) for r in self.kept],
        }


def _finding(r: Region) -> dict:
    return {
        "frame": None if r.frames is None else r.frames[0],
        "box": [round(v, 1) for v in (r.x0, r.y0, r.width, r.height)],
        "score": round(r.score, 4),
    }


@cache
def _yunet() -> YuNet:
    return YuNet(YUNET_THRESHOLD)


def second_family(pixels: np.ndarray) -> list[Region]:
    """YuNet's finds in an upright RGB picture and in it upscaled 2x (small faces), from YUNET_THRESHOLD."""
    up = cv2.resize(pixels, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)
    return _yunet().detect(pixels) + [r.moved(0, 0, 0.5, 0.5) for r in _yunet().detect(up)]


def covered_or_kept(
    finds: Sequence[Region], covered: Sequence[Region], kept: Sequence[Region], settings: Settings, shape: tuple
) -> tuple[list[Region], list[Region]]:
    """(``finds`` lying outside the masks of ``covered`` and of ``kept``, those on a face in ``kept``)."""
    left = outside(finds, covered, settings, shape)
    if not kept:
        return left, []
    warn = outside(left, kept, settings, shape)
    return warn, [r for r in left if r not in warn]


def check_pixels(
    pixels: np.ndarray,
    settings: Settings,
    covered: Sequence[Region] = (),
    kept: Sequence[Region] = (),
    turned_at: tuple[float, ...] | None = None,
) -> tuple[list[Region], list[Region]]:
    """Faces in one upright RGB picture (CenterFace's detection and second look, and YuNet), outside
    ``covered``: (the warnings, the finds on faces in ``kept``, which the user chose to keep visible). The turns
    are searched at ``settings.scales`` as photos are (with the close-up pass), or at ``turned_at`` (a video
    frame's, as its export did: without it)."""
    photo = turned_at is None
    if photo or settings.any_angle != "on":
        found = detect_faces(pixels, settings, close_up=photo)
    else:
        upright = detect_faces(pixels, settings.with_(any_angle="off"), close_up=False)
        found = upright + detect_turned(pixels, settings, turned_at, TURNS)
    found = [r for r in found + look(pixels, settings) if r.score >= settings.check_threshold]
    found += second_family(pixels)
    return covered_or_kept(merge_overlapping(found), covered, kept, settings, pixels.shape)


def check_photo(
    photo: Photo, settings: Settings, covered: Sequence[Region] = (), kept: Sequence[Region] = ()
) -> tuple[list[Region], list[Region]]:
    """``check_pixels`` on every view a viewer may see of a photo (its colour, and with transparency the
    picture over white and over black), each face once."""
    findings: list[Region] = []
    on_kept: list[Region] = []
    for view in photo.views:
        warn, mine = check_pixels(view, settings, covered, kept)
        findings += outside(warn, findings, settings, view.shape)
        on_kept += outside(mine, on_kept, settings, view.shape)
    return findings, on_kept


def check_file(
    path: str | Path,
    settings: Settings | None = None,
    *,
    written: FileResult | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> CheckResult:
    """Check one photo or video; a file that cannot be read is a "failed" result, never "clean". ``written``:
    blurkit's result for this file, whose covered regions (masks drawn with its own settings) are left out."""
    path, settings = Path(path), settings or Settings()
    kind = kind_of(path) or "unknown"
    if written is not None and "settings" in written.details:  # the masks as that file's export drew them
        used = written.details["settings"]
        settings = settings.with_(mask_scale=used["mask_scale"], shape=used["shape"])
    try:
        if kind == "unknown":
            raise MediaError(f"unsupported file type {path.suffix or '(no suffix)'}")
        if not path.is_file():
            raise MediaError("no such file" if not path.exists() else "not a regular file")
        kept = kept_visible(written) if written is not None else []
        if kind == "photo":
            covered = written.regions if written is not None else []
            (findings, on_kept), frames, looked = check_photo(read_photo(path), settings, covered, kept), 1, 1
            if progress:
                progress(1, 1)
        else:
            per_frame = written.frames if written is not None else None
            findings, on_kept, frames, looked = _check_video(path, settings, per_frame, kept, progress, cancel)
    except Cancelled:
        raise
    except Exception as exc:  # one line naming the file, as a batch does
        message = str(exc) if isinstance(exc, BlurkitError) else f"{type(exc).__name__}: {exc}"
        return CheckResult(path, kind, "failed", error=" ".join(message.split()))
    status = "faces" if findings else "clean"
    return CheckResult(path, kind, status, findings, frames, looked, known=written is not None, kept=on_kept)


def kept_visible(written: FileResult) -> list[Region]:
    """The faces the user chose to leave visible in a file blurkit wrote (``details["kept_visible"]``;
    in video each with its frame)."""
    return [Region.from_dict(r) for r in written.details.get("kept_visible", [])]


def outputs_in_report(report: str | Path) -> dict[str, FileResult]:
    """The files a blurkit JSON report (``--report FILE.json``) says it wrote, by their sha256, each with what
    it covered: a later check leaves those regions out, as the HTML report's check does (an erased face still
    looks like a head to a detector). Keyed by content, not name: a renamed copy is known, an edited one is
    not, and a file not in the report is checked whole. Raises ValueError for what is not such a report."""
    return {r.sha256: r for r in written_in_report(report)}  # type: ignore[misc]


def written_in_report(report: str | Path) -> list[FileResult]:
    """Every file a blurkit JSON report says it wrote (or kept, with --skip-existing), in its order, with its
    sha256, its input's (``details["input_sha256"]``) and what it covered. Raises ValueError for what is not
    such a report."""
    try:
        doc = json.loads(Path(report).read_text(encoding="utf-8"))
        written = []
        for f in doc["files"]:
            if f["status"] not in ("written", "kept") or not f.get("output_sha256"):
                continue
            frames = f.get("frames")
            written.append(
                FileResult(
                    Path(f["input"]),
                    Path(f["output"]),
                    f["kind"],
                    "written",
                    regions=[Region.from_dict(r) for r in f["regions"]],
                    frames=None if frames is None else [[Region.from_dict(r) for r in fr] for fr in frames],
                    sha256=f["output_sha256"],
                    details={
                        "settings": f.get("settings", doc["settings"]),
                        "input_sha256": f.get("input_sha256"),
                        "kept_visible": f.get("kept_visible", []),
                    },
                )
            )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{report}: not a blurkit JSON report ({type(exc).__name__}: {exc})") from exc
    return written


def written_by_blurkit(path: Path, known: dict[str, FileResult]) -> FileResult | None:
    """The report's record of ``path`` when the file is byte for byte what blurkit wrote, else None."""
    if not known or not path.is_file():
        return None
    with open(path, "rb") as f:
        return known.get(hashlib.file_digest(f, "sha256").hexdigest())


def _check_video(
    path: Path,
    settings: Settings,
    covered: Sequence[Sequence[Region]] | None,
    kept: Sequence[Region],
    progress: Callable[[int, int], None] | None,
    cancel: threading.Event | None,
) -> tuple[list[Region], list[Region], int, int]:
    """The whole check (both families) on the frames ``Schedule.checked`` names."""
    info = probe(path).info
    schedule = Schedule(settings, info)
    full = schedule.full  # the export's full search
    findings: list[Region] = []
    on_kept: list[Region] = []
    count = looked = 0
    with FrameReader(path, info.width, info.height) as reader:
        for frame in reader:
            if cancel is not None and cancel.is_set():
                raise Cancelled("cancelled")
            i = frame.index
            count = i + 1
            if schedule.checked(i, info.frames - 1):
                looked += 1
                here = covered[i] if covered is not None and i < len(covered) else []
                kept_here = [k for k in kept if k.in_frame(i)]
                warn, mine = check_pixels(frame.pixels, full, here, kept_here, schedule.turned_full)
                findings += [replace(r, frames=(i, i)) for r in warn]
                on_kept += [replace(r, frames=(i, i)) for r in mine]
            if progress:
                progress(count, max(info.frames, count))
    if not count:
        raise MediaError("no frame could be decoded")
    return findings, on_kept, count, looked
