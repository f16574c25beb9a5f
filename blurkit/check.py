"""Audit files that are already anonymized (by blurkit or any other tool): every face still found.

Nothing is written. A photo gets blurkit's full detection and the second look; a video gets the
pipeline's schedule (``video.schedule``: a quick pass on every frame, the full pass and the second look
on each shot's first frame, every ``detect_every``-th frame and the last). Only finds scoring
``check_threshold`` or more count: an obscured face still looks like a head to a detector. Checking
blurkit's own output, the regions it covered are known, and finds inside them are not counted either.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from blurkit.detect import detect_faces
from blurkit.detect.multiscale import scaled
from blurkit.errors import BlurkitError, Cancelled, MediaError
from blurkit.media import kind_of
from blurkit.media.ffmpeg import FrameReader, probe
from blurkit.media.image import read_photo
from blurkit.regions import Region, merge_overlapping
from blurkit.result import FileResult
from blurkit.second_look import look, outside
from blurkit.settings import Settings
from blurkit.video.motion import ShotCuts, frame_view
from blurkit.video.schedule import Schedule


@dataclass
class CheckResult:
    """What a check found in one file: ``status`` is "clean", "faces" or "failed"."""

    path: Path
    kind: str
    status: str
    findings: list[Region] = field(default_factory=list)  # in video each with frames=(i, i)
    frames: int = 0  # frames looked at
    error: str | None = None
    known: bool = False  # blurkit's own output, its covered regions (from its report) left out

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "status": self.status,
            "error": self.error,
            "frames": self.frames,
            "covered_left_out": self.known,
            "findings": [
                {
                    "frame": None if r.frames is None else r.frames[0],
                    "box": [round(v, 1) for v in (r.x0, r.y0, r.width, r.height)],
                    "score": round(r.score, 4),
                }
                for r in self.findings
            ],
        }


def check_pixels(pixels: np.ndarray, settings: Settings, covered: Sequence[Region] = ()) -> list[Region]:
    """Faces in one upright RGB picture (the main detection and the second look), outside ``covered``."""
    found = [r for r in detect_faces(pixels, settings) + look(pixels, settings) if r.score >= settings.check_threshold]
    return outside(merge_overlapping(found), covered, settings, pixels.shape)


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
        if kind == "photo":
            covered = written.regions if written is not None else []
            findings, frames = check_pixels(read_photo(path).pixels, settings, covered), 1
        else:
            per_frame = written.frames if written is not None else None
            findings, frames = _check_video(path, settings, per_frame, progress, cancel)
    except Cancelled:
        raise
    except Exception as exc:  # one line naming the file, as a batch does
        message = str(exc) if isinstance(exc, BlurkitError) else f"{type(exc).__name__}: {exc}"
        return CheckResult(path, kind, "failed", error=" ".join(message.split()))
    return CheckResult(path, kind, "faces" if findings else "clean", findings, frames, known=written is not None)


def outputs_in_report(report: str | Path) -> dict[str, FileResult]:
    """The files a blurkit JSON report (``--report FILE.json``) says it wrote, by their sha256, each with what
    it covered: a later check leaves those regions out, as the HTML report's check does (an erased face still
    looks like a head to a detector). Keyed by content, not name: a renamed copy is known, an edited one is
    not, and a file not in the report is checked whole. Raises ValueError for what is not such a report."""
    try:
        doc = json.loads(Path(report).read_text(encoding="utf-8"))
        known = {}
        for f in doc["files"]:
            if f["status"] != "written" or not f.get("output_sha256"):
                continue
            frames = f.get("frames")
            known[f["output_sha256"]] = FileResult(
                Path(f["input"]),
                Path(f["output"]),
                f["kind"],
                "written",
                regions=[Region.from_dict(r) for r in f["regions"]],
                frames=None if frames is None else [[Region.from_dict(r) for r in fr] for fr in frames],
                sha256=f["output_sha256"],
                details={"settings": f.get("settings", doc["settings"])},
            )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{report}: not a blurkit JSON report ({type(exc).__name__}: {exc})") from exc
    return known


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
    progress: Callable[[int, int], None] | None,
    cancel: threading.Event | None,
) -> tuple[list[Region], int]:
    info = probe(path).info
    schedule = Schedule(settings, info)  # the export's schedule: a full search where it makes one
    full, shots = schedule.full, ShotCuts()
    findings: list[Region] = []
    count = 0
    with FrameReader(path, info.width, info.height) as reader:
        for frame in reader:
            if cancel is not None and cancel.is_set():
                raise Cancelled("cancelled")
            i, last = frame.index, frame.index == info.frames - 1
            here = covered[i] if covered is not None and i < len(covered) else []
            small = scaled(frame.pixels, schedule.quick_scale)
            cut = shots.is_cut(frame_view(small, small.shape[1] / frame.pixels.shape[1]))
            if schedule.full_search(i, cut) or last:
                found = check_pixels(frame.pixels, full, here)
            else:
                (h, w), (sh, sw) = frame.pixels.shape[:2], small.shape[:2]
                found = [r.moved(0, 0, w / sw, h / sh) for r in detect_faces(small, schedule.quick)]
                found = outside(
                    [r for r in found if r.score >= settings.check_threshold], here, settings, frame.pixels.shape
                )
            findings += [replace(r, frames=(i, i)) for r in found]
            count = i + 1
            if progress:
                progress(count, max(info.frames, count))
    if not count:
        raise MediaError("no frame could be decoded")
    return findings, count
