"""Map inputs to outputs and run many files, going on past the ones that fail."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

from blurkit.api import Progress, anonymize_file, failed
from blurkit.atomic import PARTIAL_MARK
from blurkit.errors import Cancelled, MediaError
from blurkit.media import kind_of
from blurkit.regions import Region
from blurkit.result import FileResult
from blurkit.settings import Settings


@dataclass(frozen=True)
class Job:
    src: Path
    dst: Path


def output_is_a_file(inputs: Sequence[str | Path], output: str | Path) -> bool:
    """One input file and an OUTPUT that names a photo or video (not a folder): write just that file."""
    output = Path(output)
    return len(inputs) == 1 and Path(inputs[0]).is_file() and bool(kind_of(output)) and not output.is_dir()


def plan(inputs: Sequence[str | Path], output: str | Path) -> tuple[list[Job], list[FileResult]]:
    """Jobs for files and folders (walked recursively, tree mirrored under ``output``),
    and failures for inputs that cannot be planned. One file in: ``output`` may name a file."""
    inputs, output = [Path(p) for p in inputs], Path(output)
    if output_is_a_file(inputs, output):
        return [Job(inputs[0], output)], []
    jobs: list[Job] = []
    problems: list[FileResult] = []
    taken: dict[Path, Path] = {}
    sources: dict[Path, Path] = {}

    def add(src: Path, dst: Path) -> None:
        sources[src.resolve()] = src
        if dst in taken:
            problems.append(failed(src, dst, MediaError(f"would write the same output as {taken[dst]}")))
        else:
            taken[dst] = src
            jobs.append(Job(src, dst))

    out_resolved = output.resolve()
    for item in inputs:
        if item.is_dir():
            for src in sorted(_walk(item, out_resolved)):
                add(src, output / src.relative_to(item))
        elif item.is_file():
            if kind_of(item) is None:
                problems.append(failed(item, None, MediaError(f"unsupported file type {item.suffix or '(no suffix)'}")))
            else:
                add(item, output / item.name)
        else:
            problems.append(failed(item, None, MediaError("no such file or folder")))
    return _sparing_inputs(jobs, problems, sources)


def _sparing_inputs(
    jobs: list[Job], problems: list[FileResult], sources: dict[Path, Path]
) -> tuple[list[Job], list[FileResult]]:
    """Drop jobs whose output would replace any input of the batch, even with --overwrite
    (e.g. ``blurkit a/ b/ -o b``): that input is the user's only copy."""
    kept = []
    for job in jobs:
        victim = sources.get(job.dst.resolve())
        if victim is None:
            kept.append(job)
        else:
            problems.append(failed(job.src, job.dst, MediaError(f"its output would replace the input {victim}")))
    return kept, problems


def _walk(folder: Path, skip: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        dirs[:] = [d for d in dirs if not d.startswith(".") and (here / d).resolve() != skip]
        found += [here / f for f in files if not f.startswith(".") and PARTIAL_MARK not in f and kind_of(here / f)]
    return found


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
