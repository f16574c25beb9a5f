"""Media formats behind small adapters: photos in ``media.image``, video through ``media.ffmpeg``.

The suffixes blurkit accepts are the ones its adapters can write back, so the two cannot drift.
A GIF, animated or still, is a silent video: every frame is obscured on its own, as in a video.
"""

from pathlib import Path

from blurkit.media.ffmpeg import CONTAINERS
from blurkit.media.image import FORMATS

PHOTO_SUFFIXES = frozenset(FORMATS)
VIDEO_SUFFIXES = frozenset(CONTAINERS)


def kind_of(path: Path) -> str | None:
    """'photo', 'video' or None, by file name; content is checked when it is read."""
    suffix = path.suffix.lower()
    if suffix in PHOTO_SUFFIXES:
        return "photo"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    return None
