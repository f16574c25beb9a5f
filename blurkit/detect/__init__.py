"""Face detection: backends behind one small interface, combined by ``multiscale``."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from blurkit.detect.multiscale import Backend, detect_multiscale
from blurkit.errors import DetectionError
from blurkit.regions import Region
from blurkit.settings import Settings

__all__ = ["TURNS", "Backend", "backends_for", "detect_faces", "detect_turned"]

# The picture's turns (degrees clockwise) searched besides upright with any_angle on: CenterFace finds faces
# within about 45 degrees of upright, so these four find a face at any roll.
TURNS = (90, 180, 270)


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


def detect_faces(image: np.ndarray, settings: Settings | None = None, *, close_up: bool = True) -> list[Region]:
    """Faces in an upright RGB image at any roll: the search at ``settings.scales`` (and with ``close_up`` the
    close-up pass, for a face that fills the picture: ``multiscale.close_ups``), and with
    ``settings.any_angle`` on the same search of the image turned by each of TURNS. A turned face gets the
    search an upright one gets, so it is found as often: on two sets of 38 wider-dev photos turned by pixels
    (main pass only) turned recall was 0.012-0.022 under upright with the turned copies at one middle scale
    (1.22), at most 0.005 under at 1 and 1.5. Raises DetectionError instead of returning a partial answer.

    Cost: one CenterFace pass per scale and turn, in proportion to its pixels: any_angle on costs four times
    the upright search."""
    settings = settings or Settings()
    turns = (0, *TURNS) if settings.any_angle == "on" else (0,)
    plan = dict.fromkeys(turns, settings.scales)
    return _detect(image, settings, plan, close_up)


def detect_turned(
    image: np.ndarray, settings: Settings, scales: tuple[float, ...], turns: tuple[int, ...] = (0, *TURNS)
) -> list[Region]:
    """Faces in an RGB image (a frame, or a crop of one: add the crop's corner with ``Region.moved``) searched
    at exactly ``scales`` in each of ``turns`` (degrees clockwise; ``settings.scales`` and ``any_angle`` are not
    read), in the image's own coordinates. The lower-level call for a pass that chooses its own scales and
    turns, such as video's every-frame pass. Raises DetectionError instead of returning a partial answer.

    Cost: one CenterFace pass per scale and turn, in proportion to the pixels at that scale; a turn costs what
    upright does. A 1920x1080 frame (CPU time on 2 threads, best of 3, on a busy shared machine): scale 0.4
    (432 rows, video's every-frame size) 77 ms upright, 88 ms a turn, 352 ms all four; scale 0.5 122 ms
    upright, 507 ms all four; scale 1 (video's full search) 504 ms upright, 2.0 s all four."""
    return _detect(image, settings, dict.fromkeys(turns, scales))


def _detect(
    image: np.ndarray, settings: Settings, plan: dict[int, tuple[float, ...]], close_up: bool = False
) -> list[Region]:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise DetectionError(f"expected an RGB uint8 image, got shape {image.shape} {image.dtype}")
    try:
        backends = backends_for(settings.detector, settings.threshold)
        return detect_multiscale(list(backends), image, plan, close_up)
    except DetectionError:
        raise
    except Exception as exc:  # an OpenCV or MediaPipe failure must not become "no faces"
        raise DetectionError(f"face detection failed: {exc}") from exc
