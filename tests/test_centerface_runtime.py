"""CenterFace's two runtimes: OpenVINO (running the network quantized to INT8) is the default when installed, and
it finds the faces OpenCV DNN (the fp32 original) finds, on real faces at several input sizes, through tiles and
scales, and on crowd photos."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

import blurkit
from blurkit.detect import backends_for, detect_faces
from blurkit.detect.centerface import RUNTIME_ENV, CenterFace
from blurkit.regions import Region, boxes_of, iou_matrix

SAMPLES = Path(__file__).resolve().parent.parent / "sample_media"
THRESHOLD = blurkit.Settings().threshold
# INT8 against fp32: most scores move by under 0.01, a few by up to 0.15 (0.915 to 0.816 on a sample frame), boxes
# by a few pixels; a find near the threshold may come or go, which benchmarks/int8_bench.py weighs (recall).
CONFIDENT = 0.3
SCORE_TOLERANCE = 0.2
TYPICAL_MOVE = 0.03


def photo(name: str) -> np.ndarray:
    return blurkit.load_photo(SAMPLES / name).pixels


def video_frames(*indices: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(SAMPLES / "two_faces.mp4"))
    frames = []
    for i in range(max(indices) + 1):
        ok, bgr = cap.read()
        assert ok, f"two_faces.mp4 has no frame {i}"
        if i in indices:
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames


def crowd_photos(shared_data: Path, count: int = 3) -> list[np.ndarray]:
    """A few WIDER FACE crowds, read in place (research data, never copied into the project)."""
    images = sorted((shared_data / "wider-dev" / "images").rglob("*.jpg"))[:count]
    if not images:
        pytest.skip("../shared/data/wider-dev has no photos")
    return [blurkit.load_photo(p).pixels for p in images]


def assert_same_faces(reference: list[Region], other: list[Region], least_iou: float = 0.85) -> list[float]:
    """Every find of either at CONFIDENT or more is a find of the other: the box with the best IoU, at least
    ``least_iou``, scores within SCORE_TOLERANCE of it. Returns how far those scores moved."""
    moves: list[float] = []
    for a, b in ((reference, other), (other, reference)):
        confident = [r for r in a if r.score >= CONFIDENT]
        if not confident:
            continue
        assert b, f"{len(confident)} confident find(s) against none"
        iou = iou_matrix(boxes_of(confident), boxes_of(b))
        match = iou.argmax(axis=1)
        assert iou.max(axis=1).min() >= least_iou, iou.max(axis=1)
        moved = np.array([r.score for r in confident]) - np.array([b[j].score for j in match])
        assert np.abs(moved).max() <= SCORE_TOLERANCE, moved
        moves += np.abs(moved).tolist()
    return moves


@pytest.fixture(scope="module")
def runtimes() -> tuple[CenterFace, CenterFace]:
    return CenterFace(THRESHOLD, runtime="opencv"), CenterFace(THRESHOLD, runtime="openvino")


@pytest.fixture
def fresh_backends() -> Iterator[None]:
    """detect_faces with backends made under this test's environment, and the default ones again after it."""
    backends_for.cache_clear()
    yield
    backends_for.cache_clear()


def test_openvino_is_the_default_runtime(monkeypatch, fresh_backends) -> None:
    """With openvino installed, detect_faces runs on it: it still finds the face with OpenCV's DNN
    importer broken."""
    monkeypatch.delenv(RUNTIME_ENV, raising=False)
    (backend,) = backends_for("centerface", THRESHOLD)
    assert backend.runtime == "openvino"

    def no_opencv_dnn(*args: object) -> None:
        raise AssertionError("OpenCV DNN was used")

    monkeypatch.setattr(cv2.dnn, "readNetFromONNX", no_opencv_dnn)
    assert detect_faces(photo("astronaut.png"))
    assert backend.runtime == "openvino"


def test_the_environment_forces_opencv(monkeypatch, fresh_backends) -> None:
    monkeypatch.setenv(RUNTIME_ENV, "opencv")
    (backend,) = backends_for("centerface", THRESHOLD)
    assert backend.runtime == "opencv"
    assert detect_faces(photo("astronaut.png"))


def test_an_unknown_runtime_is_refused(monkeypatch) -> None:
    monkeypatch.setenv(RUNTIME_ENV, "cuda")
    with pytest.raises(ValueError, match="unknown CenterFace runtime"):
        CenterFace(THRESHOLD)


def test_an_openvino_failure_falls_back_to_opencv(monkeypatch) -> None:
    """A shape OpenVINO cannot run must not become "no faces": that instance moves to OpenCV DNN."""
    detector = CenterFace(THRESHOLD, runtime="auto")
    assert detector.runtime == "openvino"

    def broken(blob: np.ndarray) -> list[np.ndarray]:
        raise RuntimeError("simulated inference failure")

    monkeypatch.setattr(detector._openvino, "forward", broken)
    with pytest.warns(RuntimeWarning, match="simulated inference failure"):
        found = detector.detect(photo("astronaut.png"))
    assert found
    assert detector.runtime == "opencv"


# (width, height) of the image each runtime is given; most are not multiples of 32, so both pad
SIZES = [(512, 512), (500, 333), (640, 360), (777, 1001), (1100, 620)]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_same_faces_in_the_sample_photos_and_frames(runtimes, size: tuple[int, int]) -> None:
    opencv, openvino = runtimes
    images = [photo("astronaut.png"), photo("grace_hopper.jpg"), *video_frames(10, 40, 74)]
    for image in images:
        resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        reference = opencv.detect(resized)
        assert reference
        assert_same_faces(reference, openvino.detect(resized))


def test_a_repeated_small_size_gets_a_fixed_size_model() -> None:
    """Video's every-frame size runs on a model compiled for it once it has come often, with the same result;
    a large size stays on the dynamic-shape model."""
    detector = CenterFace(THRESHOLD, runtime="openvino")
    frame = video_frames(74)[0]  # 640x360, padded to 640x384
    first = detector.detect(frame)
    for _ in range(detector._openvino.STATIC_AFTER - 2):
        detector.detect(frame)
    assert (384, 640) not in detector._openvino._static
    assert_same_faces(first, detector.detect(frame))
    assert (384, 640) in detector._openvino._static
    big = cv2.resize(frame, (1920, 1080))
    detector.detect(big)
    detector.detect(big)
    assert list(detector._openvino._static) == [(384, 640)]


def via_detect_faces(image: np.ndarray, settings: blurkit.Settings, runtime: str, monkeypatch) -> list[Region]:
    monkeypatch.setenv(RUNTIME_ENV, runtime)
    backends_for.cache_clear()
    (backend,) = backends_for(settings.detector, settings.threshold)
    assert backend.runtime == runtime
    return detect_faces(image, settings)


def test_same_faces_through_tiles_and_scales(monkeypatch, fresh_backends) -> None:
    """A 2600 px image: 2048 px tiles at 1x, and the overview pass over the whole."""
    big = cv2.resize(photo("grace_hopper.jpg"), (2600, 2300), interpolation=cv2.INTER_CUBIC)
    settings = blurkit.Settings(scales=(1.0,))
    reference = via_detect_faces(big, settings, "opencv", monkeypatch)
    assert reference
    assert_same_faces(reference, via_detect_faces(big, settings, "openvino", monkeypatch))


def test_same_faces_in_crowds(shared_data: Path, monkeypatch, fresh_backends) -> None:
    """Default settings (1x and 1.5x) on crowd photos: tens of small faces, many near the threshold. Finds of
    the two scales are merged, and a score a little off can merge two neighbours' boxes differently, so a match
    needs an IoU of 0.3 here; most scores barely move."""
    for image in crowd_photos(shared_data):
        reference = via_detect_faces(image, blurkit.Settings(), "opencv", monkeypatch)
        assert len(reference) >= 5
        moves = assert_same_faces(reference, via_detect_faces(image, blurkit.Settings(), "openvino", monkeypatch), 0.3)
        assert np.median(moves) <= TYPICAL_MOVE, moves
