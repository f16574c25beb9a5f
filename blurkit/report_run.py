"""The command line's reports after a run: the check of every output and the HTML pictures, each phase
with a progress bar (tqdm, on stderr), then every report file asked for."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from blurkit.batch import Skipped
from blurkit.report import check_outputs, is_html, write_report
from blurkit.result import FileResult
from blurkit.settings import Settings


def write_reports(
    paths: Sequence[Path],
    results: Sequence[FileResult],
    settings: Settings,
    skipped: Sequence[Skipped],
    naming: str,
    overwrite: bool,
    dry_run: bool,
    quiet: bool,
) -> None:
    """Every report in ``paths``; an HTML one gets the check of the outputs (run once for all of them)."""
    html = [p for p in paths if is_html(p)]
    checks = None
    if html and not dry_run:
        written = [r for r in results if r.status == "written" and r.dst]
        with tqdm(total=len(written), desc="checking the outputs", unit="file", file=sys.stderr,
                  disable=quiet) as files, tqdm(desc="", unit="frame", leave=False, file=sys.stderr,
                                                disable=quiet) as frames:  # fmt: skip
            seen: list[Path] = []

            def step(r: FileResult, done: int, total: int) -> None:
                if not seen or seen[-1] != r.dst:
                    if seen:
                        files.update(1)
                    seen.append(r.dst)  # type: ignore[arg-type]
                    frames.reset(total)
                    frames.set_description_str(r.dst.name if r.dst else "")
                frames.update(done - frames.n)

            checks = check_outputs(results, settings, progress=step)
            files.update(len(written) - files.n)
    for path in paths:
        with tqdm(total=len(results), desc=f"writing {path.name}", unit="file", file=sys.stderr,
                  disable=quiet or not is_html(path)) as bar:  # fmt: skip

            def report(done: int, total: int, what: str, bar: tqdm = bar) -> None:
                bar.update(done - bar.n)
                bar.set_postfix_str(what[-40:], refresh=False)

            write_report(path, results, settings, skipped=skipped, naming=naming, overwrite=overwrite, checks=checks,
                         progress=report)  # fmt: skip
