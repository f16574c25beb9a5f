"""What the user has opened and decided, file by file; plain Python, no widgets."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from blurkit import Region

# Suffix added to saved files, so an output is never mistaken for (or written over) its original.
OUTPUT_TAG = "-anonymized"


@dataclass
class MediaFile:
    path: Path
    kind: str  # "photo" or "video"
    # Photo: the detector's regions once found (None until then, or when detection failed).
    detected: list[Region] | None = None
    # Indexes into ``detected`` the user turned off (left visible).
    off: set[int] = field(default_factory=set)
    # Regions the user drew (source="manual"; in video with a frame range).
    manual: list[Region] = field(default_factory=list)
    # Video: stream facts from probe_video, and detections of frames the user previewed.
    video: Any = None
    frame_regions: dict[int, list[Region]] = field(default_factory=dict)
    # Why it cannot be opened or reviewed (unreadable, detection failed); kept until reopened.
    problem: str | None = None
    # What the engine is doing with it now ("Finding faces…", "Saving…"), if anything.
    busy: str | None = None
    # How the last save ended, for the file list.
    outcome: str | None = None
    viewed: bool = False

    @property
    def name(self) -> str:
        return self.path.name

    def reviewed_regions(self) -> list[Region]:
        """Exactly what a photo export obscures: detections left on, plus drawn regions."""
        kept = [r for i, r in enumerate(self.detected or []) if i not in self.off]
        return kept + self.manual

    def export_arguments(self) -> dict:
        """Keyword arguments for ``blurkit.anonymize_file`` that carry the user's review.

        A photo whose detection has not run (or failed) is left to the engine to detect,
        so an unreviewed file is never written with fewer regions than the CLI would use.
        """
        if self.kind == "photo" and self.detected is not None:
            return {"regions": self.reviewed_regions()}
        return {"extra_regions": list(self.manual)}

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
            drawn = f" · {len(self.manual)} drawn" if self.manual else ""
            return (f"Video {format_time(self.video.duration)}" if self.video else "Video") + drawn
        if self.detected is None:
            return "Not checked"
        return self.review_summary()

    def review_summary(self) -> str:
        faces = len(self.detected or [])
        parts = [f"{faces} face{'s' if faces != 1 else ''}" if faces else "No faces found"]
        if self.off:
            parts.append(f"{len(self.off)} off")
        if self.manual:
            parts.append(f"{len(self.manual)} drawn")
        return " · ".join(parts)


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
