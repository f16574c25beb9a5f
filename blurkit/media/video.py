"""Video: decode, detect, track, obscure and encode as a stream, through ffmpeg."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from blurkit.media.ffmpeg import VideoInfo, probe, read_frame

__all__ = ["VideoInfo", "probe_video", "read_video_frame"]


def probe_video(path: str | Path) -> VideoInfo:
    """Size (upright), frame count, average frame rate, duration, audio and rotation of a video.
    Reads the container's packet list; decodes nothing."""
    return probe(Path(path)).info


def read_video_frame(path: str | Path, index: int) -> np.ndarray:
    """Frame ``index`` (0-based) as upright RGB uint8, decoded from the nearest keyframe before it."""
    return read_frame(Path(path), index)
