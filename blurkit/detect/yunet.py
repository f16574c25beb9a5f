"""YuNet (libfacedetection, Wu et al. 2023): a second model family for ``blurkit check``.

A check built on the anonymizer's own detector (CenterFace) is blind to exactly the faces that detector
misses. YuNet is a different network, trained differently, so its misses fall elsewhere
(``benchmarks/check_bench.py`` measures how independent the two are). It runs in OpenCV's
``FaceDetectorYN`` at any input size.

Weights: ``onnx/yunet_s_640_640.onnx`` of github.com/ShiqiYu/libfacedetection.train at commit
0047ac24afb1a50a0c6105001c89d1b5b805dbf1 (Apache-2.0, ``models/LICENSE.yunet.txt``); byte for byte the
file OpenCV Zoo ships as ``face_detection_yunet_2023mar.onnx`` (MIT there), sha256 in ``detect.models``.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from blurkit.detect.models import model_path
from blurkit.regions import Region

MODEL = "yunet_s_640_640.onnx"
# Overlap above which OpenCV's own NMS merges two boxes, and the most faces one call returns.
NMS, TOP_K = 0.3, 5000


class YuNet:
    """One loaded network; calls are serialised (OpenCV's detector holds per-call state)."""

    name = "yunet"

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._net = cv2.FaceDetectorYN.create(str(model_path(MODEL)), "", (320, 320), threshold, NMS, TOP_K)
        self._lock = threading.Lock()

    def detect(self, image: np.ndarray) -> list[Region]:
        """Faces in an RGB picture, in its pixels."""
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        with self._lock:
            self._net.setInputSize((bgr.shape[1], bgr.shape[0]))
            _, faces = self._net.detect(bgr)
        if faces is None:
            return []
        return [
            Region(float(x), float(y), float(x + w), float(y + h), float(f[-1]))
            for f in faces
            for x, y, w, h in [f[:4]]
        ]
