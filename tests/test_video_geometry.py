"""Video geometry: every rotation or crop the decoder applies is either handled or refused, never scrambled.

A frame read at the wrong size comes out as stripes in which no face is found, yet one reshape
of the output restores every face. Each file here is made for real with the ffmpeg blurkit
runs; the truth is what that ffmpeg shows a viewer (rotation and crop applied, as a player does).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_video import THOROUGH, box_changed, changed, dump, ff

import blurkit
from blurkit import MediaError
from blurkit.cli import main as cli_main
from blurkit.detect import detect_faces
from blurkit.media import ffmpeg as ffmpeg_adapter
from blurkit.media.ffmpeg import FrameReader, ffmpeg_exe

SAMPLES = Path(__file__).resolve().parent.parent / "sample_media"
CLIP = SAMPLES / "two_faces.mp4"  # 640x360, 75 frames, two faces
# A display-orientation SEI in the H.264 stream: turn the picture 90° counterclockwise to show it.
TURN_SEI = "h264_metadata=display_orientation=insert:rotate=90"


def shown(path: Path, width: int, height: int) -> np.ndarray:
    """Every frame as ffmpeg shows it (rotation and crop applied), which must be ``width`` x ``height``."""
    args = ["-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    raw = subprocess.run([ffmpeg_exe(), *args], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def assert_faces_covered(src: Path, out: Path, width: int, height: int, frames: int, min_faces: int) -> None:
    """The output is ``width`` x ``height`` as stored, every face a thorough detector finds in the upright
    input is covered in it, and away from the faces it is the input's picture (not turned or mirrored)."""
    assert re.search(rf"Video: .* {width}x{height}[ ,]", dump(out)) and "matrix" not in dump(out).lower()
    before, after = shown(src, width, height), shown(out, width, height)
    assert len(before) == len(after) == frames
    faces = 0
    for index, (a, b) in enumerate(zip(before, after, strict=True)):
        away = np.ones((height, width), bool)
        for face in detect_faces(a, THOROUGH):
            if face.width >= 10:
                faces += 1
                assert box_changed(a, b, face) >= 0.7, f"face {face} exposed in frame {index}"
            r = face.scaled(2.0).clipped(width, height)
            away[round(r.y0) : round(r.y1), round(r.x0) : round(r.x1)] = False
        assert changed(a, b)[away].mean() < 0.05, f"frame {index} is not the upright input"
    assert faces >= min_faces


def assert_refused(src: Path, message: str) -> None:
    """A clear one-line MediaError that does not name the file, and nothing written."""
    out = src.parent.parent / "out" / "out.mp4"
    with pytest.raises(MediaError, match=message) as failure:
        blurkit.anonymize_file(src, out)
    assert src.name not in str(failure.value) and "\n" not in str(failure.value)
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


@pytest.fixture
def sideways(tmp_path: Path) -> Path:
    """The sample's first second as a phone stores a portrait clip: turned a quarter clockwise, 360x640, with sound."""
    path = tmp_path / "sideways.mp4"
    args = ["-t", "1", "-vf", "transpose=1", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy"]
    ff("-i", str(CLIP), *args, str(path))
    return path


def test_orientation_sei_in_the_stream_is_followed(sideways, tmp_path):
    """H.264 display-orientation SEI (no rotation in the container): this ffmpeg turns the frames upright."""
    src = tmp_path / "in" / "sei.mp4"
    src.parent.mkdir()
    ff("-i", str(sideways), "-c", "copy", "-bsf:v", TURN_SEI, str(src))
    listing = dump(src)
    assert "360x640" in listing and "matrix" not in listing.lower()  # the container says sideways, nothing more
    info = blurkit.probe_video(src)
    assert (info.width, info.height, info.rotation) == (640, 360, 270)
    out = tmp_path / "out.mp4"
    result = blurkit.anonymize_file(src, out)
    assert (result.width, result.height) == (640, 360) and result.details["audio"] == "kept"
    assert_faces_covered(src, out, 640, 360, frames=25, min_faces=25)


@pytest.mark.parametrize(("angle", "turn"), [(60, "60° counterclockwise"), (-135, "135° clockwise"), (1, "1° counter")])
def test_rotation_off_a_right_angle_is_refused(tmp_path, angle, turn):
    """ffmpeg turns such a picture with its corners cut off at the size it had: refused, not published cropped."""
    src = tmp_path / "in" / f"rot{angle}.mp4"
    src.parent.mkdir()
    ff("-display_rotation", str(angle), "-i", str(CLIP), "-c", "copy", str(src))
    assert_refused(src, f"the video is turned {turn}.*only .*0, 90, 180 or 270")


def test_cli_reports_a_refused_rotation_in_one_line(tmp_path, capsys):
    src = tmp_path / "in" / "tilted.mp4"
    src.parent.mkdir()
    ff("-display_rotation", "60", "-i", str(CLIP), "-c", "copy", str(src))
    out = tmp_path / "out"
    assert cli_main([str(src), "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "turned 60° counterclockwise" in err[0], err
    assert not out.exists() or list(out.rglob("*")) == []


def test_mjpeg_frames_with_exif_orientation_are_followed(tmp_path):
    """JPEG frames stored sideways with EXIF Orientation 6, copied into a .mov: the EXIF travels in every
    packet, and this ffmpeg's MJPEG decoder turns each frame upright (512x600)."""
    portrait = Image.open(SAMPLES / "grace_hopper.jpg").convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: turn 90° clockwise to show
    for i in range(6):
        portrait.transpose(Image.Transpose.ROTATE_90).save(tmp_path / f"f{i}.jpg", exif=exif, quality=92)
    src = tmp_path / "in" / "exif.mov"
    src.parent.mkdir()
    ff("-framerate", "6", "-i", str(tmp_path / "f%d.jpg"), "-c:v", "copy", str(src))
    assert src.read_bytes().count(b"Exif\x00\x00") == 6
    info = blurkit.probe_video(src)
    assert (info.width, info.height, info.rotation) == (512, 600, 90)
    out = tmp_path / "out.mp4"
    blurkit.anonymize_file(src, out)
    # upright means as the photo is seen
    assert np.abs(shown(src, 512, 600)[0].astype(np.int16) - np.asarray(portrait)).mean() < 4
    assert_faces_covered(src, out, 512, 600, frames=6, min_faces=6)


def test_crop_from_the_container_is_followed(tmp_path):
    """A Matroska track cropped by PixelCropBottom: frames decode 512x420, smaller than the stream dump says."""
    portrait = np.asarray(Image.open(SAMPLES / "grace_hopper.jpg").convert("RGB"))
    h, w = portrait.shape[:2]
    m = ffmpeg_adapter  # its Matroska writer, with one element added to the track

    def tracks(*extra: bytes) -> bytes:
        video = m._uint(b"\xb0", w) + m._uint(b"\xba", h) + m._element(b"\x2e\xb5\x24", b"RGB\x18") + b"".join(extra)
        entry = m._uint(b"\xd7", 1) + m._uint(b"\x73\xc5", 1) + m._uint(b"\x83", 1)
        entry += m._element(b"\x86", b"V_UNCOMPRESSED") + m._element(b"\xe0", video)
        return m._element(m._TRACKS, m._element(b"\xae", entry))

    plain = m.matroska_header(w, h)
    header = plain.replace(tracks(), tracks(m._uint(b"\x54\xaa", 180)))  # PixelCropBottom
    assert header != plain
    src = tmp_path / "in" / "cropped.mkv"
    src.parent.mkdir()
    with open(src, "wb") as f:
        f.write(header)
        for i in range(3):
            f.write(m.matroska_frame_header(i * 100_000_000, 100_000_000, portrait.nbytes) + portrait.tobytes())
    info = blurkit.probe_video(src)
    assert (info.width, info.height) == (512, 420)
    out = tmp_path / "out.mkv"
    blurkit.anonymize_file(src, out)
    assert_faces_covered(src, out, 512, 420, frames=3, min_faces=3)


@pytest.mark.parametrize(("store", "display", "rotation"), [("transpose=2", -90, 90), ("hflip,vflip", 180, 180)])
def test_right_angle_container_rotations_are_written_upright(tmp_path, store, display, rotation):
    stored = tmp_path / "stored.mp4"
    ff("-i", str(CLIP), "-t", "1", "-vf", store, "-c:v", "libx264", "-preset", "ultrafast", "-an", str(stored))
    src = tmp_path / "in" / "rotated.mp4"
    src.parent.mkdir()
    ff("-display_rotation", str(display), "-i", str(stored), "-c", "copy", str(src))
    info = blurkit.probe_video(src)
    assert (info.width, info.height, info.rotation) == (640, 360, rotation)
    out = tmp_path / "out.mp4"
    blurkit.anonymize_file(src, out)
    assert_faces_covered(src, out, 640, 360, frames=25, min_faces=30)


def test_orientation_changing_mid_stream_is_refused(sideways, tmp_path):
    """The second half carries a display-orientation SEI the first lacks: ffmpeg turns only those frames,
    so the picture changes shape mid-stream. One output stream cannot hold both: refused."""
    halves = []
    for name, bsf in (("a", "h264_mp4toannexb"), ("b", f"h264_mp4toannexb,{TURN_SEI}")):
        half = tmp_path / f"{name}.h264"
        ff("-i", str(sideways), "-c:v", "libx264", "-preset", "ultrafast", "-bsf:v", bsf, str(half))
        halves.append(half.read_bytes())
    joined = tmp_path / "joined.h264"
    joined.write_bytes(b"".join(halves))
    src = tmp_path / "in" / "turning.mkv"
    src.parent.mkdir()
    ff("-r", "25", "-i", str(joined), "-c", "copy", str(src))
    assert_refused(src, "frame 25 decodes at 640x360 instead of 360x640")


def test_frame_reader_refuses_frames_of_another_size():
    """Given the wrong size (the sample is 640x360), the reader fails instead of yielding stripes."""
    with FrameReader(CLIP, 360, 640) as reader, pytest.raises(MediaError, match="frame 0 decodes at 640x360"):
        next(iter(reader))


# streams, lengths and pixel shapes a player shows differently from a naive read (issue 26)


@pytest.mark.parametrize(("sar", "size"), [("2/1", (320, 360)), ("4/3", (480, 360))])
def test_anamorphic_video_keeps_its_sample_and_display_aspect(tmp_path, sar, size):
    """Non-square pixels (a 16:9 picture stored 320 or 480 wide): the output keeps the stored size and the
    pixel shape, so it shows at 16:9 as the input does, not squeezed."""
    width, height = size
    src = tmp_path / "in" / "anamorphic.mp4"
    src.parent.mkdir()
    ff("-i", str(CLIP), "-t", "1", "-vf", f"scale={width}:{height},setsar={sar}", "-c:v", "libx264", "-c:a", "copy",
       str(src))  # fmt: skip
    assert f"{width}x{height} [SAR {sar.replace('/', ':')} DAR 16:9]" in dump(src)
    out = tmp_path / "out" / "out.mp4"
    result = blurkit.anonymize_file(src, out)
    assert (result.width, result.height) == (width, height) and result.faces >= 2
    assert f"{width}x{height} [SAR {sar.replace('/', ':')} DAR 16:9]" in dump(out)
    assert_faces_covered(src, out, width, height, frames=25, min_faces=25)


def two_video_streams(path: Path, default: int) -> Path:
    """A grey stream first, then the sample's picture, with sound; ``default``: the stream marked as the one a
    player shows."""
    path.parent.mkdir(exist_ok=True)
    marks = ["-disposition:v:0", "default" if default == 0 else "0", "-disposition:v:1", "default" if default else "0"]
    ff("-f", "lavfi", "-i", "color=c=gray:s=640x360:r=25:d=3", "-i", str(CLIP), "-map", "0:v", "-map", "1:v",
       "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy", *marks, str(path))  # fmt: skip
    return path


def test_the_stream_a_player_shows_is_the_one_anonymized(tmp_path):
    """Two video streams, the second marked default: players show it, so it is the one written, covered."""
    src = two_video_streams(tmp_path / "in" / "two.mp4", default=1)
    out = tmp_path / "out" / "out.mp4"
    result = blurkit.anonymize_file(src, out)
    assert result.faces >= 2 and result.details["frames"] == 75
    assert "extra video stream" in result.details["removed_metadata"]
    seen, written = shown(CLIP, 640, 360), shown(out, 640, 360)
    assert len(written) == 75
    for index in (0, 37, 74):  # away from the faces, the picture is the default stream's
        away = np.ones((360, 640), bool)
        for face in detect_faces(seen[index], THOROUGH):
            r = face.scaled(2.0).clipped(640, 360)
            away[round(r.y0) : round(r.y1), round(r.x0) : round(r.x1)] = False
        assert changed(seen[index], written[index])[away].mean() < 0.05
        assert not (written[index] == written[index][0, 0]).all()


@pytest.mark.parametrize(
    ("marks", "suffix"), [(("0", "0"), ".mkv"), (("default", "default"), ".mkv"), (("default", "default"), ".mp4")]
)
def test_several_video_streams_without_one_default_are_refused(tmp_path, marks, suffix):
    """Neither or both marked default: which one a player shows is not written down; blurkit does not guess."""
    two = two_video_streams(tmp_path / "two.mp4", default=1)
    src = tmp_path / "in" / f"ambiguous{suffix}"
    src.parent.mkdir()
    dispositions = ["-disposition:v:0", marks[0], "-disposition:v:1", marks[1]]
    passthrough = ["-default_mode", "passthrough"] if suffix == ".mkv" else []  # else it marks the first default
    ff("-i", str(two), "-map", "0", "-c", "copy", *passthrough, *dispositions, str(src))
    assert dump(src).count("(default)") == 1 + (2 if marks[0] == "default" else 0)
    assert_refused(src, "holds 2 video streams and (none|several) marked as the one a player shows")


def cut_short(src: Path, dst: Path) -> Path:
    """``src`` cut where an interrupted copy could leave it: the first cut past the middle, in steps of 1 kB, at
    which ffmpeg still reads the file without an error yet finds fewer frames than its container declares
    (a cut through a packet is a read error, refused already)."""
    data = src.read_bytes()
    for size in range(len(data) // 2, len(data), 1000):
        dst.write_bytes(data[:size])
        args = ["-hide_banner", "-xerror", "-i", str(dst), "-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-"]
        run = subprocess.run([ffmpeg_exe(), *args], capture_output=True, text=True)
        if run.returncode == 0 and 25 < run.stdout.count("\n0,") < 75:
            return dst
    raise AssertionError("no clean cut found")


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_a_video_cut_short_is_refused_unless_partial_input_is_accepted(tmp_path, suffix, capsys):
    (tmp_path / "in").mkdir()
    whole = tmp_path / f"whole{suffix}"
    ff("-i", str(CLIP), "-c", "copy", *(["-movflags", "+faststart"] if suffix == ".mp4" else []), str(whole))
    src = cut_short(whole, tmp_path / "in" / f"cut{suffix}")
    assert_refused(src, r"the file is cut short .*: it declares 3\.0\d s, its video stops after \d\d frames")
    out, report = tmp_path / "out", tmp_path / "report.json"
    assert cli_main([str(src), "-o", str(out), "-q", "--report", str(report)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cut short" in err[0] and "--partial accept" in err[0]
    assert "cut short" in json.loads(report.read_text())["files"][0]["error"]
    # accepted: the frames it holds, and the report says what is missing
    args = [str(src), "-o", str(out), "-q", "--partial", "accept", "--report", str(report), "--overwrite"]
    assert cli_main(args) == 0
    (entry,) = json.loads(report.read_text())["files"]
    assert entry["status"] == "written" and "cut short" in entry["shortfall"]
    assert entry["frames"] and 25 < len(entry["frames"]) < 75
    assert len(shown(out / f"cut{suffix}", 640, 360)) == len(entry["frames"])


def test_a_video_file_with_only_sound_says_so(tmp_path):
    src = tmp_path / "in" / "sound.mp4"
    src.parent.mkdir()
    ff("-i", str(CLIP), "-vn", "-c:a", "copy", str(src))
    assert_refused(src, "^no video stream: it holds only audio$")
