"""Outputs appear whole or not at all, and never replace an input."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from blurkit.errors import BlurkitError, OutputExistsError

PARTIAL_MARK = ".blurkit-partial-"


def check_destination(src: Path, dst: Path, overwrite: bool) -> None:
    if dst.resolve() == src.resolve():
        raise BlurkitError("the output would replace the input; choose another output path")
    if dst.exists() and not overwrite:
        raise OutputExistsError(f"{dst} already exists; pass --overwrite to replace it")


@contextmanager
def atomic_destination(dst: Path, overwrite: bool) -> Iterator[Path]:
    """A temporary path beside ``dst`` to write to. On success it is renamed onto
    ``dst`` (refusing to clobber unless ``overwrite``); on any failure or Ctrl-C
    it is removed, so nothing partial is ever left at the destination."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    # the stem is shortened so a name near the 255-byte limit still leaves room for the marks
    tmp = dst.with_name(f".{dst.stem[:100]}{PARTIAL_MARK}{secrets.token_hex(4)}{dst.suffix}")
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, dst)
        else:
            _link_new(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


def _link_new(tmp: Path, dst: Path) -> None:
    """Put ``tmp`` at ``dst`` only if ``dst`` does not exist yet."""
    try:
        os.link(tmp, dst)  # atomic, and fails if dst appeared meanwhile
    except FileExistsError:
        raise OutputExistsError(f"{dst} already exists; pass --overwrite to replace it") from None
    except OSError:
        # No hard links here (FAT/exFAT sticks, some network shares): check, then rename.
        if dst.exists():
            raise OutputExistsError(f"{dst} already exists; pass --overwrite to replace it") from None
        os.rename(tmp, dst)


def write_atomically(dst: Path, data: bytes, overwrite: bool) -> None:
    with atomic_destination(dst, overwrite) as tmp:
        tmp.write_bytes(data)
