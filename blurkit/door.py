"""The one door for writing: every output of every front end (the command line, the app, the API) and every
backend (one process, local workers, video segments, a Dask cluster) is checked here, once, before any work
starts. Nothing behind it decides where to write: it writes where the admitted jobs say.

An output is refused when it would replace an input of the run (even with --overwrite, even spelled in
another case on a case-folding file system, even through a link), when two inputs would write it, when it
is a folder, and when it exists and --overwrite was not given. With --skip-existing, an input whose output
an earlier run wrote is left as done when that run's JSON report still vouches for both files (the output's
and the input's sha256): nothing is written in the output folder to mark an output, and nothing added to
the outputs themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from blurkit.atomic import folds_case, path_key
from blurkit.check import written_in_report
from blurkit.errors import BlurkitError, OutputExistsError, ReplacesInputError
from blurkit.regions import Region
from blurkit.request import Earlier, Job, Run
from blurkit.result import FileResult, failed
from blurkit.settings import Settings


@dataclass
class Admission:
    """What came through the door: jobs to do (settings resolved), and a result for each one refused or
    kept, in the order given."""

    jobs: list[Job] = field(default_factory=list)
    refusals: list[tuple[Job, BlurkitError]] = field(default_factory=list)
    kept: list[FileResult] = field(default_factory=list)  # --skip-existing: an earlier run's, verified

    @property
    def refused(self) -> list[FileResult]:
        """A failed result for each job refused: one line each, saying why."""
        return [failed(job.src, job.dst, exc) for job, exc in self.refusals]


def admit(jobs: Sequence[Job], settings: Settings, run: Run, extra: Sequence[Region] = ()) -> Admission:
    """Resolve each job (its settings, else ``settings``; ``extra`` regions added) and check its output
    against every input of ``jobs`` and every other output. A dry run writes nothing and is not checked."""
    admission = Admission()
    jobs = [job.resolved(settings, extra) for job in jobs]
    if run.dry_run:
        admission.jobs = jobs
        return admission
    inputs = _Inputs([job.src for job in jobs])
    taken: dict[str, tuple[Path, Path]] = {}  # output -> the input writing it, as spelled
    for job in jobs:
        try:
            kept = _kept(job, run.earlier)
            if kept is not None:
                admission.kept.append(kept)
                taken[path_key(kept.dst, folds_case(kept.dst.parent))] = (job.src, kept.dst)  # type: ignore[arg-type]
                continue
            key = _check(job, run, inputs, taken)
        except BlurkitError as exc:
            admission.refusals.append((job, exc))
            continue
        taken[key] = (job.src, job.dst)
        admission.jobs.append(job)
    return admission


class _Inputs:
    """Every input of a run, by the keys its paths have on a case-folding file system or not, and by inode."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = paths
        self._keys: dict[bool, dict[str, Path]] = {}
        self.inodes = {}
        for path in paths:
            try:
                st = path.stat()
                self.inodes[(st.st_dev, st.st_ino)] = path
            except OSError:
                pass

    def replaced_by(self, dst: Path) -> Path | None:
        """The input that writing ``dst`` would replace, if any."""
        fold = folds_case(dst.parent)
        if fold not in self._keys:
            self._keys[fold] = {path_key(p, fold): p for p in self.paths}
        hit = self._keys[fold].get(path_key(dst, fold))
        if hit is None:
            try:
                st = dst.stat()
                hit = self.inodes.get((st.st_dev, st.st_ino))
            except OSError:
                pass
        return hit


def _check(job: Job, run: Run, inputs: _Inputs, taken: dict[str, tuple[Path, Path]]) -> str:
    """Raise unless ``job``'s output may be written; its key when it may."""
    dst = job.dst
    replaced = inputs.replaced_by(dst)
    if replaced is not None:
        which = "" if replaced == job.src else f" {replaced}"
        raise ReplacesInputError(f"the output would replace the input{which}; choose another output path")
    fold = folds_case(dst.parent)
    key = path_key(dst, fold)
    if key in taken:
        other, spelled = taken[key]
        same = "" if str(spelled) == str(dst) else " (names differing only in case are one file there)"
        raise BlurkitError(f"would write the same output as {other}{same}")
    if dst.is_dir():
        raise BlurkitError(f"{dst} is a folder")
    if dst.exists() and not run.overwrite:
        if run.earlier is not None:
            raise OutputExistsError(
                f"{dst} already exists and {run.earlier.report} does not vouch for it as this input's output "
                "(changed since, or not blurkit's); pass --overwrite to replace it"
            )
        raise OutputExistsError(f"{dst} already exists; pass --overwrite to replace it")
    return key


def file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _key(path: Path | str) -> str:
    return str(Path(path).resolve())


def _kept(job: Job, earlier: Earlier | None) -> FileResult | None:
    """The earlier run's result for ``job``'s input when its output is in this job's output folder and both
    files are byte for byte as that run recorded them; else None (the job is done anew)."""
    if earlier is None or (done := earlier.results.get(_key(job.src))) is None or done.dst is None:
        return None
    if _key(done.dst.parent) != _key(job.dst.parent) or not done.dst.is_file():
        return None
    if file_sha256(done.dst) != done.sha256 or file_sha256(job.src) != done.details.get("input_sha256"):
        return None
    kept = f"written by an earlier run, verified by {earlier.report}"
    return replace(done, src=job.src, status="kept", details={**done.details, "kept": kept})


def read_earlier(report: Path) -> Earlier:
    """The outputs an earlier run's JSON ``report`` lists as written (or kept), with their sha256 and
    their inputs'. Raises BlurkitError when ``report`` is not such a report."""
    try:
        done = written_in_report(report)
    except ValueError as exc:
        raise BlurkitError(str(exc)) from None
    results = {_key(r.src): r for r in done if r.dst is not None and r.details.get("input_sha256")}
    return Earlier(report, results, {_key(r.dst): r.sha256 for r in results.values()})  # type: ignore[arg-type,misc]


def is_earlier_output(path: Path, earlier: Earlier | None) -> bool:
    """Whether ``path`` is byte for byte an output the earlier run wrote (a walk leaves it out)."""
    if earlier is None or (sha := earlier.written.get(_key(path))) is None:
        return False
    try:
        return file_sha256(path) == sha
    except OSError:
        return False
