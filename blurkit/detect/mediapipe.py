"""MediaPipe BlazeFace through the Tasks API: fast, but made for selfies.

Its fixed 128/192 px input misses small faces; ``detect.multiscale`` tiles the
image for it. Useful beside CenterFace on large, tilted or partly hidden faces.
"""

from __future__ import annotations

import threading

import numpy as np

from blurkit.detect.models import model_path
from blurkit.regions import Region

MODELS = {"short": "face_detection_short_range.tflite", "full": "face_detection_full_range_sparse.tflite"}


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
        # Close before mediapipe's dispatcher threads stop: left to interpreter shutdown, its own
        # __del__ prints a traceback. threading's exit hooks run newest first, before those threads end
        # (the hook concurrent.futures uses; plain atexit runs too late).
        threading._register_atexit(self._detector.close)  # type: ignore[attr-defined]

    def detect(self, image: np.ndarray) -> list[Region]:
        frame = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(image))
        found = []
        for d in self._detector.detect(frame).detections:
            b = d.bounding_box
            score = d.categories[0].score if d.categories else 1.0
            found.append(Region(b.origin_x, b.origin_y, b.origin_x + b.width, b.origin_y + b.height, float(score)))
        return found
