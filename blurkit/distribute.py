"""Many files, and the segments of long videos, on local processes or a Dask cluster.

The same plan runs on both: whole files and video segments are tasks, a video's segments are joined by
one more task once all are done, and a failure in any of them fails that file alone. Local processes
come from a ``ProcessPoolExecutor``; a cluster is Dask's distributed scheduler, reached through its
``concurrent.futures`` executor, which re-runs the task of a worker that died on another worker.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from threading import Event

from blurkit.atomic import PARTIAL_MARK, existing_folder, temporary_name
from blurkit.door import file_sha256
from blurkit.errors import BlurkitError, Cancelled
from blurkit.media import kind_of
from blurkit.media.ffmpeg import probe
from blurkit.request import Control, Job, Run
from blurkit.result import FileResult, failed
from blurkit.video.pipeline import Segment, SegmentResult, anonymize_segment
from blurkit.video.segments import PART_SUFFIXES, join_segments, part_container, plan_segments

# A batch with no more files than this many per worker has its videos split, so that one long video
# keeps every worker busy; a bigger batch keeps its workers busy with whole files.
SPLIT_FILES_PER_WORKER = 4
# How often a task on a cluster asks whether the batch was stopped.
STOP_POLL_SECONDS = 0.5


def where() -> str:
    """This task's worker: its Dask address, or host and process."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"{socket.gethostname()}:{os.getpid()}"


# --- the task side ---------------------------------------------------------------------------------

# In a local worker process: the batch's stop event, and whether this process got Ctrl-C or SIGTERM.
_local_stop: EventType | None = None
_interrupted = False


def _init_local(threads: int, stop: EventType) -> None:
    import cv2

    global _local_stop
    _local_stop = stop
    cv2.setNumThreads(threads)
    # Ctrl-C or SIGTERM to the whole group: unwind (removing partial files), start nothing more
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    global _interrupted
    _interrupted = True  # (not _local_stop.set(): its lock may be held by the code this handler interrupted)
    raise KeyboardInterrupt


class _ClusterStop:
    """The batch's stop flag as a task on a cluster sees it: a Dask ``Event``, asked at most every
    STOP_POLL_SECONDS (every frame asks)."""

    def __init__(self, name: str) -> None:
        from distributed import Event as DaskEvent

        self._event = DaskEvent(name)
        self._asked = 0.0
        self._set = False

    def is_set(self) -> bool:
        now = time.monotonic()
        if not self._set and now - self._asked >= STOP_POLL_SECONDS:
            self._asked = now
            self._set = self._event.is_set()
        return self._set


def _stop_for(cluster_stop: str | None) -> Event | EventType | _ClusterStop | None:
    return _ClusterStop(cluster_stop) if cluster_stop else _local_stop


def _stopped(stop: object) -> bool:
    return _interrupted or (stop is not None and stop.is_set())


def file_task(run_one: Callable[..., FileResult], job: Job, run: Run, cluster_stop: str | None) -> FileResult:
    """A whole file, unless the batch was stopped while it waited."""
    stop = _stop_for(cluster_stop)
    if _stopped(stop):
        return failed(job.src, job.dst, Cancelled("interrupted before it started"))
    result = run_one(job, run, Control(None, stop))  # type: ignore[arg-type]
    result.details["worker"] = where()
    return result


def segment_task(
    job: Job, part: Path | None, segment: Segment, container: str, cluster_stop: str | None
) -> SegmentResult:
    stop = _stop_for(cluster_stop)
    if _stopped(stop):
        raise Cancelled("interrupted before it started")
    # anonymize_segment keeps its keywords: the request is unpacked at this boundary
    result = anonymize_segment(
        job.src,
        part,
        segment,
        job.settings,  # type: ignore[arg-type]
        container=container,
        extra_regions=list(job.extra_regions),
        cancel=stop,  # type: ignore[arg-type]
    )
    result.details["worker"] = where()
    return result


def join_task(job: Job, parts: list[SegmentResult], run: Run) -> FileResult:
    started = time.perf_counter()
    try:
        result = join_segments(
            job.src, job.dst, job.settings, parts, extra_regions=job.extra_regions, overwrite=run.overwrite,
            dry_run=run.dry_run,
        )  # fmt: skip
        if result.status == "written":
            result.details["input_sha256"] = file_sha256(job.src)  # what --skip-existing verifies a re-run by
    finally:
        for part in parts:
            if part.path is not None:
                part.path.unlink(missing_ok=True)
    result.details["joined_by"] = where()
    result.seconds = time.perf_counter() - started + max(p.seconds for p in parts)
    return result


# --- the batch side --------------------------------------------------------------------------------


@dataclass
class Pool:
    """Where tasks run: an executor, how many run at once, and how to tell them all to stop."""

    executor: Executor
    slots: int
    stop: Callable[[], None]
    cluster_stop: str | None = None  # the name of a cluster's stop Event
    check_paths: Callable[[list[Path]], None] = lambda paths: None


@contextmanager
def local_pool(workers: int) -> Iterator[Pool]:
    """``workers`` processes on this machine, with this machine's threads shared out among them."""
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_local, initargs=(threads, stop)) as executor:
        yield Pool(executor, workers, stop.set)


@contextmanager
def cluster_pool(address: str) -> Iterator[Pool]:
    """The workers of the Dask scheduler at ``address``; a task whose worker dies runs again elsewhere."""
    try:
        from distributed import Client
        from distributed import Event as DaskEvent
    except ImportError:
        raise BlurkitError("a --scheduler needs Dask: pip install 'blurkit[dask]'") from None
    try:
        client = Client(address, timeout=10)
    except (OSError, TimeoutError) as exc:
        raise BlurkitError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    with client:
        slots = sum(client.nthreads().values())
        if not slots:
            raise BlurkitError(f"the Dask scheduler at {address} has no workers")
        name = f"blurkit-stop-{uuid.uuid4().hex}"
        event = DaskEvent(name, client=client)
        executor = client.get_executor(pure=False, retries=1)
        yield Pool(executor, slots, event.set, name, lambda paths: _check_shared(client, paths))


def _check_shared(client: object, paths: list[Path]) -> None:
    """Fail up front, naming a worker and a path, when a worker does not see the paths this machine sees."""
    missing = client.run(_unseen, [str(p) for p in paths])
    for worker, unseen in sorted(missing.items()):
        if unseen:
            raise BlurkitError(
                f"worker {worker} does not see {unseen[0]}"
                + (f" (and {len(unseen) - 1} more)" if len(unseen) > 1 else "")
                + ": every worker must see the inputs and the output folder at the same paths"
            )


def _unseen(paths: list[str]) -> list[str]:
    """Of ``paths`` (files to read, then folders to write in), those this machine cannot use."""
    out = []
    for text in paths:
        path = Path(text)
        ok = os.access(path, os.W_OK) if path.is_dir() else os.access(path, os.R_OK)
        if not ok:
            out.append(text)
    return out


def run_parallel(
    jobs: Sequence[Job],
    pool: Pool,
    run_one: Callable[..., FileResult],
    run: Run,
    *,
    on_result: Callable[[FileResult], None] = lambda r: None,
    on_part: Callable[[Job, int, int], None] = lambda job, done, total: None,
    cancel: Event | None = None,
) -> list[FileResult]:
    """Every job on ``pool``; long videos in segments when the batch is small for the pool. A failure
    becomes that file's failed result and the batch goes on. The jobs came through the door
    (``blurkit.door.admit``): their settings are resolved, and their outputs may be written."""
    pool.check_paths([job.src for job in jobs] + sorted({existing_folder(job.dst.parent) for job in jobs}))
    segments = _split(jobs, pool.slots)
    batch = _Batch(pool, run_one, run, on_result, on_part)
    try:
        for job in jobs:
            batch.start(job, segments.get(job, []))
        while batch.futures:
            done, _ = wait(list(batch.futures), timeout=0.2, return_when=FIRST_COMPLETED)
            if cancel is not None and cancel.is_set():
                pool.stop()  # running files unwind, queued ones return at once
            for future in done:
                batch.finished(future)
    except BaseException:
        pool.stop()
        for future in batch.futures:
            future.cancel()
        raise
    finally:
        _sweep(jobs)
    order = {job.src: i for i, job in enumerate(jobs)}
    return sorted(batch.results, key=lambda r: order[r.src])


@dataclass
class _Batch:
    pool: Pool
    run_one: Callable[..., FileResult]
    run: Run
    on_result: Callable[[FileResult], None]
    on_part: Callable[[Job, int, int], None]
    futures: dict[Future, tuple[str, Job, int]] = field(default_factory=dict)
    parts: dict[Job, list[SegmentResult | None]] = field(default_factory=dict)
    results: list[FileResult] = field(default_factory=list)

    def _submit(self, kind: str, job: Job, k: int, fn: Callable, *args: object) -> None:
        self.futures[self.pool.executor.submit(fn, *args)] = (kind, job, k)

    def start(self, job, segments: list[Segment]) -> None:
        if len(segments) < 2:
            self._submit("file", job, 0, file_task, self.run_one, job, self.run, self.pool.cluster_stop)
            return
        container = part_container(job.dst)
        base = temporary_name(job.dst).removesuffix(job.dst.suffix)
        self.parts[job] = [None] * len(segments)
        for seg in segments:
            part = (
                None
                if self.run.dry_run
                else job.dst.with_name(f"{base}-part{seg.number:03d}{PART_SUFFIXES[container]}")
            )
            self._submit("segment", job, seg.number, segment_task, job, part, seg, container, self.pool.cluster_stop)

    def finished(self, future: Future) -> None:
        kind, job, k = self.futures.pop(future)
        try:
            value, error = future.result(), None
        except Exception as exc:  # a worker died (out of memory, a decoder crash), or a segment failed
            value, error = None, exc
        if kind != "segment":
            self._done(value if error is None else failed(job.src, job.dst, error))
            return
        parts = self.parts.get(job)
        if parts is None:
            return  # the file failed already
        if error is not None:
            del self.parts[job]
            for other, (_, same, _) in list(self.futures.items()):
                if same is job:
                    other.cancel()
            for part in parts:
                if part is not None and part.path is not None:
                    part.path.unlink(missing_ok=True)
            self._done(failed(job.src, job.dst, error))
            return
        parts[k] = value
        ready = [p for p in parts if p is not None]
        self.on_part(job, len(ready), len(parts))
        if len(ready) == len(parts):
            del self.parts[job]
            self._submit("join", job, 0, join_task, job, ready, self.run)

    def _done(self, result: FileResult) -> None:
        self.results.append(result)
        self.on_result(result)


def _split(jobs: Sequence[Job], slots: int) -> dict[Job, list[Segment]]:
    """Segments for the videos of a batch too small to keep ``slots`` busy with whole files: each video
    gets a share of the slots by its length (a lone video gets them all)."""
    if slots < 2 or len(jobs) > SPLIT_FILES_PER_WORKER * slots:
        return {}
    lengths = {}
    for job in jobs:
        if kind_of(job.src) != "video" or job.reviewed or part_container(job.dst) is None:
            continue
        try:
            p = probe(job.src)
        except BlurkitError:
            continue  # the file task reports it
        if p.shortfall is None:  # a file cut short goes whole: anonymize_file refuses it or records it
            lengths[job] = p.info.duration
    share = sum(lengths.values()) / slots
    out = {}
    for job, seconds in lengths.items():
        count = min(slots, math.ceil(seconds / share) if share else 1)
        if count >= 2:
            segments = plan_segments(job.src, job.settings, count)  # type: ignore[arg-type]
            if len(segments) >= 2:
                out[job] = segments
    return out


def _sweep(jobs: Sequence[Job]) -> None:
    """Remove what a task killed outright (a worker's process killed, a machine gone) left beside an
    output: its temporary files. Every task of the batch has ended by now."""
    by_folder: dict[Path, list[str]] = {}
    for job in jobs:
        stem = temporary_name(job.dst).lstrip(".").split(PARTIAL_MARK)[0]
        by_folder.setdefault(job.dst.parent, []).append(stem)
    for folder, stems in by_folder.items():
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            # a whole file's ".NAME.blurkit-partial-…", a segment's and a segment's own temporary file
            if any(path.name.lstrip(".").startswith(stem + PARTIAL_MARK) for stem in stems):
                path.unlink(missing_ok=True)
