"""No software or device string of the source survives inside the streams blurkit writes.

tests/test_video.py checks the container's tags; these sources carry the idents that live in the
streams themselves, as phones and editors leave them: x264's SEI with its version and every setting,
a second SEI user-data string naming a phone and an editor, the "Lavc" ident ffmpeg's AAC encoder
puts in a fill element, LAME's version in the padding of every MP3 frame, and a stream tag naming a
phone. Each output's bytes are searched for all of them (what ``strings`` would show).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_video import decoded, dump, ff

import blurkit
from blurkit.media.ffmpeg import ffmpeg_exe

PHONE = "FakePhone 12 Pro HandBrake 1.6.1 Apple"
# what must not be found in any output; every one of them is in a source
IDENTS = {
    "x264 SEI": rb"x264|core \d+|videolan|Copyleft",
    "x264 name": rb"libx264",
    "libavcodec version": rb"Lavc\d",
    "libavformat version": rb"Lavf\d",
    "LAME": rb"LAME|libmp3lame",
    "phone": rb"FakePhone",
    "editor": rb"HandBrake",
    "vendor": rb"Apple",
}
AUDIO = {".mp4": "aac", ".mov": "aac", ".mkv": "aac", ".webm": "opus", ".avi": "pcm_s16le"}


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """x264 video with a planted SEI string and AAC sound made without +bitexact, in MP4; and x264 with
    LAME's MP3 and an encoder tag naming a phone, in Matroska."""
    folder = tmp_path_factory.mktemp("sources")
    clip = ["-f", "lavfi", "-i", "testsrc2=s=160x120:r=10:d=1", "-f", "lavfi", "-i", "sine=d=1"]
    x264 = ["-c:v", "libx264", "-preset", "ultrafast"]
    sei = ["-bsf:v", f"h264_metadata=sei_user_data=a0b1c2d3e4f5061728394a5b6c7d8e9f+{PHONE}"]
    ff(*clip, *x264, *sei, "-c:a", "aac", str(folder / "aac.mp4"))
    ff(*clip, *x264, "-c:a", "libmp3lame", "-metadata:s:a", f"encoder={PHONE}", str(folder / "mp3.mkv"))
    paths = [folder / "aac.mp4", folder / "mp3.mkv"]
    data = b"".join(p.read_bytes() for p in paths)
    for what, pattern in IDENTS.items():
        assert re.search(pattern, data), f"the sources lack the {what} string"
    return paths


@pytest.mark.parametrize("suffix", list(AUDIO))
def test_no_encoder_or_device_string_survives(sources, tmp_path, suffix):
    for src in sources:
        out = tmp_path / f"{src.stem}{suffix}"
        result = blurkit.anonymize_file(src, out)
        data = out.read_bytes()
        found = {what: m.group().decode() for what, p in IDENTS.items() if (m := re.search(p, data))}
        assert not found, f"{src.name} -> {out.name} still names {found}"
        # still whole: every frame, and the sound re-encoded rather than copied
        assert len(decoded(out)) == len(decoded(src)) == 10
        assert re.search(rf"Stream #0:1\S*: Audio: {AUDIO[suffix]}\b", dump(out))
        assert result.details["audio"] == "kept"


def flash_time(path: Path) -> float:
    """When the one white frame is shown, on the file's own clock."""
    args = ["-hide_banner", "-copyts", "-i", str(path), "-map", "0:v:0"]
    args += ["-vf", "signalstats,metadata=print:key=lavfi.signalstats.YAVG", "-f", "null", "-"]
    log = subprocess.run([ffmpeg_exe(), *args], capture_output=True, text=True).stderr
    times = [float(t) for t in re.findall(r"pts_time:(\S+)", log)]
    brightness = [float(y) for y in re.findall(r"YAVG=(\S+)", log)]
    assert len(times) == len(brightness) == 75
    return times[int(np.argmax(brightness))]


def sound(path: Path) -> np.ndarray:
    """The sound as a player renders it (priming and edit lists applied), from time 0 of the file's clock."""
    args = ["-hide_banner", "-loglevel", "error", "-copyts", "-i", str(path), "-map", "0:a:0"]
    args += ["-af", "aresample=async=1:first_pts=0", "-ac", "1", "-ar", "48000", "-f", "f32le", "-"]
    return np.frombuffer(subprocess.run([ffmpeg_exe(), *args], capture_output=True, check=True).stdout, np.float32)


@pytest.mark.parametrize("suffix", list(AUDIO))
def test_reencoded_sound_stays_in_sync_and_as_long(tmp_path, suffix):
    """A white frame and a beep both at 1 s: re-encoding the sound (with its encoder's priming) must keep
    them together, and the sound as long as it was. Matroska cannot say how much of the AAC encoder's
    last frame is padding, so there the sound may run on by up to one frame (1024 samples)."""
    src = tmp_path / "beep.mp4"
    ff(
        "-f", "lavfi", "-i", "color=c=black:s=160x120:r=25:d=3,drawbox=c=white:t=fill:enable='eq(n,25)'",
        "-f", "lavfi", "-i", "aevalsrc='if(between(t,1,1.2),0.8*sin(2*PI*1000*t),0)':s=44100:d=3",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(src),
    )  # fmt: skip
    out = tmp_path / f"out{suffix}"
    blurkit.anonymize_file(src, out)
    offsets, lengths = [], []
    for path in (src, out):
        samples = sound(path)
        offsets.append(np.argmax(np.abs(samples) > 0.4) / 48000 - flash_time(path))
        lengths.append(len(samples) / 48000)
    assert abs(offsets[0]) < 0.002, "the source itself is out of sync"
    assert abs(offsets[1] - offsets[0]) < 0.002, f"sound moved by {1000 * (offsets[1] - offsets[0]):+.1f} ms"
    assert 0 <= lengths[1] - lengths[0] <= (1024 / 44100 + 0.001 if suffix == ".mkv" else 0.001), lengths
