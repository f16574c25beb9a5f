"""What the file list flags, and where "Next flagged" goes; plain Python, no widgets.

Two things are flagged: faces only the second look found (the main pass missed them, so they are the
first to check; in video, tracks the second look started) and faces the check of a saved copy still
finds there (``blurkit.check_outputs``, the check the CLI's HTML report runs). Each is a ``Target``: an
outline to select, on a frame in video.
"""

from __future__ import annotations

from dataclasses import dataclass

from blurkit import Region
from gui.documents import MediaFile
from gui.texts import plural

# A face the check finds again within this many frames, overlapping, is the same place to look at (the check
# looks at every 16th frame of a video, so a face can be found on those frames only).
RUN_GAP = 24


@dataclass(frozen=True)
class Target:
    """One place to look at: the outline ``key`` (on ``frame`` in a video) and its box."""

    kind: str  # "second-look" or "finding"
    key: tuple[str, int]  # ("face", index) or ("track", id): a second-look find; ("finding", index): the check's
    frame: int | None
    region: Region


def second_look_targets(doc: MediaFile) -> list[Target]:
    """The faces (in video: tracks, at their first frame) only the second look found."""
    if doc.kind == "photo":
        return [
            Target("second-look", ("face", i), None, r)
            for i, r in enumerate(doc.detected or [])
            if r.source == "second-look"
        ]
    tracks = sorted((t for t in doc.tracks() if t.source == "second-look" and t.frames), key=lambda t: t.frames)
    return [Target("second-look", ("track", t.track_id), t.frames[0], t) for t in tracks]


def finding_runs(findings: list[Region]) -> list[list[int]]:
    """The check's findings in a video (one per frame, frames=(i, i)) grouped into faces: a finding joins the
    run whose last finding overlaps it a few frames before. Indices into ``findings``, by first frame."""
    runs: list[list[int]] = []
    recent: list[list[int]] = []  # the runs a finding on this frame can still join
    frame_of = [(r.frames or (0, 0))[0] for r in findings]
    for i in sorted(range(len(findings)), key=frame_of.__getitem__):
        frame = frame_of[i]
        recent = [run for run in recent if frame - frame_of[run[-1]] <= RUN_GAP]
        joined = next(
            (run for run in recent if frame_of[run[-1]] < frame and _overlap(findings[i], findings[run[-1]])), None
        )
        if joined is None:
            runs.append([i])
            recent.append(runs[-1])
        else:
            joined.append(i)
    return runs


def finding_targets(doc: MediaFile) -> list[Target]:
    """Where the check of the saved copy still finds a face: each face (in video at its first frame)."""
    if doc.check is None or doc.check.status != "faces":
        return []
    findings = doc.check.findings
    if doc.kind == "photo":
        return [Target("finding", ("finding", i), None, r) for i, r in enumerate(findings)]
    return [Target("finding", ("finding", run[0]), findings[run[0]].frames[0], findings[run[0]]) for run in
            finding_runs(findings)]  # fmt: skip


def targets(doc: MediaFile) -> list[Target]:
    """Everything flagged in ``doc``: the check's findings first (a face still in a saved copy), then the
    second look's finds."""
    return finding_targets(doc) + second_look_targets(doc)


def findings_at(doc: MediaFile, frame: int | None) -> list[tuple[tuple[str, int], Region]]:
    """The check's findings to outline on the picture on show (in video: on ``frame``), with their keys."""
    if doc.check is None:
        return []
    found = enumerate(doc.check.findings)
    return [(("finding", i), r) for i, r in found if doc.kind == "photo" or (frame is not None and r.in_frame(frame))]


def finding_frames(doc: MediaFile) -> list[int]:
    """The video frames where the check of the saved copy still finds a face (for the timeline)."""
    if doc.check is None:
        return []
    return sorted({r.frames[0] for r in doc.check.findings if r.frames is not None})


def warning(doc: MediaFile) -> str | None:
    """What the check of the saved copy says when it is not clean, in a line."""
    check = doc.check
    if check is None or check.status == "clean":
        return None
    if check.status == "failed":
        return f"the check of the saved copy failed: {check.error}"
    if doc.kind == "photo":
        return f"the check still finds {plural(len(check.findings), 'face')} in the output"
    frames = len({r.frames for r in check.findings})
    faces = len(finding_runs(check.findings))
    return f"the check still finds {plural(faces, 'face')} in the output (in {plural(frames, 'frame')})"


def second_look_note(doc: MediaFile) -> str | None:
    n = len(second_look_targets(doc))
    if not n:
        return None
    what = plural(n, "face" if doc.kind == "photo" else "face track")
    return f"{what} found only by the second look — check {'it' if n == 1 else 'them'}"


def notes(doc: MediaFile) -> list[str]:
    """The flag's lines, the more urgent first."""
    return [note for note in (warning(doc), second_look_note(doc)) if note]


def check_summary(doc: MediaFile) -> str:
    """How the check of the saved copy ended, for the file list's status line."""
    check = doc.check
    if check is None:
        return "not checked"
    kept = f"; {plural(len(check.kept), 'face')} kept visible by you" if check.kept else ""
    if check.status == "clean":
        return f"checked: no face found in it{kept}"
    if check.status == "failed":
        return "the check failed"
    return f"check: {plural(len(finding_targets(doc)), 'face')} still in it"


def step_target(places: list[tuple[int, Target]], file: int, selected: object, step: int) -> int | None:
    """The index in ``places`` (file index and target, in file order) after (``step`` 1) or before (-1) the
    selected target of file ``file``; with none of them selected, the first from that file on (or the last
    up to it). Wraps around; None when nothing is flagged."""
    if not places:
        return None
    for i, (f, t) in enumerate(places):
        if f == file and t.key == selected:
            return (i + step) % len(places)
    if step > 0:
        return next((i for i, (f, _) in enumerate(places) if f >= file), 0)
    return next((i for i in range(len(places) - 1, -1, -1) if places[i][0] <= file), len(places) - 1)


def _overlap(a: Region, b: Region) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1
