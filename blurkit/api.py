"""The public API: the CLI and the GUI call these functions and nothing else."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from threading import Event

import numpy as np

from blurkit.atomic import same_file, write_atomically
from blurkit.detect import detect_faces
from blurkit.door import admit, file_sha256
from blurkit.errors import MediaError, ReplacesInputError
from blurkit.media import kind_of
from blurkit.media.ffmpeg import probe
from blurkit.media.image import Photo, encode_photo, output_format, read_photo, views
from blurkit.obscure import TrackMemory, mask_of, mask_regions
from blurkit.regions import Region
from blurkit.render import render_frame
from blurkit.request import Control, Job, Progress, Run
from blurkit.result import FileResult
from blurkit.second_look import outside, second_look
from blurkit.settings import Settings
from blurkit.video.pipeline import anonymize_video


def load_photo(path: str | Path) -> Photo:
    """Decode a photo upright in sRGB (what detection and the GUI see)."""
    return read_photo(Path(path))


def media_kind(path: str | Path) -> str | None:
    """'photo', 'video' or None, by file name: what a front end offers to open."""
    return kind_of(Path(path))


def anonymize_image(
    image: np.ndarray,
    settings: Settings | None = None,
    regions: Sequence[Region] | None = None,
) -> tuple[np.ndarray, list[Region]]:
    """Obscure an upright RGB array. With ``regions=None`` faces are detected (and the second look covers
    what it finds in the result); otherwise exactly the given regions are obscured (the GUI's reviewed list)."""
    settings = settings or Settings()
    regions = find_faces(image, settings) if regions is None else list(regions)
    return render_frame(image, regions, settings), regions


def find_faces(
    pixels: np.ndarray,
    settings: Settings | None = None,
    *,
    extra: Sequence[Region] = (),
    alpha: np.ndarray | None = None,
) -> list[Region]:
    """Every face ``anonymize_image`` and a photo export cover in an upright RGB array: the main pass's
    detections (and ``extra``, drawn regions), then what the second look finds in the picture with those
    obscured (source "second-look"; none when ``settings.second_look`` is "off"). What a front end reviews,
    so it sees the second look's finds. With ``alpha`` (a photo's transparency) every view a viewer may see
    is searched, the colour alone and the picture over white and over black, and their finds are joined."""
    settings = settings or Settings()
    seen = views(pixels, alpha)
    regions = [*detect_faces(seen[0], settings), *extra]
    for view in seen[1:]:  # a face found again in another view is the same face
        regions += outside(detect_faces(view, settings), regions, settings, pixels.shape)
    if settings.second_look != "off":
        for view in seen:
            regions += second_look(view, regions, settings)
    return regions


def anonymize_file(
    src: str | Path,
    dst: str | Path,
    settings: Settings | None = None,
    *,
    regions: Sequence[Region] | None = None,
    frames: Sequence[Sequence[Region]] | None = None,
    extra_regions: Iterable[Region] = (),
    visible_tracks: Collection[int] = (),
    memory: TrackMemory | None = None,
    kept_visible: Sequence[Region] = (),
    overwrite: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    cancel: Event | None = None,
) -> FileResult:
    """Anonymize one photo or video into ``dst``, atomically. Raises BlurkitError
    (naming the problem, not the file) when nothing could be written.

    ``regions`` replaces detection (photos); ``extra_regions`` are obscured in
    addition to what is detected (manual regions; ``frames`` limits them in video).
    Reviewing a video: ``frames`` (a dry run's ``FileResult.frames``) replaces detection
    and tracking, the tracks in ``visible_tracks`` are left visible (the report lists
    them), and ``memory`` (a ``TrackMemory`` the previews were drawn with) makes the
    output's pixels those previews'.
    ``kept_visible``: a photo's detected faces the review left visible. These and a video's
    ``visible_tracks`` (their regions, each with its frame) go in ``details["kept_visible"]``,
    so a check of the output lists them as the user's choice, not as faces it missed.
    """
    job = Job(
        Path(src), Path(dst), settings, None if regions is None else tuple(regions), frames, tuple(extra_regions),
        frozenset(visible_tracks), memory, tuple(kept_visible),
    )  # fmt: skip
    run = Run(overwrite=overwrite, dry_run=dry_run)
    admission = admit([job], Settings(), run)
    for _, refusal in admission.refusals:
        raise refusal
    return anonymize_job(admission.jobs[0], run, Control(progress, cancel))


def anonymize_job(job: Job, run: Run, control: Control | None = None) -> FileResult:
    """Do one job that came through the door (``blurkit.door.admit``: its settings resolved, its output
    checked). Raises BlurkitError when nothing could be written."""
    src, dst, settings = job.src, job.dst, job.settings
    if settings is None:
        raise ValueError("this job did not come through the door (blurkit.door.admit resolves its settings)")
    control = control or Control()
    kind = kind_of(src)
    if not src.is_file():
        raise MediaError("no such file" if not src.exists() else "not a regular file")
    if kind is None:
        raise MediaError(f"unsupported file type {src.suffix or '(no suffix)'}")
    if not run.dry_run and same_file(src, dst):  # a second line behind the door
        raise ReplacesInputError("the output would replace the input; choose another output path")
    started = time.perf_counter()
    if kind == "video":
        # a file cut short would come out shorter without a word: refused unless the user accepts it
        shortfall = probe(src).shortfall
        if shortfall and settings.partial != "accept":
            raise MediaError(f"{shortfall}; refused (--partial accept anonymizes the frames it holds)")
        # anonymize_video keeps its keywords: the request is unpacked at this boundary
        result = anonymize_video(
            src,
            dst,
            settings,
            extra_regions=list(job.extra_regions),
            overwrite=run.overwrite,
            dry_run=run.dry_run,
            progress=control.progress,
            cancel=control.cancel,  # type: ignore[arg-type]
            frames=job.frames,
            visible_tracks=job.visible_tracks,
            memory=job.memory,
        )
        if shortfall:
            result.details["shortfall"] = shortfall
    else:
        result = _anonymize_photo(
            src, dst, settings, job.regions, list(job.extra_regions), run.overwrite, run.dry_run, job.memory
        )
    if result.status == "written":
        result.details["input_sha256"] = file_sha256(src)  # what --skip-existing verifies a re-run by
    result.seconds = time.perf_counter() - started
    kept = list(job.kept_visible) if kind != "video" else _kept_tracks(job.frames, job.visible_tracks)
    if kept:
        result.details["kept_visible"] = [r.to_dict() for r in kept]
    return result


def _kept_tracks(frames: Sequence[Sequence[Region]] | None, visible: Collection[int]) -> list[Region]:
    """The regions of the tracks left visible, each in its own frame."""
    if not frames or not visible:
        return []
    return [replace(r, frames=(i, i)) for i, f in enumerate(frames) for r in f if r.track_id in visible]


def _anonymize_photo(
    src: Path,
    dst: Path,
    settings: Settings,
    regions: Sequence[Region] | None,
    extra: list[Region],
    overwrite: bool,
    dry_run: bool,
    memory: TrackMemory | None,
) -> FileResult:
    fmt = output_format(dst)
    photo = read_photo(src)
    # a reviewed list is obscured as given, with no second look; a face found in any view is obscured in every
    # channel: its colour as the output's, its transparency made opaque
    if regions is None:
        regions = find_faces(photo.pixels, settings, extra=extra, alpha=photo.alpha)
    else:
        regions = [*regions, *extra]
    height, width = photo.pixels.shape[:2]
    result = FileResult(
        src, dst, "photo", "dry-run" if dry_run else "written", regions=regions, width=width, height=height
    )
    result.details["removed_metadata"] = list(photo.tags)
    notes = [f"written as {fmt}"] if photo.format in ("HEIF", "AVIF") and fmt != "HEIF" else []
    if photo.more_images:
        notes.append(
            f"{photo.more_images} more image(s) in it (previews, depth or gain maps) not written, only the first"
        )
    if notes:
        result.details["note"] = "; ".join(notes)
    if dry_run:
        return result
    pixels = render_frame(photo.pixels, regions, settings, memory=memory and memory.fresh())
    data = encode_photo(pixels, _opaque_inside(photo.alpha, regions, settings), fmt)
    write_atomically(dst, data, overwrite)
    result.sha256 = hashlib.sha256(data).hexdigest()
    return result


def _opaque_inside(alpha: np.ndarray | None, regions: list[Region], settings: Settings) -> np.ndarray | None:
    """Transparency inside a mask is input too (a cut-out's outline): make it opaque there."""
    if alpha is None:
        return None
    height, width = alpha.shape
    alpha = alpha.copy()
    alpha[mask_of(alpha.shape, mask_regions(regions, settings, width, height))] = 255
    return alpha
