"""Every user-facing setting, defined once for the CLI, the GUI and the API."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

# What each mode leaves of a face. The CLI's --help, the README and the GUI show these words.
MODES: dict[str, str] = {
    "erase": (
        "default; replaces the face with colours taken from just outside the mask, plus noise. "
        "Nothing inside the mask reaches the output, so nothing can be recovered."
    ),
    "fill": "solid colour (--color). Nothing inside the mask reaches the output.",
    "pixelate": (
        "at most 4 coarse cells across the face, plus noise. Keeps only a few average colours (skin tone, hair colour)."
    ),
    "blur": (
        "the face is first reduced to 3x3 average colours with noise, then blurred. Looks like a "
        "blur but keeps only those few colours; a plain Gaussian blur would be recognisable."
    ),
}

SHAPES = ("ellipse", "box")
DETECTORS = ("centerface", "mediapipe", "both")


@dataclass(frozen=True)
class Settings:
    mode: str = "erase"
    # Detected face boxes are grown by this factor to cover hair, ears and chin.
    mask_scale: float = 1.3
    shape: str = "ellipse"
    # Detector confidence; low on purpose: a missed face is worse than a covered sign.
    threshold: float = 0.2
    detector: str = "centerface"
    # Image scales the detector runs at; >1 finds the 10-25 px faces of a crowd.
    scales: tuple[float, ...] = (1.0,)
    color: tuple[int, int, int] = (0, 0, 0)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; choose one of {', '.join(MODES)}")
        if self.shape not in SHAPES:
            raise ValueError(f"unknown shape {self.shape!r}; choose one of {', '.join(SHAPES)}")
        if self.detector not in DETECTORS:
            raise ValueError(f"unknown detector {self.detector!r}; choose one of {', '.join(DETECTORS)}")
        if not 0.5 <= self.mask_scale <= 4:
            raise ValueError("mask scale must be between 0.5 and 4")
        if not 0.01 <= self.threshold <= 0.99:
            raise ValueError("threshold must be between 0.01 and 0.99")
        if not self.scales or any(not 0.25 <= s <= 4 for s in self.scales):
            raise ValueError("detection scales must be between 0.25 and 4")

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["scales"] = list(self.scales)
        d["color"] = list(self.color)
        return d
