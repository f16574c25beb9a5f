"""Animated and still GIFs, made here by ffmpeg, anonymised GIF to GIF.

A GIF is read as a short video and written back as one: same frames, same delays, same loop count,
its palettes computed from the obscured frames alone, and nothing but the loop extension besides the
pictures. The file's blocks are walked here byte by byte; frames are decoded by Pillow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import synthetic_clips
from PIL import Image, ImageSequence
from synthetic_clips import SAMPLES, FaceBox, box_changed, changed
from test_video import ff

import blurkit
from blurkit import Region

# A box of this colour is drawn in every frame of the source and covered by a manual region.
MARKER = np.array([255, 0, 255])
MARKER_BOX = (16, 16, 40, 40)
# Strings planted in the source's own comment and application extensions.
PLANTED = (b"FakePhone 12 Pro", b"EZGIF.COM")


@dataclass
class Gif:
    """What a GIF's blocks say, read without a decoder."""

    loop: int | None = None  # the NETSCAPE2.0 count, None without one
    delays: list[int] = field(default_factory=list)  # centiseconds, one per image
    extensions: list[tuple[int, bytes]] = field(default_factory=list)  # every other extension: label, first block
    palettes: list[np.ndarray] = field(default_factory=list)  # the global and every local colour table
    tables_end: int = 0  # where the blocks start, after the global colour table


def walk(data: bytes) -> Gif:
    assert data[:6] in (b"GIF87a", b"GIF89a")
    gif = Gif()

    def table(pos: int, flags: int) -> int:
        if flags & 0x80:
            size = 3 << ((flags & 7) + 1)
            gif.palettes.append(np.frombuffer(data[pos : pos + size], np.uint8).reshape(-1, 3))
            pos += size
        return pos

    def sub_blocks(pos: int) -> tuple[list[bytes], int]:
        blocks = []
        while data[pos]:
            blocks.append(data[pos + 1 : pos + 1 + data[pos]])
            pos += 1 + data[pos]
        return blocks, pos + 1

    pos = gif.tables_end = table(13, data[10])
    delay = None
    while data[pos] != 0x3B:
        if data[pos] == 0x21:
            label = data[pos + 1]
            blocks, pos = sub_blocks(pos + 2)
            if label == 0xF9:
                delay = int.from_bytes(blocks[0][1:3], "little")
                continue
            gif.extensions.append((label, blocks[0]))
            if label == 0xFF and blocks[0] == b"NETSCAPE2.0":
                gif.loop = int.from_bytes(blocks[1][1:3], "little")
        else:
            assert data[pos] == 0x2C, f"no GIF block at byte {pos}"
            _, pos = sub_blocks(table(pos + 10, data[pos + 9]) + 1)
            gif.delays.append(delay)
            delay = None
    assert pos == len(data) - 1, "bytes after the trailer"
    return gif


def frames(path: Path) -> list[np.ndarray]:
    return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(Image.open(path))]


@dataclass(frozen=True)
class Run:
    faces: list[list[FaceBox]]
    src: Path
    out: Path


@pytest.fixture(scope="module")
def animated(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """A shaking camera on a face (synthetic_clips.shake) as a GIF: 10 frames of 4 cs, then 7 cs each,
    played 3 more times, a magenta marker in a corner, and a comment and an application extension
    such as editors and GIF sites add. Anonymised with a manual region over the marker."""
    folder = tmp_path_factory.mktemp("gif")
    clip = synthetic_clips.shake(folder / "clip.mp4", size=(320, 180), frames=20)
    made = folder / "made.gif"
    x0, y0, x1, y1 = MARKER_BOX
    ff(
        "-i", str(clip.path),
        "-vf", f"drawbox=x={x0}:y={y0}:w={x1 - x0}:h={y1 - y0}:c=0xFF00FF:t=fill,settb=1/100,"
        "setpts='if(lt(N,10),4*N,40+7*(N-10))',split[a][b];[a]palettegen[p];[b][p]paletteuse",
        "-enc_time_base", "1/100", "-fps_mode", "passthrough", "-loop", "3", str(made),
    )  # fmt: skip
    data = made.read_bytes()
    at = walk(data).tables_end
    comment = b"\x21\xfe" + bytes([len(PLANTED[0])]) + PLANTED[0] + b"\x00"
    application = b"\x21\xff\x0bEZGIF.COM1.\x03\x01\x02\x03\x00"
    src = folder / "in.gif"
    src.write_bytes(data[:at] + comment + application + data[at:])
    out = folder / "out.gif"
    marker = Region(x0 - 6, y0 - 6, x1 + 6, y1 + 6, shape="box", source="manual")
    result = blurkit.anonymize_file(src, out, extra_regions=[marker])
    assert result.kind == "video" and result.details["frames"] == 20 and result.details["audio"] == "none"
    return Run(clip.faces, src, out)


def test_gif_keeps_frames_delays_and_loop_and_nothing_else(animated):
    source, written = walk(animated.src.read_bytes()), walk(animated.out.read_bytes())
    assert source.delays[:11] == [4] * 10 + [7] and source.loop == 3  # the source is what it should be
    assert written.delays == source.delays
    assert written.loop == 3
    assert written.extensions == [(0xFF, b"NETSCAPE2.0")]
    data = animated.out.read_bytes()
    assert not any(planted in data for planted in PLANTED)
    decoded = frames(animated.out)
    assert len(decoded) == len(frames(animated.src)) == 20
    # the desktop app previews any frame: a frame read on its own is the one Pillow decodes in sequence
    for index in (0, 13, 19):
        assert np.array_equal(blurkit.read_video_frame(animated.out, index), decoded[index])


def test_gif_face_is_covered_in_every_frame(animated):
    before, after = frames(animated.src), frames(animated.out)
    height, width = before[0].shape[:2]
    for index, (a, b, faces) in enumerate(zip(before, after, animated.faces, strict=True)):
        assert faces
        for face in faces:
            assert box_changed(a, b, face) >= 0.95, f"frame {index}: face exposed"
        # and the rest of the picture is left alone (the new palettes change it by less than codec noise)
        away = np.ones((height, width), bool)
        for face in faces:
            fx0, fy0, fx1, fy1 = face.scaled(2.5).visible(width, height)
            away[fy0:fy1, fx0:fx1] = False
        x0, y0, x1, y1 = MARKER_BOX
        away[y0 - 12 : y1 + 12, x0 - 12 : x1 + 12] = False
        assert changed(a, b)[away].mean() < 0.02, f"frame {index}"


def test_gif_palettes_come_from_the_obscured_frames_only(animated):
    """The marker's colour is in the source's palette; once the marker is covered, no palette may hold it."""

    def nearest(path: Path) -> float:
        palettes = np.concatenate(walk(path.read_bytes()).palettes).astype(float)
        return float(np.linalg.norm(palettes - MARKER, axis=1).min())

    assert nearest(animated.src) < 20
    assert nearest(animated.out) > 100
    x0, y0, x1, y1 = MARKER_BOX
    box = FaceBox("marker", x0, y0, x1, y1)
    assert all(box_changed(a, b, box) == 1.0 for a, b in zip(frames(animated.src), frames(animated.out), strict=True))


def test_still_gif(tmp_path):
    """A one-frame GIF without a loop extension stays one frame without one, its face covered."""
    src = tmp_path / "still.gif"
    ff("-i", str(SAMPLES / "grace_hopper.jpg"), "-vf", "scale=256:300", "-loop", "-1", str(src))
    out = tmp_path / "out.gif"
    blurkit.anonymize_file(src, out)
    written = walk(out.read_bytes())
    assert len(written.delays) == 1 and written.loop is None and written.extensions == []
    # Grace Hopper's face in the 512x600 still (synthetic_clips.PORTRAITS), halved
    x0, y0, x1, y1 = (v / 2 for v in synthetic_clips.PORTRAITS["hopper"].face)
    (before,), (after,) = frames(src), frames(out)
    assert box_changed(before, after, FaceBox("hopper", x0, y0, x1, y1)) >= 0.95
