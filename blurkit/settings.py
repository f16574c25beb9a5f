"""Every user-facing setting, defined once for the CLI, the GUI and the API."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import Field, asdict, dataclass, field, fields, replace
from typing import Any

# What each mode leaves of a face. The CLI's --help, the README and the GUI show these words.
MODES: dict[str, str] = {
    "erase": (
        "default; a soft patch in the tones and light of the face's surroundings, taken only from "
        "outside the mask, with a faint darker rim and fine grain. Nothing inside the mask reaches the "
        "output, so nothing can be recovered."
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
SECOND_LOOK = ("on", "off")
ANY_ANGLE = ("on", "off")
PARTIAL = ("refuse", "accept")
# Video settings of --fast: sparser, coarser detection and the quickest encoder preset
# (benchmarks/video_bench.py measures both against deface).
FAST_VIDEO = {"detect_every": 12, "detect_megapixels": 1.0, "preset": "ultrafast"}


def _color(text: str) -> tuple[int, int, int]:
    value = text.lstrip("#")
    try:
        if len(value) != 6:
            raise ValueError
        return tuple(int(value[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    except ValueError:
        raise ValueError("use a hex colour like 000000 or #808080") from None


def _scales(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(s) for s in text.split(","))
    except ValueError:
        raise ValueError("use comma-separated numbers like 1,1.6") from None


def _setting(
    default: object,
    help: str,
    group: str,
    *,
    choices: Collection[str] | None = None,
    between: tuple[float, float] | None = None,
    metavar: str | None = None,
    parse: Callable[[str], object] | None = None,
    show: Callable[[object], str] = str,
    step: float | None = None,
    detection: bool = False,
) -> Any:
    """A setting with everything the front ends need to offer it: the CLI's flag and help, the check of
    its value, the app's control (its range and step) and the README's table all read this. ``detection``
    marks a setting that changes what is found: the app finds faces again, and ``blurkit check`` takes it."""
    meta = {"help": help, "group": group, "choices": choices, "between": between, "metavar": metavar}
    return field(default=default, metadata=meta | {"parse": parse, "show": show, "step": step, "detection": detection})


@dataclass(frozen=True)
class Settings:
    mode: str = _setting("erase", "how faces are obscured; the modes are listed below", "obscuring", choices=MODES)
    # Defaults of mask_scale, threshold and scales chosen on WIDER FACE photos by benchmarks/photo_tune.py.
    mask_scale: float = _setting(
        1.4,
        "grow each detected face box by X to cover hair, ears and chin",
        "obscuring",
        between=(0.5, 4),
        metavar="X",
        step=0.1,
    )
    shape: str = _setting("ellipse", "mask shape (soft edges lie outside the mask)", "obscuring", choices=SHAPES)
    color: tuple[int, int, int] = _setting(
        (0, 0, 0),
        "colour for --mode fill",
        "obscuring",
        metavar="RRGGBB",
        parse=_color,
        show=lambda c: "".join(f"{v:02x}" for v in c),  # type: ignore[attr-defined]
    )
    # Low on purpose: a missed face is worse than a covered sign.
    threshold: float = _setting(
        0.13,
        "detector confidence; lower finds more faces and more false alarms",
        "detection",
        between=(0.01, 0.99),
        metavar="T",
        step=0.01,
        detection=True,
    )
    detector: str = _setting("centerface", "detector backend", "detection", choices=DETECTORS, detection=True)
    # >1 finds the 10-25 px faces of a crowd.
    scales: tuple[float, ...] = _setting(
        (1.0, 1.5),
        "image scales to detect at; larger ones find smaller faces but run slower",
        "detection",
        between=(0.25, 4),
        metavar="S,S",
        parse=_scales,
        show=lambda v: ",".join(f"{s:g}" for s in v),  # type: ignore[attr-defined]
        step=0.25,
        detection=True,
    )
    # On by default: on wider-dev it covers 2-3 in 1000 more faces >= 24 px for 1.50x the time of a photo
    # (benchmarks/second_look_bench.py, and the README's table of the looks tried).
    second_look: str = _setting(
        "on",
        "after obscuring, look for faces again in the output with a detector that fails differently, and cover "
        "what it finds too (the report marks them); photos always, video on every full search",
        "detection",
        choices=SECOND_LOOK,
        detection=True,
    )
    # On by default: the detector finds faces within about 45 degrees of upright, and a face published
    # sideways is as identifiable as an upright one (turning a picture costs an attacker nothing).
    any_angle: str = _setting(
        "on",
        "also search the picture turned 90, 180 and 270 degrees, so faces at any roll are found (people lying "
        "down, a camera held sideways, a lost orientation tag), each turn as upright is",
        "detection",
        choices=ANY_ANGLE,
        detection=True,
    )
    # Obscured faces still look like heads to a detector (blurkit's erased patches score up to about 0.7), so
    # a check reports only surer finds: benchmarks/check_bench.py found CenterFace scoring up to 0.62 outside
    # every mask in fully covered outputs, and faces deliberately left visible mostly above 0.8. The name badge
    # under the erased face of sample_media/two_faces.mp4 scores 0.57-0.72 from run to run (the patch's grain
    # comes from each run's secret), so 0.7 cried wolf on about one run in five.
    check_threshold: float = _setting(
        0.75,
        "least score of a face reported by blurkit check and by the check of every output in an HTML report",
        "detection",
        between=(0.01, 0.99),
        metavar="T",
        step=0.01,
    )
    crf: int = _setting(
        20, "H.264 quality, lower is better and bigger", "video", between=(0, 51), metavar="N", parse=int, step=1
    )
    # superfast: 1080p files about 30 % larger than veryfast, for 40 % less encoding time.
    preset: str = _setting("superfast", "H.264 speed preset; slower ones compress better", "video", choices=PRESETS)
    audio: str = _setting("keep", "keep or drop the sound (the first audio stream)", "video", choices=AUDIO)
    # The tracker covers the frames between full passes, the look-ahead those before a face's first detection.
    detect_every: int = _setting(
        8,
        "the full search for small faces runs on every Nth frame (every frame is checked for larger ones)",
        "video",
        between=(1, 30),
        metavar="N",
        parse=int,
        step=1,
        detection=True,
    )
    detect_megapixels: float = _setting(
        2.1,
        "size of that full search, in megapixels (2.1 = 1080p at full size)",
        "video",
        between=(0.1, 16),
        metavar="MP",
        step=0.1,
        detection=True,
    )
    partial: str = _setting(
        "refuse",
        "a video that ends before its container says it does (an interrupted copy or download): refuse it, or "
        "accept it and anonymize the frames it holds (the report records the shortfall either way)",
        "video",
        choices=PARTIAL,
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value, meta = getattr(self, f.name), f.metadata
            label = f.name.replace("_", " ")
            if meta["choices"] is not None and value not in meta["choices"]:
                raise ValueError(f"unknown {label} {value!r}; choose one of {', '.join(meta['choices'])}")
            if meta["between"] is not None:
                low, high = meta["between"]
                values = value if isinstance(value, tuple) else (value,)
                if not values or any(not low <= v <= high for v in values):
                    raise ValueError(f"{label} must be between {low:g} and {high:g}")
        if any(not 0 <= c <= 255 for c in self.color) or len(self.color) != 3:
            raise ValueError("color must be three levels between 0 and 255")

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["scales"] = list(self.scales)
        d["color"] = list(self.color)
        return d


def setting_fields() -> tuple[Field, ...]:
    """Every setting, in order, with its metadata (see ``_setting``)."""
    return fields(Settings)


def detection_fields() -> tuple[str, ...]:
    """The names of the settings that change what is found (see ``_setting``'s ``detection``)."""
    return tuple(f.name for f in fields(Settings) if f.metadata["detection"])
