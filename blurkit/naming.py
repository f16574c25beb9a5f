"""Output file names: kept, random or numbered, because a camera's name gives away when and on what
a picture was taken, and a folder's name may give away whose it was."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import PurePath

# How outputs are named. The CLI's --names, the app's choice and the README show these words.
NAMINGS: dict[str, str] = {
    "keep": "the input's name and folders (default); camera names like IMG_20240501_143211 keep date and time",
    "random": "a random name for each file, all in OUTPUT with no subfolders: nothing of the original name",
    "sequential": "0001.jpg, 0002.mp4, ... in input order, all in OUTPUT with no subfolders",
}

# Names that cameras, phones and apps give: a date (2024-05-01, 20240501), a time after it, or a maker's
# prefix (IMG_, PXL_, DSC, GOPR, DJI_, WhatsApp, Screenshot, ...).
_REVEALING = re.compile(
    r"(?:19|20)\d\d[-_. ]?(?:0[1-9]|1[0-2])[-_. ]?(?:0[1-9]|[12]\d|3[01])"
    r"|^(?:IMG|VID|PXL|MVIMG|DSC[FN]?|DCIM|GOPR|GH\d\d|GX\d\d|DJI|MVI|MOV|WhatsApp|Screenshot|signal|Telegram)"
    r"(?:[-_ ]|\d)|^P\d{7}\b",
    re.IGNORECASE,
)


def new_name(suffix: str, naming: str, index: int, total: int) -> str:
    """The output name of the ``index``-th of ``total`` files under ``naming`` ('random' or 'sequential')."""
    if naming == "random":
        return f"{secrets.token_hex(8)}{suffix.lower()}"
    if naming == "sequential":
        return f"{index + 1:0{max(4, len(str(total)))}d}{suffix.lower()}"
    raise ValueError(f"unknown naming {naming!r}; choose one of {', '.join(NAMINGS)}")


def revealing_name(relative: PurePath) -> bool:
    """Whether a kept name or one of its folders looks like a camera's, a phone's or a date."""
    return any(_REVEALING.search(part) for part in relative.parts)


def shown_name(path: str | os.PathLike[str]) -> str:
    """A file name as a person reads it, on one line: each byte that is not UTF-8 as ``\\xNN`` (names from USB
    sticks and archives made on Windows; Python holds them as surrogates, which no UTF-8 text can carry) and
    any other unprintable character (a newline) escaped as Python writes it, so no name can forge a line."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
