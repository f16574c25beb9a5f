"""Fail closed, lose nothing: inputs untouched, outputs whole or absent, one clear line per bad file."""

from __future__ import annotations

import io
import os
import re
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from photo_fixtures import load_rgb, sha256, write_planted
from PIL import Image

import blurkit
import blurkit.atomic
import blurkit.batch
from blurkit import BlurkitError, OutputExistsError, anonymize_file
from blurkit.atomic import PARTIAL_MARK, write_atomically
from blurkit.batch import Job
from blurkit.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_media"


def all_files(folder: Path) -> list[str]:
    """Every file under ``folder``, hidden ones (partial writes) included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def decodes(path: Path) -> bool:
    with Image.open(path) as im:
        im.load()
    return True


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """A folder of two good photos (one in a subfolder)."""
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "astronaut.png").write_bytes((SAMPLES / "astronaut.png").read_bytes())
    (folder / "sub" / "hopper.jpg").write_bytes((SAMPLES / "grace_hopper.jpg").read_bytes())
    return folder


def test_inputs_are_never_modified(tmp_path: Path) -> None:
    hopper = load_rgb(SAMPLES / "grace_hopper.jpg")
    folder = tmp_path / "in"
    folder.mkdir()
    for suffix in (".jpg", ".png", ".webp", ".tif", ".heic"):
        write_planted(hopper, folder / f"planted{suffix}")
    Image.fromarray(hopper).save(folder / "plain.bmp")
    before = {p.name: (sha256(p), p.stat().st_mtime_ns) for p in folder.iterdir()}
    assert main([str(folder), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert main([str(folder), "-o", str(tmp_path / "out"), "-q", "--overwrite", "--mode", "blur"]) == 0
    assert {p.name: (sha256(p), p.stat().st_mtime_ns) for p in folder.iterdir()} == before
    assert len(all_files(tmp_path / "out")) == 6


def test_failing_encoder_writes_nothing(monkeypatch, photos: Path, tmp_path: Path, capsys) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("encoder exploded")

    monkeypatch.setattr("blurkit.api.encode_photo", broken)
    out = tmp_path / "out"
    assert main([str(photos), "-o", str(out), "-q"]) == 1
    assert not out.exists() or all_files(out) == []
    assert capsys.readouterr().err.count("encoder exploded") == 2


def test_failure_in_the_middle_of_writing_leaves_no_partial_file(monkeypatch, photos: Path, tmp_path: Path, capsys):
    real_write = Path.write_bytes

    def disk_full(self: Path, data: bytes) -> int:
        real_write(self, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    out = tmp_path / "out"
    assert main([str(photos), "-o", str(out), "-q"]) == 1
    assert all_files(out) == []
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all("No space left on device" in line for line in err)


def test_interrupted_run_leaves_finished_files_whole_and_nothing_partial(monkeypatch, photos, tmp_path, capsys):
    real_write = Path.write_bytes
    calls = []

    def interrupted_on_second(self: Path, data: bytes) -> int:
        calls.append(self)
        if len(calls) == 2:
            real_write(self, data[: len(data) // 3])
            raise KeyboardInterrupt
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", interrupted_on_second)
    out = tmp_path / "out"
    assert main([str(photos), "-o", str(out)]) == 130
    assert PARTIAL_MARK in calls[1].name  # it was writing to the temporary file beside the output
    assert all_files(out) == ["astronaut.png"]
    assert decodes(out / "astronaut.png")
    assert "interrupted" in capsys.readouterr().err


def test_sigterm_to_a_parallel_run_stops_it_cleanly(tmp_path: Path) -> None:
    """A real interruption: SIGTERM to the process group of ``blurkit --jobs 2``."""
    folder = tmp_path / "in"
    folder.mkdir()
    big = Image.fromarray(load_rgb(SAMPLES / "grace_hopper.jpg")).resize((1024, 1200))
    for i in range(12):
        big.save(folder / f"p{i:02d}.jpg", quality=90)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "blurkit", str(folder), "-o", str(out), "--jobs", "2", "-q"],
        cwd=ROOT,
        start_new_session=True,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not (out.is_dir() and any(out.glob("p*.jpg"))) and time.monotonic() < deadline:
        time.sleep(0.01)
    written_at_signal = len(list(out.glob("p*.jpg")))
    os.killpg(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    names = all_files(out)
    assert all(PARTIAL_MARK not in name for name in names)
    assert all(decodes(out / name) for name in names)
    assert len(names) <= written_at_signal + 2 < 12  # it stopped, rather than working through the queue


def test_existing_output_is_not_replaced_without_overwrite(photos: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "astronaut.png").write_bytes(b"the user's own file")
    assert main([str(photos), "-o", str(out), "-q"]) == 1
    assert (out / "astronaut.png").read_bytes() == b"the user's own file"
    assert decodes(out / "sub" / "hopper.jpg")  # the rest of the batch went on
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "astronaut.png" in lines[0] and "--overwrite" in lines[0]
    assert main([str(photos), "-o", str(out), "-q", "--overwrite"]) == 0
    assert decodes(out / "astronaut.png")


def test_output_never_replaces_an_input_even_with_overwrite(photos: Path, tmp_path: Path, capsys) -> None:
    src = photos / "astronaut.png"
    before = sha256(src)
    assert main([str(src), "-o", str(src), "--overwrite", "-q"]) == 1
    link = tmp_path / "link.png"
    link.symlink_to(src)
    assert main([str(src), "-o", str(link), "--overwrite", "-q"]) == 1
    assert main([str(photos), "-o", str(photos), "--overwrite", "-q"]) == 1
    assert sha256(src) == before and link.is_symlink()
    assert all("replace the input" in line for line in capsys.readouterr().err.splitlines())


def test_one_folder_output_never_replaces_another_input_folder(tmp_path: Path, capsys) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x.png").write_bytes((SAMPLES / "astronaut.png").read_bytes())
    (b / "x.png").write_bytes((SAMPLES / "astronaut.png").read_bytes())
    (a / "only-a.png").write_bytes((SAMPLES / "astronaut.png").read_bytes())
    before = sha256(b / "x.png")
    assert main([str(a), str(b), "-o", str(b), "--overwrite", "-q"]) == 1
    assert sha256(b / "x.png") == before
    assert decodes(b / "only-a.png")
    assert "would replace the input" in capsys.readouterr().err


def _bomb_png() -> bytes:
    """A real PNG whose header claims 30000 x 30000 pixels (900 MP)."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    data[16:24] = struct.pack(">II", 30000, 30000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def bad_inputs(folder: Path) -> dict[str, str]:
    """Broken files of every kind, each with a word its error line must contain."""
    good_jpeg = (SAMPLES / "grace_hopper.jpg").read_bytes()
    frame = Image.open(SAMPLES / "astronaut.png").convert("RGB")
    heic = io.BytesIO()
    frame.save(heic, "HEIF", quality=50)
    (folder / "truncated.jpg").write_bytes(good_jpeg[: len(good_jpeg) // 2])
    (folder / "truncated.heic").write_bytes(heic.getvalue()[:400])
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.jpg").write_text("this is a text file with a photo's name\n")
    (folder / "fake.png").write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n")
    (folder / "bomb.png").write_bytes(_bomb_png())
    frame.save(folder / "animated.png", save_all=True, append_images=[frame.rotate(90)])
    frame.save(folder / "animated.webp", save_all=True, append_images=[frame.rotate(90)])
    frame.save(folder / "pages.tif", save_all=True, append_images=[frame.rotate(90)])
    (folder / "dangling.jpg").symlink_to(folder / "gone.jpg")
    expected = {
        "truncated.jpg": "truncated",
        "truncated.heic": "truncated",
        "empty.png": "not an image",
        "notes.jpg": "not an image",
        "fake.png": "not an image",
        "bomb.png": "too many pixels",
        "animated.png": "frames",
        "animated.webp": "frames",
        "pages.tif": "frames",
        "dangling.jpg": "no such file",
    }
    if os.geteuid() != 0:  # root reads anything
        (folder / "locked.jpg").write_bytes(good_jpeg)
        (folder / "locked.jpg").chmod(0)
        expected["locked.jpg"] = "permission denied"
    return expected


def test_bad_inputs_each_get_one_line_and_the_batch_goes_on(photos: Path, tmp_path: Path, capsys) -> None:
    expected = bad_inputs(photos)
    out = tmp_path / "out"
    assert main([str(photos), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    failures = [line for line in err.splitlines() if line.startswith("blurkit: ") and ": " in line[9:]]
    for name, reason in expected.items():
        lines = [line for line in failures if f"{photos / name}: " in line]
        assert len(lines) == 1, (name, err)
        assert reason in lines[0].lower(), lines[0]
    assert all_files(out) == ["astronaut.png", "sub/hopper.jpg"]
    assert re.search(rf"2 file\(s\) anonymized, \d+ face\(s\) obscured, {len(expected)} failed", err)


def test_failed_detection_writes_nothing(monkeypatch, photos: Path, tmp_path: Path, capsys) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("cv2.error: out of memory")

    monkeypatch.setattr("blurkit.detect.detect_multiscale", broken)
    out = tmp_path / "out"
    assert main([str(photos), "-o", str(out), "-q"]) == 1
    assert not out.exists() or all_files(out) == []
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and all("face detection failed" in line for line in lines)
    with pytest.raises(BlurkitError, match="face detection failed"):
        anonymize_file(photos / "astronaut.png", tmp_path / "api.png")
    assert not (tmp_path / "api.png").exists()


def test_atomic_write_without_hard_links(monkeypatch, tmp_path: Path) -> None:
    """FAT/exFAT sticks cannot hard-link: outputs are still written, existing ones still refused."""

    def no_links(src, dst):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(blurkit.atomic.os, "link", no_links)
    dst = tmp_path / "stick" / "out.jpg"
    write_atomically(dst, b"first", overwrite=False)
    assert dst.read_bytes() == b"first"
    with pytest.raises(OutputExistsError):
        write_atomically(dst, b"second", overwrite=False)
    assert dst.read_bytes() == b"first"
    assert all_files(dst.parent) == ["out.jpg"]


def test_names_near_the_length_limit_are_written(photos: Path, tmp_path: Path) -> None:
    long_name = "march-" + "x" * 230 + ".png"  # 240 bytes: fine for the file, too long with temp marks added
    (photos / long_name).write_bytes((SAMPLES / "astronaut.png").read_bytes())
    assert main([str(photos), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert decodes(tmp_path / "out" / long_name)


def crash_on_doomed(run_one, job: Job, *rest):
    """Runs in a worker process: dies like an out-of-memory kill on one file."""
    if job.src.name.startswith("doomed"):
        os._exit(9)
    return blurkit.distribute.file_task(run_one, job, *rest)


def test_a_dead_worker_fails_its_file_not_the_batch(monkeypatch, photos: Path, tmp_path: Path, capsys) -> None:
    (photos / "doomed.png").write_bytes((SAMPLES / "astronaut.png").read_bytes())
    monkeypatch.setattr(blurkit.distribute, "file_task", crash_on_doomed)
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    assert main([str(photos), "-o", str(out), "--jobs", "2", "-q", "--report", str(report)]) == 1
    assert report.exists()
    doomed = [line for line in capsys.readouterr().err.splitlines() if "doomed.png" in line]
    assert len(doomed) == 1 and "terminated abruptly" in doomed[0]
    assert not (out / "doomed.png").exists()
    assert all(decodes(out / name) for name in all_files(out))


def test_api_refuses_and_names_the_problem(tmp_path: Path) -> None:
    with pytest.raises(BlurkitError, match="no such file"):
        anonymize_file(tmp_path / "missing.jpg", tmp_path / "out.jpg")
    (tmp_path / "a.xyz").write_bytes(b"GIF89a")
    with pytest.raises(BlurkitError, match="unsupported file type"):
        anonymize_file(tmp_path / "a.xyz", tmp_path / "out.jpg")
    with pytest.raises(BlurkitError, match="cannot write"):
        anonymize_file(SAMPLES / "astronaut.png", tmp_path / "out.gif")
    assert all_files(tmp_path) == ["a.xyz"]


def test_damaged_photo_through_the_api_is_a_media_error(tmp_path: Path) -> None:
    src = tmp_path / "half.png"
    data = (SAMPLES / "astronaut.png").read_bytes()
    src.write_bytes(data[: len(data) // 2])
    with pytest.raises(BlurkitError, match="truncated"):
        anonymize_file(src, tmp_path / "out.png")
    assert not (tmp_path / "out.png").exists()
    assert src.read_bytes() == data[: len(data) // 2]


# --- no path, flag or backend changes an input's bytes (issue #20) --------------------------------------

# 400 frames at 25 fps: long enough that -j 2 and a two-worker cluster cut it in two segments.
LONG_FRAMES = 400


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One photo, one video long enough to be split into segments, one animated GIF (made once)."""
    from blurkit.media.ffmpeg import ffmpeg_exe
    from blurkit.video.segments import plan_segments

    folder = tmp_path_factory.mktemp("media")
    video, gif = folder / "march.mp4", folder / "crowd.gif"
    source = ["-f", "lavfi", "-i", f"testsrc2=s=160x90:r=25:d={LONG_FRAMES / 25}"]
    ff = [ffmpeg_exe(), "-loglevel", "error", "-y"]
    subprocess.run([*ff, *source, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(video)], check=True)
    subprocess.run([*ff, "-f", "lavfi", "-i", "testsrc2=s=64x48:r=5:d=2", str(gif)], check=True)
    assert len(plan_segments(video, blurkit.Settings(), 2)) == 2  # the -j 2 and cluster runs split it
    photo = folder / "astronaut.png"
    photo.write_bytes((SAMPLES / "astronaut.png").read_bytes())
    return {"photo": photo, "video": video, "gif": gif}


@pytest.fixture(scope="module")
def dask_address():
    """A local Dask cluster of two worker processes: splits a long video in two, like -j 2."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as cluster:
        yield cluster.scheduler_address


def backend(path: str, request: pytest.FixtureRequest) -> list[str]:
    if path == "dask":
        return ["--scheduler", request.getfixturevalue("dask_address")]
    return ["-j", path.removeprefix("j")]


@pytest.mark.parametrize("overwrite", [False, True], ids=["keep", "overwrite"])
@pytest.mark.parametrize("kind", ["photo", "video", "gif"])
@pytest.mark.parametrize("target", ["itself", "folder"])
@pytest.mark.parametrize("path", ["j1", "j2", "dask"])
def test_no_backend_replaces_an_input(media, tmp_path, capsys, request, path, target, kind, overwrite) -> None:
    """``blurkit IN -o IN`` (a file over itself, or a folder into itself), on every backend, for every kind
    of file, with and without --overwrite: exit 1, the input's bytes unchanged, one line saying why."""
    folder = tmp_path / "in"
    folder.mkdir()
    src = folder / media[kind].name
    src.write_bytes(media[kind].read_bytes())
    before = sha256(src)
    where = [str(src), "-o", str(src)] if target == "itself" else [str(folder), "-o", str(folder)]
    code = main([*where, "-q", *backend(path, request), *(["--overwrite"] if overwrite else [])])
    lines = capsys.readouterr().err.splitlines()
    assert sha256(src) == before
    assert all_files(folder) == [src.name]  # nothing left beside it either
    assert code == 1
    assert len(lines) == 1 and str(src) in lines[0] and "replace the input" in lines[0], lines


@pytest.mark.parametrize(
    ("path", "kind", "overwrite"),
    [(p, k, o) for p in ("j1", "j2", "dask") for k in ("photo", "gif") for o in (False, True)]
    + [("j2", "video", False)],  # the long video, in two segments (once: it takes a minute)
    ids=lambda v: {False: "keep", True: "overwrite"}.get(v, v) if isinstance(v, bool) else v,
)
def test_output_folder_inside_the_input_folder(media, tmp_path, capsys, request, path, kind, overwrite) -> None:
    """``blurkit IN -o IN/out``, then the same again: the input is untouched, and the second run leaves the
    outputs of the first out of the input, saying so in one line."""
    folder = tmp_path / "in"
    folder.mkdir()
    src = folder / media[kind].name
    src.write_bytes(media[kind].read_bytes())
    before = sha256(src)
    out = folder / "out"
    args = [str(folder), "-o", str(out), *backend(path, request)]
    assert main([*args, "-q"]) == 0
    written = sha256(out / src.name)
    capsys.readouterr()
    code = main([*args, *(["--overwrite"] if overwrite else [])])
    lines = capsys.readouterr().err.splitlines()
    assert sha256(src) == before
    assert all_files(folder) == sorted([src.name, f"out/{src.name}"])  # out/out/... would be a second pass
    about = [line for line in lines if str(out) in line and "output folder" in line]
    assert len(about) == 1, lines
    if overwrite:
        assert code == 0
    else:  # a re-run without --overwrite or --skip-existing refuses to replace the first run's output
        assert code == 1 and sha256(out / src.name) == written
        assert len([line for line in lines if "already exists" in line]) == 1, lines


def test_numbered_names_into_the_input_folder_never_replace_an_input(tmp_path, capsys) -> None:
    """``--names sequential -o IN`` where an input is itself called 0001.png: that output is refused,
    the other input gets 0002.png beside it."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "0001.png").write_bytes((SAMPLES / "astronaut.png").read_bytes())
    (folder / "b.png").write_bytes((SAMPLES / "astronaut.png").read_bytes())
    before = sha256(folder / "0001.png")
    code = main([str(folder), "-o", str(folder), "--names", "sequential", "--overwrite", "-q"])
    lines = capsys.readouterr().err.splitlines()
    assert code == 1 and sha256(folder / "0001.png") == before
    assert len(lines) == 1 and "0001.png" in lines[0] and "replace the input" in lines[0]
    assert all_files(folder) == ["0001.png", "0002.png", "b.png"] and decodes(folder / "0002.png")


@pytest.mark.parametrize("workers", [1, 2])
def test_run_batch_refuses_an_input_as_output_before_any_work(media, tmp_path, workers) -> None:
    """The API's batch, as the app calls it: the door refuses before a process starts or a segment runs."""
    src = tmp_path / "march.mp4"
    src.write_bytes(media["video"].read_bytes())
    before = sha256(src)
    seen: list = []
    started = time.monotonic()
    [result] = blurkit.run_batch(
        [blurkit.Job(src, src)], blurkit.Settings(), workers=workers, request=blurkit.Run(overwrite=True),
        on_result=seen.append,
    )  # fmt: skip
    assert result.status == "failed" and "replace the input" in result.error and seen == [result]
    assert sha256(src) == before and all_files(tmp_path) == ["march.mp4"]
    assert time.monotonic() - started < 5  # refused up front, not after decoding 400 frames


def test_joining_segments_refuses_its_input_as_destination(media, tmp_path) -> None:
    """The second line behind the door: ``join_segments`` itself never writes over its input, nor over a
    hard link to it."""
    from blurkit.video.segments import join_segments

    src = tmp_path / "march.mp4"
    src.write_bytes(media["video"].read_bytes())
    link = tmp_path / "link.mp4"
    os.link(src, link)
    before = sha256(src)
    for dst in (src, link):
        with pytest.raises(BlurkitError, match="replace the input"):
            join_segments(src, dst, blurkit.Settings(), [], overwrite=True)
    assert sha256(src) == before


def test_a_hard_link_to_another_input_is_refused(tmp_path, capsys) -> None:
    """Two names, one file: writing the output of a over b's other name would replace the input b."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x.png").write_bytes((SAMPLES / "astronaut.png").read_bytes())
    (b / "y.png").write_bytes((SAMPLES / "grace_hopper.jpg").read_bytes())
    out = tmp_path / "out"
    out.mkdir()
    os.link(b / "y.png", out / "x.png")
    before = sha256(b / "y.png")
    assert main([str(a / "x.png"), str(b / "y.png"), "-o", str(out), "--overwrite", "-q"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert sha256(b / "y.png") == before
    assert len(lines) == 1 and "x.png" in lines[0] and f"replace the input {b / 'y.png'}" in lines[0]


@pytest.mark.parametrize("kind", ["photo", "gif"])
def test_the_app_never_saves_over_an_input(qtbot, window, media, tmp_path, kind) -> None:
    """The app's Save (a path the dialog allowed replacing: the input itself) and Save all (into the
    input's own folder): the input's bytes stay, and the summary says why in one line."""
    folder = tmp_path / "in"
    folder.mkdir()
    src = folder / media[kind].name
    src.write_bytes(media[kind].read_bytes())
    before = sha256(src)
    window.open_paths([src])
    qtbot.waitUntil(lambda: window.current is not None and not window.engine.busy, timeout=120_000)
    doc = window.current
    window.save([(doc, src)], overwrite=True)
    qtbot.waitUntil(lambda: not window.saving, timeout=120_000)
    summary = window.last_dialog.text()
    assert sha256(src) == before and all_files(folder) == [src.name]
    assert summary.count("replace the input") == 1 and "never replaces its original" in summary
    window.save_all_to(folder)
    qtbot.waitUntil(lambda: not window.saving, timeout=120_000)
    assert sha256(src) == before
    assert all_files(folder) == sorted([src.name, f"{src.stem}-anonymized{src.suffix}"])
