"""Face detection: backends behind one small interface, combined by ``multiscale``."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from blurkit.detect.multiscale import Backend, detect_multiscale
from blurkit.errors import DetectionError
from blurkit.regions import Region
from blurkit.settings import Settings

__all__ = ["Backend", "backends_for", "detect_faces"]


@lru_cache(maxsize=4)
def backends_for(detector: str, threshold: float) -> tuple[Backend, ...]:
    """Loaded backends, cached per process: loading a network costs more than a photo."""
    chosen: list[Backend] = []
    if detector in ("centerface", "both"):
        from blurkit.detect.centerface import CenterFace

        chosen.append(CenterFace(threshold))
    if detector in ("mediapipe", "both"):
        from blurkit.detect.mediapipe import BlazeFace

        chosen.append(BlazeFace(max(threshold, 0.3)))
    return tuple(chosen)


def detect_faces(image: np.ndarray, settings: Settings | None = None) -> list[Region]:
    """Faces in an upright RGB image. Raises DetectionError instead of returning a partial answer."""
    settings = settings or Settings()
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise DetectionError(f"expected an RGB uint8 image, got shape {image.shape} {image.dtype}")
    try:
        backends = backends_for(settings.detector, settings.threshold)
        return detect_multiscale(list(backends), image, settings.scales)
    except DetectionError:
        raise
    except Exception as exc:  # an OpenCV or MediaPipe failure must not become "no faces"
        raise DetectionError(f"face detection failed: {exc}") from exc
