"""CenterFace (Xu et al. 2019): the crowd-grade backend.

Fully convolutional, so it runs at any input size divisible by 32; upscaling the
image is how small faces are found (see ``detect.multiscale``).

Runtime: OpenVINO's CPU plugin when the ``openvino`` package imports and compiles the
model, else OpenCV DNN. OpenVINO runs the network quantized to INT8
(``centerface_int8.xml``, made by ``packaging/quantize_centerface.py``): 1.5x less CPU than
its fp32 (and fp32 OpenVINO was 1.7-1.9x as fast as OpenCV's DNN module, see
``benchmarks/detector_runtime.py``), with the same recall on held-out photos upright and
turned (``benchmarks/int8_bench.py``). OpenCV runs the fp32 original; both get the same
input blob and the same decoding, and their detections agree to a few hundredths of a score.
If OpenVINO fails at load or on an input, that instance falls back to OpenCV DNN for good
(with a RuntimeWarning); if OpenCV fails too, the error propagates and ``detect_faces``
raises, so a failure is never read as "no faces".

``BLURKIT_RUNTIME=opencv`` forces OpenCV DNN (for debugging, and the equivalence tests),
``BLURKIT_RUNTIME=openvino`` requires OpenVINO with no fallback, and ``auto`` (or unset) is
the default above; it is read when a ``CenterFace`` is made (``detect.backends_for`` caches
one per process).

An instance serialises its own calls with a lock: OpenCV's net and OpenVINO's infer
request hold per-call state, so two threads must not run one at once.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections import OrderedDict
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from blurkit.detect.models import model_path
from blurkit.regions import Region

if TYPE_CHECKING:
    import openvino as ov

RUNTIME_ENV = "BLURKIT_RUNTIME"
# OpenVINO's model: centerface.onnx quantized to INT8 (its IR, and the weights beside it)
OPENVINO_MODEL = ("centerface_int8.xml", "centerface_int8.bin")
RUNTIMES = ("auto", "openvino", "opencv")
# heat, scale, offset, landmarks: the network's outputs, in the order OpenCV's getUnconnectedOutLayersNames gives
OUTPUTS = ("537", "538", "539", "540")


class _OpenVino:
    """The model compiled for any input size (dynamic shape), plus a fixed-size copy for each size up to 720p
    seen STATIC_AFTER times. A fixed-size model runs about 10 % faster up to 1280x720 (3 % at 1920x1080), so
    video's repeated sizes get one; a compile costs 0.15-0.4 s, so a size seen a few times (photos) does not,
    nor do larger sizes, where a fixed-size model would also hold 300-550 MB."""

    STATIC_MODELS = 4  # fixed-size models kept, the least recently used dropped first
    # uses of a size before it gets a fixed-size model: a video's sizes repeat every frame; a folder of photos
    # repeats a few sizes now and then, and compiling for each would cost more than it saves
    STATIC_AFTER = 16
    STATIC_MAX_PIXELS = 1280 * 736

    def __init__(self, model: Path, weights: Path | None = None) -> None:
        import openvino as ov

        self._core = ov.Core()
        self._model = self._core.read_model(model, weights)
        self._model.reshape({self._model.inputs[0]: [1, 3, -1, -1]})
        self._config = {
            # the layers left unquantized in fp32 even where OpenVINO defaults to bf16 (CPUs with AMX or
            # AVX512-BF16), whose result would then depend on the CPU
            "INFERENCE_PRECISION_HINT": "f32",
            # one stream: detect() runs one frame at a time, synchronously
            "PERFORMANCE_HINT": "LATENCY",
            # OpenCV's thread budget, which batch workers set per process
            "INFERENCE_NUM_THREADS": max(1, cv2.getNumThreads()),
            # unpinned: video decode and encode share these cores, and pinned threads cannot move off a busy one
            "ENABLE_CPU_PINNING": False,
        }
        self._dynamic = self._compile(self._model)
        self._static: OrderedDict[tuple[int, int], ov.InferRequest] = OrderedDict()
        self._seen: dict[tuple[int, int], int] = {}

    def _compile(self, model: ov.Model) -> ov.InferRequest:
        return self._core.compile_model(model, "CPU", self._config).create_infer_request()

    def _request(self, h: int, w: int) -> ov.InferRequest:
        shape = (h, w)
        if shape in self._static:
            self._static.move_to_end(shape)
            return self._static[shape]
        self._seen[shape] = self._seen.get(shape, 0) + 1
        if self._seen[shape] < self.STATIC_AFTER or h * w > self.STATIC_MAX_PIXELS:
            if len(self._seen) >= 256:  # a long batch of photos of many sizes
                self._seen.clear()
            return self._dynamic
        model = self._model.clone()
        model.reshape({model.inputs[0]: [1, 3, h, w]})
        self._static[shape] = self._compile(model)
        if len(self._static) > self.STATIC_MODELS:
            self._static.popitem(last=False)
        return self._static[shape]

    def forward(self, blob: np.ndarray) -> list[np.ndarray]:
        request = self._request(*blob.shape[2:])
        results = request.infer({0: blob}, share_inputs=True)
        return [results[name] for name in OUTPUTS]


def input_blob(image: np.ndarray) -> np.ndarray:
    """The network's input for an RGB image: padded to a multiple of 32 rather than resized, so boxes need no
    rescaling (also what packaging/quantize_centerface.py calibrates on)."""
    h, w = image.shape[:2]
    ph, pw = -(-h // 32) * 32, -(-w // 32) * 32
    if (ph, pw) != (h, w):
        image = cv2.copyMakeBorder(image, 0, ph - h, 0, pw - w, cv2.BORDER_CONSTANT, value=0)
    return cv2.dnn.blobFromImage(image, 1.0, (pw, ph), (0, 0, 0), swapRB=False, crop=False)


class CenterFace:
    name = "centerface"

    def __init__(self, threshold: float = 0.2, runtime: str | None = None) -> None:
        """``runtime``: "auto" (OpenVINO, else OpenCV), "openvino" (no fallback) or "opencv"; default from
        $BLURKIT_RUNTIME, else "auto"."""
        runtime = runtime or os.environ.get(RUNTIME_ENV) or "auto"
        if runtime not in RUNTIMES:
            raise ValueError(f"unknown CenterFace runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}")
        self.threshold = threshold
        # a missing or damaged model fails here, on any runtime
        self._path = model_path("centerface.onnx")
        quantized = [model_path(name) for name in OPENVINO_MODEL]
        self._strict = runtime == "openvino"
        self._lock = threading.Lock()
        self._openvino: _OpenVino | None = None
        if runtime != "opencv":
            try:
                self._openvino = _OpenVino(*quantized)
            except ImportError:
                if self._strict:
                    raise
            except Exception as exc:
                self._fall_back(exc)
        # the runtime the next detect() uses: "openvino" or "opencv"
        self.runtime = "openvino" if self._openvino else "opencv"

    @cached_property
    def _opencv(self) -> tuple[cv2.dnn.Net, tuple[str, ...]]:
        net = cv2.dnn.readNetFromONNX(str(self._path))
        return net, net.getUnconnectedOutLayersNames()

    def _fall_back(self, exc: Exception) -> None:
        if self._strict:
            raise exc
        warnings.warn(f"OpenVINO failed ({exc}); CenterFace runs on OpenCV DNN instead", RuntimeWarning, stacklevel=3)
        self._openvino = None
        self.runtime = "opencv"

    def detect(self, image: np.ndarray) -> list[Region]:
        """Faces in an RGB image, in its own pixel coordinates."""
        blob = input_blob(image)
        with self._lock:
            heat, scale, offset, _landmarks = self._forward(blob)
            return self._decode(heat[0, 0], scale[0], offset[0])

    def _forward(self, blob: np.ndarray) -> list[np.ndarray]:
        if self._openvino is not None:
            try:
                return self._openvino.forward(blob)
            except Exception as exc:
                self._fall_back(exc)
        net, outputs = self._opencv
        net.setInput(blob)
        return net.forward(outputs)

    def _decode(self, heat: np.ndarray, scale: np.ndarray, offset: np.ndarray) -> list[Region]:
        ys, xs = np.nonzero(heat > self.threshold)
        if len(ys) == 0:
            return []
        bh = np.exp(scale[0, ys, xs]) * 4
        bw = np.exp(scale[1, ys, xs]) * 4
        cy = (ys + offset[0, ys, xs] + 0.5) * 4
        cx = (xs + offset[1, ys, xs] + 0.5) * 4
        # not clipped to the image: a face cut by the edge keeps its centre and size, so its
        # grown mask still reaches the edge (obscure clips)
        x0, y0, x1, y1 = cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2
        scores = heat[ys, xs]
        boxes = np.stack([x0, y0, x1 - x0, y1 - y0], axis=1)
        keep = cv2.dnn.NMSBoxes(boxes.tolist(), scores.tolist(), self.threshold, 0.3)
        return [
            Region(float(x0[i]), float(y0[i]), float(x1[i]), float(y1[i]), float(scores[i]))
            for i in np.asarray(keep).reshape(-1)
        ]
