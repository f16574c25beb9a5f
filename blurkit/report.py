"""The --report JSON: what was found, with which settings, and what was written."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from blurkit import __version__
from blurkit.atomic import write_atomically
from blurkit.result import FileResult
from blurkit.settings import NOT_REMOVED, Settings


def build_report(results: Sequence[FileResult], settings: Settings) -> dict:
    # settings also per file, so an entry copied out of the report still says how it was made
    used = settings.to_dict()
    return {
        "blurkit": __version__,
        "settings": used,
        "not_removed": NOT_REMOVED,
        "files": [{**r.to_dict(), "settings": used} for r in results],
    }


def write_report(path: Path, results: Sequence[FileResult], settings: Settings) -> None:
    data = json.dumps(build_report(results, settings), indent=1).encode()
    write_atomically(path, data, overwrite=True)
