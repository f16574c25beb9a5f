"""The public API: the CLI and the GUI call these functions and nothing else."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from threading import Event

import numpy as np

from blurkit.atomic import check_destination, write_atomically
from blurkit.detect import detect_faces
from blurkit.errors import BlurkitError, MediaError
from blurkit.media import kind_of
from blurkit.media.image import Photo, encode_photo, output_format, read_photo
from blurkit.obscure import TrackMemory, mask_of, mask_regions
from blurkit.regions import Region
from blurkit.render import render_frame
from blurkit.result import FileResult
from blurkit.second_look import second_look
from blurkit.settings import Settings
from blurkit.video.pipeline import anonymize_video

Progress = Callable[[int, int], None]


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


def find_faces(pixels: np.ndarray, settings: Settings | None = None, *, extra: Sequence[Region] = ()) -> list[Region]:
    """Every face ``anonymize_image`` and a photo export cover in an upright RGB array: the main pass's
    detections (and ``extra``, drawn regions), then what the second look finds in the picture with those
    obscured (source "second-look"; none when ``settings.second_look`` is "off"). What a front end reviews,
    so it sees the second look's finds."""
    settings = settings or Settings()
    regions = [*detect_faces(pixels, settings), *extra]
    return regions if settings.second_look == "off" else regions + second_look(pixels, regions, settings)


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
    """
    src, dst = Path(src), Path(dst)
    settings = settings or Settings()
    kind = kind_of(src)
    if not src.is_file():
        raise MediaError("no such file" if not src.exists() else "not a regular file")
    if kind is None:
        raise MediaError(f"unsupported file type {src.suffix or '(no suffix)'}")
    if not dry_run:
        check_destination(src, dst, overwrite)
    started = time.perf_counter()
    if kind == "video":
        result = anonymize_video(
            src,
            dst,
            settings,
            extra_regions=list(extra_regions),
            overwrite=overwrite,
            dry_run=dry_run,
            progress=progress,
            cancel=cancel,
            frames=frames,
            visible_tracks=visible_tracks,
            memory=memory,
        )
    else:
        result = _anonymize_photo(src, dst, settings, regions, list(extra_regions), overwrite, dry_run, memory)
    result.seconds = time.perf_counter() - started
    return result


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
    # a reviewed list is obscured as given, with no second look
    regions = find_faces(photo.pixels, settings, extra=extra) if regions is None else [*regions, *extra]
    height, width = photo.pixels.shape[:2]
    result = FileResult(
        src, dst, "photo", "dry-run" if dry_run else "written", regions=regions, width=width, height=height
    )
    result.details["removed_metadata"] = list(photo.tags)
    if photo.format in ("HEIF", "AVIF") and fmt != "HEIF":
        result.details["note"] = f"written as {fmt}"
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


def failed(src: Path, dst: Path | None, exc: BaseException) -> FileResult:
    """The result for a file that could not be done: nothing was written for it."""
    message = str(exc) if isinstance(exc, BlurkitError) else f"{type(exc).__name__}: {exc}"
    # one line per failed file, whatever a decoder or ffmpeg put in its message
    kind = kind_of(src) or "unknown"
    details = {"error_type": type(exc).__name__}  # what went wrong, for a front end's advice
    return FileResult(src, dst, kind, "failed", error=" ".join(message.split()), details=details)
