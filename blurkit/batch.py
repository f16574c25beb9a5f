"""Map inputs to outputs and run many files, going on past the ones that fail."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event as EventType
from pathlib import Path, PurePath
from threading import Event

from blurkit.api import Progress, anonymize_file, failed
from blurkit.atomic import PARTIAL_MARK, folds_case, path_key
from blurkit.distribute import cluster_pool, local_pool, run_parallel
from blurkit.errors import Cancelled, MediaError
from blurkit.media import kind_of
from blurkit.naming import NAMINGS, new_name, revealing_name
from blurkit.obscure import TrackMemory
from blurkit.regions import Region
from blurkit.result import FileResult
from blurkit.settings import Settings


@dataclass(frozen=True)
class Job:
    """One file to do. A front end that reviewed it says how, with ``anonymize_file``'s arguments:
    its own settings (else the batch's), and the regions the review settled on."""

    src: Path
    dst: Path
    settings: Settings | None = None
    regions: tuple[Region, ...] | None = None  # photo: obscured instead of detecting
    frames: Sequence[Sequence[Region]] | None = field(default=None, compare=False)  # video: a reviewed dry run's
    extra_regions: tuple[Region, ...] = ()
    visible_tracks: frozenset[int] = frozenset()
    kept_visible: tuple[Region, ...] = ()  # photo: detected faces the review left visible (the report lists them)
    memory: TrackMemory | None = field(default=None, compare=False)  # the previews' obscuring state


@dataclass(frozen=True)
class Skipped:
    """A file in an input folder left out on purpose, and why: the summary and the report list them."""

    path: Path
    reason: str

    def to_dict(self) -> dict:
        return {"path": str(self.path), "reason": self.reason}


@dataclass
class Plan:
    jobs: list[Job]
    problems: list[FileResult]  # named inputs that cannot be done, each a failed result
    skipped: list[Skipped] = field(default_factory=list)
    revealing: list[Path] = field(default_factory=list)  # kept outputs named like a camera's files


def output_is_a_file(inputs: Sequence[str | Path], output: str | Path) -> bool:
    """One input file and an OUTPUT that names a photo or video (not a folder): write just that file."""
    output = Path(output)
    return len(inputs) == 1 and Path(inputs[0]).is_file() and bool(kind_of(output)) and not output.is_dir()


def plan(inputs: Sequence[str | Path], output: str | Path, naming: str = "keep") -> Plan:
    """Jobs for files and folders (walked recursively), and failures for inputs that cannot be planned.
    With ``naming`` 'keep' the tree is mirrored under ``output``; otherwise every file gets a new name
    directly in it (see ``blurkit.naming``). One file in: ``output`` may name a file."""
    if naming not in NAMINGS:
        raise ValueError(f"unknown naming {naming!r}; choose one of {', '.join(NAMINGS)}")
    inputs, output = [Path(p) for p in inputs], Path(output)
    if output_is_a_file(inputs, output):
        return Plan([Job(inputs[0], output)], [])
    fold = folds_case(output)
    result = Plan([], [])
    found: list[tuple[Path, PurePath]] = []  # each file, with its path under output if names are kept
    for item in inputs:
        if item.is_dir():
            files, skipped = _walk(item, path_key(output, fold), fold)
            found += [(src, src.relative_to(item)) for src in files]
            result.skipped += skipped
        elif item.is_file():
            if kind_of(item) is None:
                reason = f"unsupported file type {item.suffix or '(no suffix)'}"
                result.problems.append(failed(item, None, MediaError(reason)))
            else:
                found.append((item, PurePath(item.name)))
        else:
            result.problems.append(failed(item, None, MediaError("no such file or folder")))
    taken: dict[str, Path] = {}
    sources = {path_key(src, fold): src for src, _ in found}
    for i, (src, relative) in enumerate(found):
        dst = output / (relative if naming == "keep" else new_name(src.suffix, naming, i, len(found)))
        while naming == "random" and path_key(dst, fold) in taken:
            dst = output / new_name(src.suffix, naming, i, len(found))
        key = path_key(dst, fold)
        if key in sources:
            # e.g. ``blurkit a/ b/ -o b``, even with --overwrite: that input is the user's only copy
            reason = f"its output would replace the input {sources[key]}"
            result.problems.append(failed(src, dst, MediaError(reason)))
        elif key in taken:
            same = "" if str(taken[key]) == str(dst) else " (names differing only in case are one file there)"
            reason = f"would write the same output as {taken[key]}{same}"
            result.problems.append(failed(src, dst, MediaError(reason)))
        else:
            taken[key] = src
            result.jobs.append(Job(src, dst))
    if naming == "keep":
        result.revealing = [job.dst for job in result.jobs if revealing_name(job.dst.relative_to(output))]
    return result


def list_media(inputs: Sequence[str | Path]) -> tuple[list[Path], list[Skipped]]:
    """The photos and videos among ``inputs``, folders walked as a batch walks them (what a front end
    opens), and what was left out with why, a named input that is none of them included."""
    found: list[Path] = []
    skipped: list[Skipped] = []
    for item in map(Path, inputs):
        if item.is_dir():
            files, left = _walk(item, "", folds_case(item))
            found += files
            skipped += left
        elif item.is_file() and kind_of(item) is not None:
            found.append(item)
        elif item.exists():
            skipped.append(Skipped(item, f"not a photo or video blurkit reads ({item.suffix or 'no suffix'})"))
        else:
            skipped.append(Skipped(item, "no such file or folder"))
    return found, skipped


def _walk(folder: Path, skip: str, fold: bool) -> tuple[list[Path], list[Skipped]]:
    """Photos and videos under ``folder``, sorted, leaving out ``skip`` (the output inside an input);
    and what else was there, with why it was left out."""
    found: list[Path] = []
    skipped: list[Skipped] = []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        dirs[:] = [d for d in dirs if path_key(here / d, fold) != skip]
        skipped += [Skipped(here / d, "hidden folder") for d in dirs if d.startswith(".")]
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            path = here / name
            if PARTIAL_MARK in name:
                skipped.append(Skipped(path, "unfinished output of an interrupted run"))
            elif name.startswith("."):
                skipped.append(Skipped(path, "hidden file"))
            elif kind_of(path) is None:
                skipped.append(Skipped(path, f"not a photo or video blurkit reads ({path.suffix or 'no suffix'})"))
            else:
                found.append(path)
    return sorted(found), sorted(skipped, key=lambda s: s.path)


def _run_one(
    job: Job,
    settings: Settings,
    overwrite: bool,
    dry_run: bool,
    extra: Sequence[Region] = (),
    progress: Progress | None = None,
    cancel: Event | EventType | None = None,
) -> FileResult:
    if cancel is not None and cancel.is_set():
        return failed(job.src, job.dst, Cancelled("cancelled before it started"))
    try:
        return anonymize_file(
            job.src, job.dst, job.settings or settings, regions=job.regions, frames=job.frames,
            extra_regions=[*job.extra_regions, *extra], visible_tracks=job.visible_tracks, memory=job.memory,
            kept_visible=job.kept_visible, overwrite=overwrite, dry_run=dry_run, progress=progress, cancel=cancel,  # type: ignore[arg-type]
        )  # fmt: skip
    except Exception as exc:
        return failed(job.src, job.dst, exc)


def run(
    jobs: Sequence[Job],
    settings: Settings,
    *,
    workers: int = 1,
    overwrite: bool = False,
    dry_run: bool = False,
    on_result: Callable[[FileResult], None] = lambda r: None,
    on_progress: Callable[[Job], Progress | None] = lambda job: None,
    extra_regions: Sequence[Region] = (),
    cancel: Event | None = None,
    scheduler: str | None = None,
    on_part: Callable[[Job, int, int], None] = lambda job, done, total: None,
) -> list[FileResult]:
    """Run every job; a failure becomes a 'failed' result and the batch goes on.
    With ``workers`` > 1, or the address of a Dask ``scheduler``, files and the segments of long videos
    run in parallel (``blurkit.distribute``); ``on_part`` hears of each segment done.
    ``on_progress`` may give a per-file progress callback (videos; one worker only).
    ``extra_regions`` (manual ones) are obscured in every file besides what is detected.
    Setting ``cancel`` stops the file being written (nothing of it is left) and every one after it:
    each gets a failed result saying it was cancelled."""
    if scheduler is None and workers <= 1:
        results: list[FileResult] = []
        for job in jobs:
            results.append(_run_one(job, settings, overwrite, dry_run, extra_regions, on_progress(job), cancel))
            on_result(results[-1])
        return results
    with cluster_pool(scheduler) if scheduler else local_pool(workers) as pool:
        return run_parallel(
            jobs, settings, pool, _run_one, overwrite=overwrite, dry_run=dry_run, extra=extra_regions,
            on_result=on_result, on_part=on_part, cancel=cancel,
        )  # fmt: skip
