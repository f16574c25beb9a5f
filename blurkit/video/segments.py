"""One long video on many cores or machines: cut into segments that are processed anywhere and joined
without re-encoding.

A segment decodes more than it writes. Before its first frame it sees enough of the video for every
track alive there to have been detected (the hold), for the shot-cut detector's memory to fill and for
two full detection passes; after its last, enough for the look-ahead to carry a face back into it. Full
passes fall on the video's own frame numbers, so a face near a seam is covered as in a single pass.
Segments are encoded without sound on the source's clock; the join copies them end to end and encodes
the sound once, for the whole file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from blurkit.atomic import atomic_destination, same_file
from blurkit.errors import ReplacesInputError
from blurkit.media.ffmpeg import VideoInfo, concat_listing, container_of, join_args, probe, run_ffmpeg
from blurkit.regions import Region, boxes_of, iou_matrix
from blurkit.result import FileResult
from blurkit.settings import Settings
from blurkit.video.pipeline import (
    FrameRegions,
    Segment,
    SegmentResult,
    check_written,
    encode_options,
)
from blurkit.video.schedule import Schedule

# Containers whose segments join exactly (timestamps, variable frame rate included); AVI and GIF are
# processed whole. Segments of MP4 and MOV go through NUT, which keeps the source's time base.
PART_CONTAINERS = {"mp4": "nut", "mov": "nut", "matroska": "matroska", "webm": "webm"}
PART_SUFFIXES = {"nut": ".nut", "matroska": ".mkv", "webm": ".webm"}
# Boxes this similar on the two sides of a seam are one face: the report keeps one track for it.
SEAM_IOU = 0.3


def overlap(settings: Settings, info: VideoInfo) -> tuple[int, int]:
    """Frames a segment decodes before its first frame and after its last (``Schedule.overlap``)."""
    return Schedule(settings, info).overlap()


def part_container(dst: Path) -> str | None:
    """The container segments of ``dst`` are encoded in, or None when ``dst`` is made in one piece."""
    return PART_CONTAINERS.get(container_of(dst))


def plan_segments(src: Path, settings: Settings, parts: int) -> list[Segment]:
    """``parts`` segments of about equal length (fewer when the video is too short for the seams to pay).

    Each decodes the video from its start, delivering only its own frames and those around them: frames
    are numbered as they decode, and a seek cannot tell which frame it lands on (an edit list drops or
    reorders frames), while a wrong number would move every mask of the segment."""
    info = probe(src).info
    n = info.frames
    before, after = overlap(settings, info)
    # a segment at least twice its overlap: the frames seen around it cost at most half as much again
    parts = max(1, min(parts, n // (2 * (before + after))))
    bounds = [round(k * n / parts) for k in range(parts + 1)]
    return [
        Segment(k, bounds[k], bounds[k + 1], max(0, bounds[k] - before), min(n, bounds[k + 1] + after))
        for k in range(parts)
    ]


def join_segments(
    src: Path,
    dst: Path,
    settings: Settings,
    parts: Sequence[SegmentResult],
    *,
    extra_regions: Sequence[Region] = (),
    overwrite: bool = False,
    dry_run: bool = False,
) -> FileResult:
    """One output from the segments' files, written atomically to ``dst``, and one result for the file: a
    face crossing a seam is one track in it. Refuses a ``dst`` that is ``src`` (behind the door's check)."""
    if not dry_run and same_file(src, dst):
        raise ReplacesInputError("the output would replace the input; choose another output path")
    p = probe(src)
    info = p.info
    parts = sorted(parts, key=lambda r: r.segment.first)
    covered = [(r.segment.first, r.segment.end) for r in parts]
    edges = [0, *(b for _, b in covered)]
    if [a for a, _ in covered] != edges[:-1]:
        raise ValueError(f"segments {covered} do not cover the video's frames once each")
    total = edges[-1]
    opts = encode_options(dst, settings)
    result = FileResult(src, dst, "video", "dry-run" if dry_run else "written", width=info.width, height=info.height)
    if not dry_run:
        with atomic_destination(dst, overwrite) as tmp:
            listing = tmp.with_name(tmp.name + ".ffconcat")
            try:
                listing.write_text(concat_listing([(r.path, r.first_ns) for r in parts]))  # type: ignore[misc]
                run_ffmpeg(join_args(listing, parts[0].first_ns, src, tmp, p, opts), what="joining the segments")
            finally:
                listing.unlink(missing_ok=True)
            check_written(tmp, total, total)
            with open(tmp, "rb") as f:
                result.sha256 = hashlib.file_digest(f, "sha256").hexdigest()
    result.frames, tracks = _joined(parts)
    result.regions = [*tracks, *extra_regions]
    first = parts[0].details.get("detection", {})
    result.details = {
        "frames": total,
        "fps": round(info.fps, 3),
        "duration": round(info.duration, 3),
        "audio": "none" if not info.has_audio else "kept" if opts.audio else "dropped",
        "detection": first,
        "cuts": sorted(c for r in parts for c in r.cuts),
        "removed_metadata": list(p.tags),
        "segments": [{**r.segment.to_dict(), "seconds": round(r.seconds, 3), **r.details} for r in parts],
    }
    return result


def _joined(parts: Sequence[SegmentResult]) -> tuple[FrameRegions, list[Region]]:
    """Every frame's regions with track numbers unique over the file; a track that goes on across a seam
    (its box on the first frame after it matches one on the last frame before) keeps its number."""
    frames = FrameRegions()
    tracks: dict[int, Region] = {}
    before: list[Region] = []  # the file's tracked regions on the last frame before this part
    for part in parts:
        after = [r for r in (part.frames[0] if len(part.frames) else []) if r.track_id is not None]
        numbers: dict[int, int] = {}
        if before and after:
            overlaps = iou_matrix(boxes_of(after), boxes_of(before))
            for i, j in zip(*np.nonzero(overlaps >= SEAM_IOU), strict=True):
                if after[i].track_id not in numbers and before[j].track_id not in numbers.values():
                    numbers[after[i].track_id] = before[j].track_id  # type: ignore[index]
        for tid in sorted(part.tracks):
            numbers.setdefault(tid, max([*tracks, *numbers.values(), -1]) + 1)
        for tid, region in part.tracks.items():
            number, old = numbers[tid], tracks.get(numbers[tid])
            span = region.frames if old is None else (old.frames[0], region.frames[1])  # type: ignore[index]
            best = region if old is None or region.score > old.score else old
            tracks[number] = replace(best, track_id=number, frames=span)
        for regions in part.frames:
            frames.append([r if r.track_id is None else replace(r, track_id=numbers[r.track_id]) for r in regions])
        before = [r for r in frames[len(frames) - 1] if r.track_id is not None] if len(frames) else []
    return frames, list(tracks.values())
