"""Map inputs to outputs and run many files, going on past the ones that fail."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event as EventType
from pathlib import Path, PurePath

from blurkit.api import Progress, anonymize_file, failed
from blurkit.atomic import PARTIAL_MARK, folds_case, path_key
from blurkit.errors import Cancelled, MediaError
from blurkit.media import kind_of
from blurkit.naming import NAMINGS, new_name, revealing_name
from blurkit.regions import Region
from blurkit.result import FileResult
from blurkit.settings import Settings


@dataclass(frozen=True)
class Job:
    src: Path
    dst: Path


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
) -> FileResult:
    try:
        return anonymize_file(
            job.src, job.dst, settings, extra_regions=extra, overwrite=overwrite, dry_run=dry_run, progress=progress
        )
    except Exception as exc:
        return failed(job.src, job.dst, exc)


# In a worker: the batch's stop event, and whether this worker got Ctrl-C or SIGTERM itself.
_stop: EventType | None = None
_interrupted = False


def _init_worker(threads: int, stop: EventType) -> None:
    import cv2

    global _stop
    _stop = stop
    cv2.setNumThreads(threads)
    # Ctrl-C or SIGTERM to the whole group: unwind (removing partial files), start nothing more
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    global _interrupted
    _interrupted = True  # (not _stop.set(): its lock may be held by the code this handler interrupted)
    raise KeyboardInterrupt


def _run_queued(job: Job, settings: Settings, overwrite: bool, dry_run: bool, extra: Sequence[Region]) -> FileResult:
    """A job in a worker, unless the batch was interrupted while it waited in the queue."""
    if _interrupted or (_stop is not None and _stop.is_set()):
        return failed(job.src, job.dst, Cancelled("interrupted before it started"))
    return _run_one(job, settings, overwrite, dry_run, extra)


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
) -> list[FileResult]:
    """Run every job; a failure becomes a 'failed' result and the batch goes on.
    ``on_progress`` may give a per-file progress callback (videos; one worker only).
    ``extra_regions`` (manual ones) are obscured in every file besides what is detected."""
    results: list[FileResult] = []
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            results.append(_run_one(job, settings, overwrite, dry_run, extra_regions, on_progress(job)))
            on_result(results[-1])
        return results
    threads = max(1, (os.cpu_count() or 1) // workers)
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(threads, stop)) as pool:
        futures = {pool.submit(_run_queued, job, settings, overwrite, dry_run, extra_regions): job for job in jobs}
        try:
            for future in as_completed(futures):
                try:
                    results.append(future.result())
                except Exception as exc:  # a worker died (out of memory, a crash in a decoder)
                    job = futures[future]
                    results.append(failed(job.src, job.dst, exc))
                on_result(results[-1])
        except BaseException:
            stop.set()  # queued jobs return at once; running ones finish or unwind
            pool.shutdown(cancel_futures=True)
            raise
    order = {job.src: i for i, job in enumerate(jobs)}
    return sorted(results, key=lambda r: order[r.src])
