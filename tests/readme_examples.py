"""The README's command-line examples, as data: tests/test_readme_examples.py runs each one against
sample_media (in a fresh folder holding a copy of it) and checks its exit status and what it leaves.

Each example: the command as the README shows it, its exit status, the files it must leave behind, and
text its standard output must hold. They run in order (later ones read what earlier ones wrote)."""

from __future__ import annotations

from typing import NamedTuple


class Example(NamedTuple):
    command: str
    exit: int
    creates: tuple[str, ...] = ()
    says: str = ""


EXAMPLES = (
    # one photo to one file
    Example("blurkit sample_media/grace_hopper.jpg -o out/grace_hopper.jpg", 0, ("out/grace_hopper.jpg",)),
    # a folder, with the editor's report (FILE.json is written beside FILE.html)
    Example(
        "blurkit sample_media -o anonymized --report report.html",
        0,
        ("anonymized/astronaut.png", "anonymized/two_faces.mp4", "report.html", "report.json"),
    ),
    # a raw photo: its face is found (exit 3)
    Example("blurkit check sample_media/grace_hopper.jpg", 3, (), "1 face(s)"),
    # blurkit's outputs, with the run's report: nothing left (exit 0)
    Example("blurkit check anonymized --known report.json", 0, (), "no face found (7 of 75 frames looked at)"),
    # the video's output alone: exit 0 too
    Example("blurkit check anonymized/two_faces.mp4", 0, (), "no face found"),
    # a sign drawn over frames 10 to 20 of a video, both reports named
    Example(
        "blurkit sample_media/two_faces.mp4 -o sign.mp4 --region 5,125,70,75@10-20 --report sign.json "
        "--report sign.html",
        0,
        ("sign.mp4", "sign.json", "sign.html"),
    ),
)
