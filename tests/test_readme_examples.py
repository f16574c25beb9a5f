"""The README's examples (tests/readme_examples.py) run as written: exit status, files left, text printed."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest
from readme_examples import EXAMPLES

from blurkit.cli import main

SAMPLES = Path(__file__).resolve().parent.parent / "sample_media"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("readme")
    shutil.copytree(SAMPLES, root / "sample_media", ignore=shutil.ignore_patterns("*.md"))
    return root


@pytest.mark.parametrize("n", range(len(EXAMPLES)), ids=[e.command for e in EXAMPLES])
def test_readme_example_runs_as_stated(n: int, folder: Path, monkeypatch, capsys) -> None:
    example = EXAMPLES[n]
    argv = shlex.split(example.command)
    assert argv[0] == "blurkit"
    monkeypatch.chdir(folder)
    assert main(argv[1:]) == example.exit, capsys.readouterr()
    for name in example.creates:
        assert (folder / name).is_file() and (folder / name).stat().st_size > 0, name
    assert example.says in capsys.readouterr().out
