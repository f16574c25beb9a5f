"""MediaPipe BlazeFace through the Tasks API: fast, but made for selfies.

Its fixed 128/192 px input misses most small faces (about 6 % of crowd faces
>= 10 px), so it is an option (``--detector mediapipe`` or ``both``), not the
default; ``both`` adds it beside CenterFace for large, close-up faces.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from blurkit.detect.models import model_path
from blurkit.regions import Region

MODELS = {"short": "face_detection_short_range.tflite", "full": "face_detection_full_range_sparse.tflite"}


_OPEN: weakref.WeakSet = weakref.WeakSet()


def close_all() -> None:
    """Close every loaded detector now (a test session's end), so mediapipe's native logs come
    before any summary. Left to interpreter shutdown, its own __del__ would print a traceback."""
    for detector in list(_OPEN):
        detector.close()
    _OPEN.clear()


class BlazeFace:
    name = "mediapipe"

    def __init__(self, threshold: float = 0.5, model: str = "full") -> None:
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_path=str(model_path(MODELS[model]))),
            min_detection_confidence=threshold,
        )
        self._detector = vision.FaceDetector.create_from_options(options)
        _OPEN.add(self._detector)
        # threading's exit hooks run newest first, so this one runs before the dispatcher this
        # detector just started stops (plain atexit would run too late)
        threading._register_atexit(self._detector.close)  # type: ignore[attr-defined]

    def detect(self, image: np.ndarray) -> list[Region]:
        frame = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(image))
        found = []
        for d in self._detector.detect(frame).detections:
            b = d.bounding_box
            score = d.categories[0].score if d.categories else 1.0
            found.append(Region(b.origin_x, b.origin_y, b.origin_x + b.width, b.origin_y + b.height, float(score)))
        return found
