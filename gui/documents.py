"""What the user has opened and what the engine found in it, file by file; plain Python, no widgets.

A photo's detections and a video's analysis (a dry run: every frame's tracked regions and the shot cuts)
come from the engine; the user's decisions are the file's ``Review``. What a preview shows and what an
export writes are both read off here, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import blurkit
from blurkit import Region
from gui.review import Review, Row, timeline_rows
from gui.texts import plural

# Suffix added to saved files, so an output is never mistaken for (or written over) its original.
OUTPUT_TAG = "-anonymized"


@dataclass(eq=False)  # one open file is one document, whatever it holds
class MediaFile:
    path: Path
    kind: str  # "photo" or "video"
    # Photo: the detector's regions once found (None until then, or when detection failed).
    detected: list[Region] | None = None
    # Video: stream facts from probe_video, and the engine's analysis (a dry run) once done.
    video: blurkit.VideoInfo | None = None
    analysis: blurkit.FileResult | None = None
    review: Review = field(default_factory=Review)
    # This file's own settings; None while it follows the batch's.
    settings: blurkit.Settings | None = None
    # The obscuring state its previews are drawn with; the export draws with the same secret.
    memory: blurkit.TrackMemory = field(default_factory=blurkit.TrackMemory)
    # Why it cannot be opened or reviewed (unreadable, detection failed); kept until reopened.
    problem: str | None = None
    # What the engine is doing with it now ("Finding faces…", "Saving…"), if anything.
    busy: str | None = None
    # How the last save ended, for the file list.
    outcome: str | None = None
    # The last save's result and the check of that output (``blurkit.check_outputs``), once it has run.
    saved: blurkit.FileResult | None = None
    check: blurkit.CheckResult | None = None
    check_note: str | None = None  # how that check went (or that it is running), a line of the file list
    viewed: bool = False

    @property
    def name(self) -> str:
        """As the window shows it: bytes that are not UTF-8 as \\xNN (Qt would drop them without a word)."""
        return blurkit.shown_name(self.path.name)

    @property
    def off(self) -> frozenset[int]:
        return self.review.off

    @property
    def manual(self) -> list[Region]:
        return list(self.review.drawn)

    @property
    def found(self) -> bool:
        """Whether the engine's findings are in (a photo's detections, a video's analysis)."""
        return (self.detected if self.kind == "photo" else self.analysis) is not None

    def settings_or(self, defaults: blurkit.Settings) -> blurkit.Settings:
        return self.settings or defaults

    def forget_findings(self) -> None:
        """Detection settings changed: what was found (and the decisions about it) no longer holds."""
        self.detected, self.analysis = None, None
        self.review = replace(self.review, off=frozenset())

    def reviewed_regions(self) -> list[Region]:
        """Exactly what a photo export obscures: detections left on, plus drawn regions."""
        kept = [r for i, r in enumerate(self.detected or []) if i not in self.review.off]
        return kept + list(self.review.drawn)

    # video

    @property
    def cuts(self) -> list[int]:
        return list(self.analysis.details["cuts"]) if self.analysis else []

    def tracks(self) -> list[Region]:
        """The analysis' face tracks, each with its span of frames."""
        return [r for r in self.analysis.regions if r.track_id is not None] if self.analysis else []

    def faces_at(self, frame: int) -> list[Region]:
        """Every tracked face in ``frame``, those left visible included (the outlines show them)."""
        return list(self.analysis.frames[frame]) if self.analysis else []

    def extra_regions(self) -> list[Region]:
        """Drawn and followed regions, each limited to its frames."""
        return list(self.review.drawn) + [r for f in self.review.followed for r in f.regions]

    def regions_at(self, frame: int) -> list[Region]:
        """Exactly what the export obscures in ``frame`` of a video."""
        faces = [r for r in self.faces_at(frame) if r.track_id not in self.review.off]
        drawn = [r for r in self.review.drawn if r.in_frame(frame)]
        return faces + drawn + [r for f in self.review.followed if (r := f.at(frame)) is not None]

    def rows(self) -> list[Row]:
        return timeline_rows(self.tracks(), self.review, self.video.frames if self.video else 0)

    # saving

    def job(self, dst: Path, defaults: blurkit.Settings) -> blurkit.Job:
        """How the engine saves it: with the review once the findings are in. A file whose detection has
        not run (or failed) is left to the engine to detect, so an unreviewed file is never written with
        fewer regions than the command line would cover."""
        settings = self.settings_or(defaults)
        if self.kind == "photo":
            if self.detected is None:
                return blurkit.Job(self.path, dst, settings, extra_regions=tuple(self.review.drawn))
            kept = tuple(r for i, r in enumerate(self.detected) if i in self.review.off)
            return blurkit.Job(
                self.path, dst, settings, regions=tuple(self.reviewed_regions()), kept_visible=kept, memory=self.memory
            )
        return blurkit.Job(
            self.path, dst, settings, frames=self.analysis.frames if self.analysis else None,
            extra_regions=tuple(self.extra_regions()), visible_tracks=self.review.off if self.analysis else frozenset(),
            memory=self.memory,
        )  # fmt: skip

    def default_output_name(self) -> str:
        return f"{self.path.stem}{OUTPUT_TAG}{self.path.suffix}"

    def status(self) -> str:
        """One short line for the file list."""
        if self.busy:
            return self.busy
        if self.problem:
            return f"Problem: {self.problem}"
        if self.outcome:
            return self.outcome
        if self.kind == "video":
            length = f"Video {format_time(self.video.duration)}" if self.video else "Video"
            return " · ".join([length, *self._decisions()]) if self.analysis else length
        if self.detected is None:
            return "Not checked"
        return self.review_summary()

    def review_summary(self) -> str:
        if self.kind == "video":
            tracks = len(self.tracks())
            return " · ".join([plural(tracks, "face track") if tracks else "No faces found", *self._decisions()])
        faces = len(self.detected or [])
        return " · ".join([plural(faces, "face") if faces else "No faces found", *self._decisions()])

    def _decisions(self) -> list[str]:
        parts = [f"{len(self.review.off)} off"] if self.review.off else []
        if self.review.followed:
            parts.append(f"{len(self.review.followed)} followed")
        if self.review.drawn:
            parts.append(f"{len(self.review.drawn)} drawn")
        return parts


def detection_changed(a: blurkit.Settings, b: blurkit.Settings) -> bool:
    """Whether a setting that decides what is found changed: then the faces are found again."""
    return any(getattr(a, name) != getattr(b, name) for name in blurkit.detection_fields())


def manual_region(x0: float, y0: float, x1: float, y1: float, shape: str, frames: tuple[int, int] | None) -> Region:
    """A region the user drew: obscured exactly as drawn (never grown by the mask size)."""
    return Region(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1), shape=shape, source="manual", frames=frames)


def with_frames(region: Region, frames: tuple[int, int]) -> Region:
    return replace(region, frames=(min(frames), max(frames)))


def free_output_path(folder: Path, name: str, taken: set[Path]) -> Path:
    """``folder/name``, or ``name-2``, ``name-3``… when that exists or is already planned:
    saving everything to a folder never replaces a file."""
    candidate = folder / name
    stem, suffix = candidate.stem, candidate.suffix
    n = 1
    while candidate.exists() or candidate in taken:
        n += 1
        candidate = folder / f"{stem}-{n}{suffix}"
    return candidate


def format_time(seconds: float) -> str:
    minutes, rest = divmod(max(seconds, 0.0), 60)
    return f"{int(minutes)}:{rest:05.2f}"
