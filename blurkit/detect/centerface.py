"""CenterFace (Xu et al. 2019) through OpenCV's DNN module: the crowd-grade backend.

Fully convolutional, so it runs at any input size divisible by 32; upscaling the
image is how small faces are found (see ``detect.multiscale``).
"""

from __future__ import annotations

import cv2
import numpy as np

from blurkit.detect.models import model_path
from blurkit.regions import Region


class CenterFace:
    name = "centerface"

    def __init__(self, threshold: float = 0.2) -> None:
        self.threshold = threshold
        self._net = cv2.dnn.readNetFromONNX(str(model_path("centerface.onnx")))
        self._outputs = self._net.getUnconnectedOutLayersNames()

    def detect(self, image: np.ndarray) -> list[Region]:
        """Faces in an RGB image, in its own pixel coordinates."""
        h, w = image.shape[:2]
        # pad to a multiple of 32 rather than resize, so boxes need no rescaling
        ph, pw = -(-h // 32) * 32, -(-w // 32) * 32
        if (ph, pw) != (h, w):
            image = cv2.copyMakeBorder(image, 0, ph - h, 0, pw - w, cv2.BORDER_CONSTANT, value=0)
        blob = cv2.dnn.blobFromImage(image, 1.0, (pw, ph), (0, 0, 0), swapRB=False, crop=False)
        self._net.setInput(blob)
        heat, scale, offset, _landmarks = self._net.forward(self._outputs)
        return self._decode(heat[0, 0], scale[0], offset[0])

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
