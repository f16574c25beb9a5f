"""What every subcommand shares: exit codes, the version line, settings as options, and names as text."""

from __future__ import annotations

import argparse
from dataclasses import Field

from blurkit.version import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# `blurkit check`: every file was checked and at least one still shows a face.
EXIT_FACES = 3
VERSION = f"blurkit {__version__}"


def add_setting(group: argparse._ActionsContainer, f: Field, default: object) -> None:
    """One setting's option, from its declaration in ``Settings``. Its default is left as None here, so
    that --fast can tell what was given."""
    meta = f.metadata
    parse = meta["parse"] or type(default)

    def value(text: str) -> object:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc) or f"not a valid {f.name}") from None

    value.__name__ = f.name
    extra = {"choices": list(meta["choices"])} if meta["choices"] else {"metavar": meta["metavar"]}
    help = f"{meta['help']} (default {meta['show'](default)})".replace("%", "%%")
    group.add_argument("--" + f.name.replace("_", "-"), type=value, help=help, **extra)
