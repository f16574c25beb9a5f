"""The --report (JSON, or HTML for an editor) and the --name-map CSV: what was found, with which settings, and
what was written."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from blurkit.atomic import write_atomically
from blurkit.batch import Skipped
from blurkit.check import CheckResult, check_file
from blurkit.html_report import ReportProgress, build_html
from blurkit.result import FileResult
from blurkit.settings import NOT_REMOVED, Settings
from blurkit.version import __version__


def build_report(
    results: Sequence[FileResult], settings: Settings, skipped: Sequence[Skipped] = (), naming: str = "keep"
) -> dict:
    # settings also per file, so an entry copied out of the report still says how it was made
    used = settings.to_dict()
    return {
        "blurkit": __version__,
        "settings": used,
        "naming": naming,
        "not_removed": NOT_REMOVED,
        # (a file kept by --skip-existing keeps the settings it was made with)
        "files": [{"settings": used, **r.to_dict()} for r in results],
        "skipped": [s.to_dict() for s in skipped],
    }


def is_html(path: Path) -> bool:
    """A report named .html (or .htm) is the editor's; any other is JSON."""
    return path.suffix.lower() in (".html", ".htm")


def report_paths(given: Sequence[Path]) -> list[Path]:
    """Every report a run writes: each one given, and beside an HTML one its JSON twin (FILE.json, which
    ``blurkit check --known`` reads) unless a JSON report is given too. Raises ValueError for a name given
    twice, so that no report is silently dropped."""
    paths = [Path(p) for p in given]
    if len({p.absolute() for p in paths}) != len(paths):
        raise ValueError("the same report file is given twice")
    if any(is_html(p) for p in paths) and all(is_html(p) for p in paths):
        paths += [p.with_suffix(".json") for p in paths if is_html(p)]
    return paths


def check_outputs(
    results: Sequence[FileResult],
    settings: Settings,
    cancel: threading.Event | None = None,
    progress: Callable[[FileResult, int, int], None] | None = None,
) -> dict[Path, CheckResult]:
    """``check_file`` on every written output (less what blurkit covered there), by output path: what the HTML
    report shows as still found. ``progress(result, done, total)``: frames of the file being checked. Raises
    Cancelled when ``cancel`` is set."""
    checks = {}
    for r in results:
        if r.status == "written" and r.dst:
            step = None if progress is None else (lambda done, total, r=r: progress(r, done, total))
            checks[r.dst] = check_file(r.dst, settings, written=r, cancel=cancel, progress=step)
    return checks


def write_report(
    path: str | Path,
    results: Sequence[FileResult],
    settings: Settings,
    *,
    skipped: Sequence[Skipped] = (),
    naming: str = "keep",
    overwrite: bool = False,
    checks: Mapping[Path, CheckResult] | None = None,
    reviewed: Mapping[Path, bool] | None = None,
    progress: ReportProgress | None = None,
) -> None:
    """JSON, or HTML when ``path`` says so (``checks``: ``check_outputs``' findings, shown in it; ``reviewed``:
    the files marked reviewed). Written like every output: whole or not at all, never over an existing file
    unless ``overwrite``."""
    path = Path(path)
    if is_html(path):
        data = build_html(
            results, settings, skipped=skipped, naming=naming, checks=checks, reviewed=reviewed, progress=progress
        ).encode()
    else:  # a name that is not UTF-8 comes out as JSON's \udcNN escapes, which json.loads and os.fsencode undo
        data = json.dumps(build_report(results, settings, skipped, naming), indent=1).encode()
    write_atomically(path, data, overwrite)


def write_name_map(path: Path, results: Sequence[FileResult], *, overwrite: bool = False) -> None:
    """input,output per written file: the one record that links renamed outputs back to the originals. A name
    that is not UTF-8 is written byte for byte as the file system holds it (read the map back with
    ``errors="surrogateescape"``): this record must find the original again."""
    text = io.StringIO()
    rows = csv.writer(text)
    rows.writerow(["input", "output"])
    rows.writerows([str(r.src), str(r.dst)] for r in results if r.status == "written")
    write_atomically(path, text.getvalue().encode(errors="surrogateescape"), overwrite)
