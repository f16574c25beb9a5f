"""Outputs appear whole or not at all, and never replace an input."""

from __future__ import annotations

import os
import secrets
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from blurkit.errors import BlurkitError, OutputExistsError

PARTIAL_MARK = ".blurkit-partial-"
# Bytes of the output's stem kept in its temporary name: with the marks, well under the 255-byte limit.
TEMP_STEM_BYTES = 100


def folds_case(folder: Path) -> bool:
    """Whether ``folder``'s file system takes names differing only in case (or Unicode normal form) for
    the same file, as macOS and Windows do by default. Probed on the nearest existing folder."""
    return _probe_folding(existing_folder(folder))


def existing_folder(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists: where an output that does not exist yet will be made
    (a file there means it cannot be)."""
    folder = path.absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


@lru_cache(maxsize=64)
def _probe_folding(folder: Path) -> bool:
    probe = folder / f".blurkit-case-{secrets.token_hex(4)}"
    try:
        probe.touch(exist_ok=False)
    except OSError:
        return True  # cannot tell: assume the cautious answer
    try:
        return probe.with_name(probe.name.upper()).exists()
    finally:
        probe.unlink(missing_ok=True)


def path_key(path: Path, fold: bool) -> str:
    """What makes two paths the same file: the resolved path, and on a case-folding file system that
    path with case and Unicode normal form folded."""
    text = str(path.resolve())
    return unicodedata.normalize("NFC", text).casefold() if fold else text


def same_file(a: Path, b: Path) -> bool:
    """Whether writing ``b`` would replace ``a``: the same inode, or names the file system equates."""
    try:
        if a.exists() and b.exists() and os.path.samefile(a, b):
            return True
    except OSError:
        pass
    fold = folds_case(b.parent)
    return path_key(a, fold) == path_key(b, fold)


def check_writable(dst: Path, overwrite: bool) -> None:
    """Raise unless ``dst`` could be written now: checked before a batch starts, so a bad --report path
    is one line up front, not a traceback after hours of work."""
    if dst.is_dir():
        raise BlurkitError(f"{dst} is a folder")
    if dst.exists() and not overwrite:
        raise OutputExistsError(f"{dst} already exists; pass --overwrite to replace it")
    folder = existing_folder(dst.parent)
    probe = folder / temporary_name(dst)
    try:
        probe.touch(exist_ok=False)
    except OSError as exc:
        raise BlurkitError(f"cannot write in {folder}: {exc.strerror or exc}") from None
    probe.unlink(missing_ok=True)


def temporary_name(dst: Path) -> str:
    """A hidden, marked name beside ``dst``. The stem is cut to TEMP_STEM_BYTES of UTF-8 (not characters:
    80 CJK characters are 240 bytes), on a character boundary, so any valid name leaves room for the marks."""
    raw = os.fsencode(dst.stem)[:TEMP_STEM_BYTES]
    for cut in range(4):  # back off a character cut in two
        try:
            stem = raw[: len(raw) - cut].decode()
            break
        except UnicodeDecodeError:
            continue
    else:
        stem = os.fsdecode(raw)  # not UTF-8 at all: keep the bytes as the file system gave them
    return f".{stem}{PARTIAL_MARK}{secrets.token_hex(4)}{dst.suffix}"


@contextmanager
def atomic_destination(dst: Path, overwrite: bool) -> Iterator[Path]:
    """A temporary path beside ``dst`` to write to. On success it is renamed onto
    ``dst`` (refusing to clobber unless ``overwrite``); on any failure or Ctrl-C
    it is removed, so nothing partial is ever left at the destination."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(temporary_name(dst))
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
