"""The README says what the code does: its option table is the one the parser makes."""

from __future__ import annotations

import re
from pathlib import Path

from blurkit.cli.anonymize import options_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_option_table_is_the_parsers() -> None:
    text = README.read_text()
    found = re.search(r"<!-- options:.*?-->\n(.*?)\n<!-- /options -->", text, re.S)
    assert found, "the README lost its option table markers"
    assert found.group(1) == options_table(), (
        "README option table differs from the parser; paste "
        "`python -c 'from blurkit.cli.anonymize import options_table; print(options_table())'`"
    )


def test_readme_examples_are_the_ones_a_test_runs() -> None:
    """The README's example block is exactly tests/readme_examples.py's commands, which
    tests/test_readme_examples.py runs: the README cannot show a command that does not do what it says."""
    from readme_examples import EXAMPLES

    found = re.search(r"<!-- examples:.*?-->\n```\n(.*?)\n```\n<!-- /examples -->", README.read_text(), re.S)
    assert found, "the README lost its example markers"
    assert found.group(1).splitlines() == [e.command for e in EXAMPLES]
