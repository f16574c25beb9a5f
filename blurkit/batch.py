"""Map inputs to outputs and run many files, going on past the ones that fail."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from threading import Event

from blurkit.api import anonymize_job
from blurkit.atomic import PARTIAL_MARK, folds_case, path_key
from blurkit.distribute import cluster_pool, local_pool, run_parallel
from blurkit.door import Admission, admit, is_earlier_output
from blurkit.errors import Cancelled, MediaError
from blurkit.media import kind_of
from blurkit.naming import NAMINGS, new_name, revealing_name
from blurkit.regions import Region
from blurkit.request import Control, Earlier, Job, Progress, Run
from blurkit.result import FileResult, failed
from blurkit.settings import Settings

__all__ = ["Job", "Plan", "Skipped", "list_media", "output_is_a_file", "plan", "run"]


@dataclass(frozen=True)
class Skipped:
    """A file in an input folder left out on purpose, and why: the summary and the report list them."""

    path: Path
    reason: str

    def to_dict(self) -> dict:
        return {"path": str(self.path), "reason": self.reason}


# Why a walk left a file or folder out, for what blurkit wrote itself (a summary says these in one line).
OUTPUT_FOLDER = "the output folder"
EARLIER_OUTPUT = "blurkit's own output of an earlier run"


@dataclass
class Plan:
    """The jobs a run will do, as the door admitted them, and the inputs it will not do, with why."""

    admission: Admission
    unplannable: list[FileResult] = field(default_factory=list)  # named inputs that are no photo or video
    skipped: list[Skipped] = field(default_factory=list)
    revealing: list[Path] = field(default_factory=list)  # kept outputs named like a camera's files

    @property
    def jobs(self) -> list[Job]:
        return self.admission.jobs

    @property
    def problems(self) -> list[FileResult]:
        """Each input that will not be done (unreadable, or its output refused), as a failed result."""
        return self.unplannable + self.admission.refused


def output_is_a_file(inputs: Sequence[str | Path], output: str | Path) -> bool:
    """One input file and an OUTPUT that names a photo or video (not a folder): write just that file."""
    output = Path(output)
    return len(inputs) == 1 and Path(inputs[0]).is_file() and bool(kind_of(output)) and not output.is_dir()


def plan(
    inputs: Sequence[str | Path],
    output: str | Path,
    naming: str = "keep",
    *,
    settings: Settings | None = None,
    run: Run | None = None,
    extra: Sequence[Region] = (),
) -> Plan:
    """Decide an output for every photo and video of ``inputs`` (folders walked recursively) and take
    them through the door (``blurkit.door.admit``) with ``settings`` and ``run``. With ``naming`` 'keep'
    the tree is mirrored under ``output``; otherwise every file gets a new name directly in it (see
    ``blurkit.naming``). One file in: ``output`` may name a file."""
    if naming not in NAMINGS:
        raise ValueError(f"unknown naming {naming!r}; choose one of {', '.join(NAMINGS)}")
    settings, run = settings or Settings(), run or Run()
    inputs, output = [Path(p) for p in inputs], Path(output)
    if output_is_a_file(inputs, output):
        return Plan(admit([Job(inputs[0], output)], settings, run, extra))
    fold = folds_case(output)
    unplannable: list[FileResult] = []
    skipped: list[Skipped] = []
    found: list[tuple[Path, PurePath]] = []  # each file, with its path under output if names are kept
    for item in inputs:
        if item.is_dir():
            files, left = _walk(item, path_key(output, fold), fold, run.earlier)
            found += [(src, src.relative_to(item)) for src in files]
            skipped += left
        elif item.is_file():
            if kind_of(item) is None:
                reason = f"unsupported file type {item.suffix or '(no suffix)'}"
                unplannable.append(failed(item, None, MediaError(reason)))
            else:
                found.append((item, PurePath(item.name)))
        else:
            unplannable.append(failed(item, None, MediaError("no such file or folder")))
    jobs: list[Job] = []
    drawn: set[str] = set()
    for i, (src, relative) in enumerate(found):
        dst = output / (relative if naming == "keep" else new_name(src.suffix, naming, i, len(found)))
        while naming == "random" and dst.name in drawn:  # (a drawn name that exists is refused by the door)
            dst = output / new_name(src.suffix, naming, i, len(found))
        drawn.add(dst.name)
        jobs.append(Job(src, dst))
    admission = admit(jobs, settings, run, extra)
    revealing = []
    if naming == "keep":
        revealing = [job.dst for job in admission.jobs if revealing_name(job.dst.relative_to(output))]
    return Plan(admission, unplannable, skipped, revealing)


def list_media(inputs: Sequence[str | Path]) -> tuple[list[Path], list[Skipped]]:
    """The photos and videos among ``inputs``, folders walked as a batch walks them (what a front end
    opens), and what was left out with why, a named input that is none of them included."""
    found: list[Path] = []
    skipped: list[Skipped] = []
    for item in map(Path, inputs):
        if item.is_dir():
            files, left = _walk(item, "", folds_case(item), None)
            found += files
            skipped += left
        elif item.is_file() and kind_of(item) is not None:
            found.append(item)
        elif item.exists():
            skipped.append(Skipped(item, f"not a photo or video blurkit reads ({item.suffix or 'no suffix'})"))
        else:
            skipped.append(Skipped(item, "no such file or folder"))
    return found, skipped


def _walk(folder: Path, skip: str, fold: bool, earlier: Earlier | None) -> tuple[list[Path], list[Skipped]]:
    """Photos and videos under ``folder``, sorted, leaving out ``skip`` (the output inside an input) and
    the outputs an ``earlier`` run wrote there; and what else was there, with why it was left out."""
    found: list[Path] = []
    skipped: list[Skipped] = []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        skipped += [Skipped(here / d, OUTPUT_FOLDER) for d in dirs if path_key(here / d, fold) == skip]
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
            elif is_earlier_output(path, earlier):
                skipped.append(Skipped(path, EARLIER_OUTPUT))
            else:
                found.append(path)
    return sorted(found), sorted(skipped, key=lambda s: s.path)


def _run_one(job: Job, run: Run, control: Control) -> FileResult:
    """One admitted job; any failure is its failed result."""
    if control.cancel is not None and control.cancel.is_set():
        return failed(job.src, job.dst, Cancelled("cancelled before it started"))
    try:
        return anonymize_job(job, run, control)
    except Exception as exc:
        return failed(job.src, job.dst, exc)


def run(
    jobs: Sequence[Job] | Admission,
    settings: Settings,
    *,
    workers: int = 1,
    overwrite: bool = False,
    dry_run: bool = False,
    request: Run | None = None,
    on_result: Callable[[FileResult], None] = lambda r: None,
    on_progress: Callable[[Job], Progress | None] = lambda job: None,
    extra_regions: Sequence[Region] = (),
    cancel: Event | None = None,
    scheduler: str | None = None,
    on_part: Callable[[Job, int, int], None] = lambda job, done, total: None,
) -> list[FileResult]:
    """Run every job; a failure becomes a 'failed' result and the batch goes on.
    ``request`` says what may happen to outputs (else ``overwrite`` and ``dry_run`` do). Jobs go through
    the door (``blurkit.door.admit``) first, unless they are its ``Admission`` already (``plan`` made it):
    a refused output is a failed result and a kept one (--skip-existing) a 'kept' one, before any work.
    With ``workers`` > 1, or the address of a Dask ``scheduler``, files and the segments of long videos
    run in parallel (``blurkit.distribute``); ``on_part`` hears of each segment done.
    ``on_progress`` may give a per-file progress callback (videos; one worker only).
    ``extra_regions`` (manual ones) are obscured in every file besides what is detected (an Admission
    has them in its jobs already).
    Setting ``cancel`` stops the file being written (nothing of it is left) and every one after it:
    each gets a failed result saying it was cancelled."""
    request = request or Run(overwrite=overwrite, dry_run=dry_run)
    admission = jobs if isinstance(jobs, Admission) else admit(jobs, settings, request, extra_regions)
    results = admission.refused + admission.kept
    for result in results:
        on_result(result)
    if not admission.jobs:
        return results
    if scheduler is None and workers <= 1:
        for job in admission.jobs:
            results.append(_run_one(job, request, Control(on_progress(job), cancel)))
            on_result(results[-1])
        return results
    with cluster_pool(scheduler) if scheduler else local_pool(workers) as pool:
        return results + run_parallel(
            admission.jobs, pool, _run_one, request.for_tasks(), on_result=on_result, on_part=on_part, cancel=cancel
        )
