"""What became of one file: the record every front end and report reads (its own module, so the media
pipeline can build one without importing the public API that calls it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from blurkit.errors import BlurkitError
from blurkit.media import kind_of
from blurkit.regions import Region


@dataclass
class FileResult:
    src: Path
    dst: Path | None
    kind: str
    status: str  # "written", "dry-run", "failed", or "kept" (--skip-existing: an earlier run's, verified)
    error: str | None = None
    regions: list[Region] = field(default_factory=list)
    width: int = 0
    height: int = 0
    sha256: str | None = None
    seconds: float = 0.0
    # Video only: per-frame regions (with track ids) and stream facts.
    frames: list[list[Region]] | None = None
    details: dict = field(default_factory=dict)

    @property
    def faces(self) -> int:
        return sum(1 for r in self.regions if r.source != "manual")

    @property
    def second_look_finds(self) -> int:
        """Faces (video: tracks) the main pass missed and the second look found: the ones to look at first."""
        return sum(1 for r in self.regions if r.source == "second-look")

    def to_dict(self) -> dict:
        d = {
            "input": str(self.src),
            "output": str(self.dst) if self.dst else None,
            "kind": self.kind,
            "status": self.status,
            "error": self.error,
            "width": self.width,
            "height": self.height,
            "regions": [r.to_dict() for r in self.regions],
            "output_sha256": self.sha256,
            "seconds": round(self.seconds, 3),
            **self.details,
        }
        if self.frames is not None:
            d["frames"] = [[r.to_dict() for r in f] for f in self.frames]
        return d


def failed(src: Path, dst: Path | None, exc: BaseException) -> FileResult:
    """The result for a file that could not be done: nothing was written for it."""
    message = str(exc) if isinstance(exc, BlurkitError) else f"{type(exc).__name__}: {exc}"
    # one line per failed file, whatever a decoder or ffmpeg put in its message
    kind = kind_of(src) or "unknown"
    details = {"error_type": type(exc).__name__}  # what went wrong, for a front end's advice
    return FileResult(src, dst, kind, "failed", error=" ".join(message.split()), details=details)
