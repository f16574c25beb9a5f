"""The command line: ``blurkit [anonymize] INPUT... -o OUTPUT`` and ``blurkit check PATH...``.

One argparse parser with a subcommand each. ``anonymize`` is the default, so ``blurkit in.jpg -o out``
works as it always did; ``blurkit -h`` lists the subcommands.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from blurkit.cli import anonymize, check
from blurkit.cli.common import EXIT_FACES, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, VERSION

__all__ = ["EXIT_FACES", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

COMMANDS = {"anonymize": anonymize, "check": check}
DEFAULT = "anonymize"


class _Help(argparse.Action):
    """``blurkit -h``: the commands, then the default command's whole help (its options, modes, exit codes)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show this help and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace, values, option_string=None) -> None:
        default = parser._subparsers._group_actions[0].choices[DEFAULT]  # type: ignore[union-attr]
        print(parser.format_help() + "\n" + default.format_help())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="blurkit",
        add_help=False,
        epilog=f"`blurkit INPUT... -o OUTPUT` is `blurkit {DEFAULT} INPUT... -o OUTPUT`, whose help follows. "
        "Another command's: blurkit COMMAND -h",
    )
    p.add_argument("-h", "--help", action=_Help)
    p.add_argument("--version", action="version", version=VERSION)
    commands = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS.items():
        module.add_parser(commands, name)
    return p


def with_command(argv: Sequence[str]) -> list[str]:
    """``argv`` with the default subcommand put first when it names none (a path, or an option of it)."""
    argv = list(argv)
    first = argv[0] if argv else ""
    if first in COMMANDS or first in ("-h", "--help", "--version"):
        return argv
    return [DEFAULT, *argv]


def main(argv: Sequence[str] | None = None) -> int:
    argv = with_command(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.run(args)
