"""Every user-facing setting, defined once for the CLI, the GUI and the API."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

# What each mode leaves of a face. The CLI's --help, the README and the GUI show these words.
MODES: dict[str, str] = {
    "erase": (
        "default; replaces the face with colours taken from just outside the mask, plus noise. "
        "Nothing inside the mask reaches the output, so nothing can be recovered."
    ),
    "fill": "solid colour (black unless another is chosen). Nothing inside the mask reaches the output.",
    "pixelate": (
        "at most 4 coarse cells across the face, plus noise. Keeps only a few average colours (skin tone, hair colour)."
    ),
    "blur": (
        "the face is first reduced to 3x3 average colours with noise, then blurred. Looks like a "
        "blur but keeps only those few colours; a plain Gaussian blur would be recognisable."
    ),
}

# What blurkit never removes: every front end says so plainly.
NOT_REMOVED = (
    "tattoos, clothing, hair, gait and body shape; voices and speech in video; "
    "signs, banners, name tags and vehicle plates; reflections; faces the detector missed"
)

SHAPES = ("ellipse", "box")
DETECTORS = ("centerface", "mediapipe", "both")
# x264 speed presets, fastest first; slower ones compress better.
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
AUDIO = ("keep", "drop")
# Video settings of --fast: sparser, coarser detection and the quickest encoder preset
# (benchmarks/video_bench.py measures both against deface).
FAST_VIDEO = {"detect_every": 12, "detect_megapixels": 1.0, "preset": "ultrafast"}


@dataclass(frozen=True)
class Settings:
    mode: str = "erase"
    # Detected face boxes are grown by this factor to cover hair, ears and chin.
    # Defaults chosen on WIDER FACE photos by benchmarks/photo_tune.py (see README).
    mask_scale: float = 1.4
    shape: str = "ellipse"
    # Detector confidence; low on purpose: a missed face is worse than a covered sign.
    threshold: float = 0.13
    detector: str = "centerface"
    # Image scales the detector runs at; >1 finds the 10-25 px faces of a crowd.
    scales: tuple[float, ...] = (1.0, 1.5)
    color: tuple[int, int, int] = (0, 0, 0)
    # Video: x264 quality (CRF, lower is better and bigger) and speed preset (superfast: 1080p files about
    # 30 % larger than veryfast, for 40 % less encoding time); keep or drop the first audio stream.
    crf: int = 20
    preset: str = "superfast"
    audio: str = "keep"
    # Video detection runs on every k-th frame, at about this many megapixels (2.1 = 1080p at full size);
    # the tracker covers the frames between, the look-ahead those before a face's first detection.
    detect_every: int = 8
    detect_megapixels: float = 2.1

    def __post_init__(self) -> None:
        choices = {"mode": MODES, "shape": SHAPES, "detector": DETECTORS, "preset": PRESETS, "audio": AUDIO}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"unknown {name} {getattr(self, name)!r}; choose one of {', '.join(allowed)}")
        if not 0.5 <= self.mask_scale <= 4:
            raise ValueError("mask scale must be between 0.5 and 4")
        if not 0.01 <= self.threshold <= 0.99:
            raise ValueError("threshold must be between 0.01 and 0.99")
        if not self.scales or any(not 0.25 <= s <= 4 for s in self.scales):
            raise ValueError("detection scales must be between 0.25 and 4")
        if not 0 <= self.crf <= 51:
            raise ValueError("crf must be between 0 and 51")
        if not 1 <= self.detect_every <= 30:
            raise ValueError("detect every must be between 1 and 30 frames")
        if not 0.1 <= self.detect_megapixels <= 16:
            raise ValueError("detection megapixels must be between 0.1 and 16")

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["scales"] = list(self.scales)
        d["color"] = list(self.color)
        return d
