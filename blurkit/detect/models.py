"""The face models shipped inside the package, checked against their sha256 before use."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from blurkit.errors import ModelError

MODEL_DIR = Path(__file__).resolve().parent.parent / "models"

SHA256 = {
    "centerface.onnx": "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc",
    # centerface.onnx quantized to INT8 by packaging/quantize_centerface.py: what OpenVINO runs (detect/centerface.py)
    "centerface_int8.xml": "8a2513304ea634f4c50b1f25711878f682b6e16636f4f95e409efb528b8242aa",
    "centerface_int8.bin": "6871a86cf54a98263e24ac2a86a76c876e8224ab95132879b208c7003cb0aa9e",
    "face_detection_short_range.tflite": "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
    "face_detection_full_range_sparse.tflite": "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
    # libfacedetection.train onnx/yunet_s_640_640.onnx (Apache-2.0), the same file as OpenCV Zoo's
    # face_detection_yunet_2023mar.onnx: the check's second model family (detect/yunet.py)
    "yunet_s_640_640.onnx": "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
}


@cache
def model_path(name: str) -> Path:
    """Path of a shipped model; refuses a missing or altered file rather than detect with it."""
    path = MODEL_DIR / name
    if not path.is_file():
        raise ModelError(f"model {name} is missing from {MODEL_DIR}; reinstall blurkit")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256[name]:
        raise ModelError(f"model {path} is damaged (sha256 {digest[:12]}…); reinstall blurkit")
    return path
