"""ffmpeg behind a small interface: find the binary, probe a video, decode frames
with their timestamps and encode frames back onto those timestamps.

The imageio-ffmpeg wheel ships ffmpeg but no ffprobe, so probing reads ffmpeg's
own input dump plus a packet list (``-c copy -f framecrc``), and decodes the
first frame only (see ``_probe``). A raw-video pipe carries no timestamps, so
decoding logs each frame's pts and size through the ``showinfo`` filter, and
encoding reads frames from a minimal Matroska stream (uncompressed RGB,
nanosecond timestamps) written here. Both sides keep the source's own
timestamps (``-copyts``), so frame count, timing (variable frame rate included)
and audio sync survive untouched.

Geometry fails closed: a raw pipe read at the wrong size yields stripes in which
no face is found. The decoder turns and crops frames on its own (a rotation in
the container, a display-orientation SEI in an H.264 stream, EXIF orientation in
MJPEG frames, a container crop), so the probe takes the size from a decoded
frame rather than from the stream's description, and the reader checks every
frame's size before reading its pixels.
"""

from __future__ import annotations

import itertools
import queue
import re
import shutil
import struct
import subprocess
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, lru_cache
from pathlib import Path

import ffmpeg as ffmpeg_python
import numpy as np

from blurkit.errors import MediaError

# Options every ffmpeg run gets: no banner, never read the terminal, no stats lines.
GLOBAL = ["-hide_banner", "-nostdin", "-nostats"]
CONTAINERS = {
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".mov": "mov",
    ".mkv": "matroska",
    ".webm": "webm",
    ".avi": "avi",
    ".gif": "gif",
}
# Sound is always re-encoded, never copied: a copied stream keeps what its encoder wrote inside the
# frames (a phone's or an editor's ident, "Lavc..." in an AAC fill element, "LAME3.100" in MP3
# padding). These encoders write none under +bitexact; LAME pads every MP3 frame with its version
# whatever it is told, so AVI gets PCM. GIF holds no sound.
AUDIO_ENCODER = {"mp4": "aac", "mov": "aac", "matroska": "aac", "webm": "libopus", "avi": "pcm_s16le"}
# A GIF's palettes come from the obscured frames alone, one per frame as it arrives, so nothing of a
# face can reach the palette and memory does not grow with the number of frames.
GIF_PALETTE = "split[a][b];[a]palettegen=stats_mode=single[p];[b][p]paletteuse=new=1"


@cache
def ffmpeg_exe() -> str:
    """The system ffmpeg if there is one, else the binary bundled in the imageio-ffmpeg wheel."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as exc:
        raise MediaError(f"no ffmpeg found: install ffmpeg or reinstall blurkit ({exc})") from exc


@dataclass(frozen=True)
class VideoInfo:
    width: int  # upright, as frames decode (rotated and cropped as a player shows them)
    height: int
    frames: int
    fps: float  # average over the whole stream
    duration: float  # seconds
    has_audio: bool
    rotation: int  # clockwise degrees a player turns the stored picture (0, 90, 180 or 270): container, SEI or EXIF


@dataclass(frozen=True)
class Probe:
    """What the pipeline needs beyond ``VideoInfo``."""

    info: VideoInfo
    time_base: Fraction
    pts: tuple[int, ...]  # presentation times of the frames in ``time_base``, sorted, as -copyts sees them
    start: float  # the file's start time (seconds), which -ss counts from
    tags: tuple[str, ...] = ()  # names (never values) of what no output carries: tags, chapters, other streams
    stream: int = 0  # index in the file of the video stream read: the one a player shows
    sar: Fraction = Fraction(1)  # shape of a pixel of the upright frames (width / height); 1 for square pixels
    # why the file holds less than its container declares (an interrupted copy or download), or None
    shortfall: str | None = None


def _error_line(stderr: str) -> str:
    """The most telling line of an ffmpeg failure, without the ``[demuxer @ 0x...]`` prefix
    (and never a line of the input dump, which may name the file)."""
    lines = [re.sub(r"^(\[[^\]]*\]\s*)+", "", line).strip() for line in stderr.splitlines()]
    lines = [
        line
        for line in lines
        if line
        and not line.startswith(("Input #", "Output #", "Stream #", "Duration:", "Metadata:", "Side data:", "Exiting"))
        and not line.startswith(("Error opening input file", "Conversion failed"))
        and not re.match(r"^[\w.:-]+\s+: ", line)  # a tag of the input dump
    ]
    for hint in ("partial file", "moov atom not found", "corrupt", "Invalid data", "No such file", "denied"):
        for line in lines:
            if hint.lower() in line.lower():
                return line
    return lines[-1] if lines else "ffmpeg failed"


def run_ffmpeg(args: list[str], *, what: str) -> subprocess.CompletedProcess:
    """Run ffmpeg to completion; a failure becomes a MediaError saying ``what`` failed and why."""
    proc = subprocess.run([ffmpeg_exe(), *GLOBAL, *args], capture_output=True, check=False)
    if proc.returncode != 0:
        raise MediaError(f"{what}: {_error_line(proc.stderr.decode(errors='replace'))}")
    return proc


_STREAM = re.compile(r"^\s*Stream #0:(\d+)\S*: (Video|Audio|Subtitle|Data|Attachment): (.*)$")
_START = re.compile(r"Duration: .*, start: (-?[\d.]+)")
# what showinfo logs of a frame (its pts, duration and size) and of a display matrix it carries; and the size
# of the decoded stream in a framecrc header
_SHOWINFO = re.compile(r"\bn:\s*\d+\s+pts:\s*(-?\d+|NOPTS)\s+pts_time:\S*\s+duration:\s*(-?\d+)\s.*?\bs:(\d+)x(\d+)\b")
_MATRIX = re.compile(r"displaymatrix: rotation of (-?[\d.]+) degrees")
_DIMENSIONS = re.compile(r"#dimensions 1: (\d+)x(\d+)$")
_SAR = re.compile(r"#sar 1: (\d+)/(\d+)$")
_DECLARED = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
# what the MP4/MOV and Matroska demuxers log when the file ends before what its header or index declares
_CUT_SHORT = re.compile(r"partial file|File ended prematurely")


def _input_dump(stderr: str) -> list[dict]:
    """Streams of input #0 from ffmpeg's dump: kind, codec and the rest of the line."""
    streams: list[dict] = []
    for line in stderr.splitlines():
        if line.startswith(("Output #", "Stream mapping")):
            break
        m = _STREAM.match(line)
        if m:
            streams.append({"index": int(m[1]), "kind": m[2], "codec": m[3].split()[0].rstrip(","), "line": m[3]})
    return streams


_TAG = re.compile(r"^(\s+)(\S[^:]*?)\s*: ")


def _metadata_names(stderr: str) -> tuple[str, ...]:
    """What input #0 holds besides its first video and audio streams, by name only (a report lists what was
    removed; a value, a place or a serial number, must never reach it): container and stream tags,
    chapters, and the streams no output keeps."""
    names: set[str] = set()
    where, tags_indent, seen = "container", None, {"Video": 0, "Audio": 0}
    for line in stderr.splitlines():
        if line.startswith(("Output #", "Stream mapping", "Input #1")):
            break
        tag = _TAG.match(line)
        if tags_indent is not None and tag and len(tag[1]) > tags_indent:
            if where != "chapter":
                names.add(f"{where} tag {tag[2]}")
            continue
        tags_indent = None
        if line.strip() == "Metadata:":
            tags_indent = len(line) - len(line.lstrip())
        elif line.strip().startswith("Chapter #"):
            where = "chapter"
            names.add("chapters")
        elif stream := _STREAM.match(line):
            kind = stream[2]
            where = f"{kind.lower()} stream"
            if "attached pic" in stream[3]:
                names.add("cover art")
            elif seen.get(kind):
                names.add(f"extra {kind.lower()} stream")
            elif kind not in seen:
                names.add(f"{kind.lower()} stream")
            seen[kind] = seen.get(kind, 0) + 1
    return tuple(sorted(names))


def _turn(counterclockwise: float) -> int:
    """Clockwise degrees (0, 90, 180 or 270) for a display matrix's rotation as ffmpeg logs it.

    ffmpeg turns by a right angle with transpose and flips, exactly. Any other angle it
    turns with the ``rotate`` filter at the frame's own size, cutting the corners off, so
    part of the picture would vanish unnoticed; that is refused instead. A matrix within
    half a degree of a right angle is one (ffmpeg rounds to whole degrees first). ffmpeg
    leaves 1° clockwise alone yet rotates 1° counterclockwise; blurkit refuses both rather
    than track such rules.
    """
    turn = -counterclockwise % 360
    if abs(turn - 90 * round(turn / 90)) > 0.49:
        way = f"{turn:g}° clockwise" if turn <= 180 else f"{360 - turn:g}° counterclockwise"
        raise MediaError(f"the video is turned {way} for display; blurkit handles only turns by 0, 90, 180 or 270°")
    return round(turn / 90) % 4 * 90


def probe(path: Path) -> Probe:
    stat = path.stat()
    return _probe(path.resolve(), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=16)
def _probe(path: Path, size: int, mtime_ns: int) -> Probe:
    """The first video stream's probe; if the file holds several, that of the one a player shows."""
    p, videos = _probe_stream(path, "V:0")
    if p.stream != (chosen := _shown_stream(videos)):
        p, _ = _probe_stream(path, str(chosen))
    return p


def _shown_stream(videos: list[dict]) -> int:
    """The video stream a player shows: the only one, else the one marked default. Several and no single
    default is refused: blurkit must not anonymize footage other than what the user watched."""
    if len(videos) == 1:
        return videos[0]["index"]
    default = [s for s in videos if "(default)" in s["line"]]
    if len(default) != 1:
        raise MediaError(
            f"it holds {len(videos)} video streams and {'several' if default else 'none'} marked as the one a "
            "player shows; blurkit will not guess which one was seen (keep one, e.g. ffmpeg -map 0:v:N)"
        )
    return default[0]["index"]


def _probe_stream(path: Path, which: str) -> tuple[Probe, list[dict]]:
    """Packet list of a video stream (``which``: "V:0", the first that is not cover art, or a stream's index),
    read without decoding, and its first frame decoded twice in the same run; and the file's video streams
    (cover art excluded). Once as FrameReader will get it,
    turned and cropped by ffmpeg: the framecrc header's dimensions are the size every frame must have, its
    sample aspect ratio the shape of their pixels. Once as stored, through showinfo: its display matrix is
    the turn ffmpeg applies (ffmpeg drops it once applied).

    One showinfo only, and its matrix found by content: log lines from different threads can mix
    (showinfo hex-dumps SEI user data piece by piece; the "Odd rotation angle" warning lacks a
    newline, which strips the next line's "[name @ 0x...]" prefix), but each message stays whole."""
    shown = ffmpeg_python.input(str(path))[which]
    stored = ffmpeg_python.input(str(path), noautorotate=None)[which]
    args = ffmpeg_python.merge_outputs(
        # (-frames would end the whole output, packet list included; trim ends only the decoded stream)
        ffmpeg_python.output(shown, shown, "-", **{"c:0": "copy", "filter:1": "trim=end_frame=1", "f": "framecrc"}),
        stored.output("-", vf="trim=end_frame=1,showinfo=checksum=0", **{"frames:v": 1, "f": "null"}),
    ).get_args()
    proc = subprocess.run([ffmpeg_exe(), *GLOBAL, "-xerror", "-copyts", *args], capture_output=True, check=False)
    stderr = proc.stderr.decode(errors="replace")
    streams = _input_dump(stderr)
    videos = [s for s in streams if s["kind"] == "Video" and "attached pic" not in s["line"]]
    if streams and not videos:  # (ffmpeg fails to map a stream that is not there)
        held = {"cover art" if "attached pic" in s["line"] else s["kind"].lower() for s in streams}
        raise MediaError("no video stream: it holds only " + " and ".join(sorted(held)))
    if proc.returncode != 0:
        raise MediaError(f"not a readable video: {_error_line(stderr)}")
    matrix = _MATRIX.search(stderr)
    rotation = _turn(float(matrix[1])) if matrix else 0
    time_base, pts, durations, shown_size, shown_frames, sar = Fraction(1), [], [], None, 0, Fraction(1)
    for line in proc.stdout.decode(errors="replace").splitlines():
        if line.startswith("#tb 0:"):
            time_base = Fraction(line.split(":", 1)[1].strip())
        elif m := _DIMENSIONS.match(line):
            shown_size = int(m[1]), int(m[2])
        elif (m := _SAR.match(line)) and int(m[1]) and int(m[2]):  # 0/1: unknown, square
            sar = Fraction(int(m[1]), int(m[2]))
        elif line and not line.startswith("#"):
            fields = [f.strip() for f in line.split(",")]
            if fields[0] == "0":
                pts.append(int(fields[2]))
                durations.append(int(fields[3]))
            else:
                shown_frames += 1
    if shown_size is None or not shown_frames:
        raise MediaError("no frame of the video could be decoded")
    width, height = shown_size
    if not pts:
        raise MediaError("the video stream holds no frames")
    pts.sort()
    # from the timestamps alone (a muxer may stretch the last packet's duration): span plus one typical frame
    step = int(np.median(np.diff(pts))) if len(pts) > 1 else max(durations[0], 0)
    duration = float((pts[-1] - pts[0] + step) * time_base)
    audio = next((s for s in streams if s["kind"] == "Audio"), None)
    info = VideoInfo(
        width=width,
        height=height,
        frames=len(pts),
        fps=len(pts) / duration if duration > 0 else 0.0,
        duration=duration,
        has_audio=audio is not None,
        rotation=rotation,
    )
    start = _START.search(stderr)
    first = float(start[1]) if start else float(pts[0] * time_base)
    chosen = videos[0]["index"] if which == "V:0" else int(which)
    shortfall = _shortfall(stderr, info) if _CUT_SHORT.search(stderr) else None
    return Probe(info, time_base, tuple(pts), first, _metadata_names(stderr), chosen, sar, shortfall), videos


def _shortfall(stderr: str, info: VideoInfo) -> str:
    """One line on a file that ends before what its container declares."""
    declared = _DECLARED.search(stderr)
    said = ""
    if declared:
        seconds = int(declared[1]) * 3600 + int(declared[2]) * 60 + float(declared[3])
        said = f"it declares {seconds:.2f} s, "
    return (
        f"the file is cut short (an interrupted copy or download?): {said}"
        f"its video stops after {info.frames} frames ({info.duration:.2f} s)"
    )


@dataclass
class Frame:
    index: int
    pts_ns: int  # source timestamp in nanoseconds, exact enough to map back onto the source's clock
    duration_ns: int
    pixels: np.ndarray  # upright RGB uint8


_TIME_BASE = re.compile(r"config in time_base:\s*(\d+)/(\d+)")


class FrameReader:
    """Decoded frames of a video, upright RGB, each with its source timestamp.

    Frames come from ffmpeg's stdout; their timestamps and sizes from the ``showinfo``
    lines ffmpeg logs on stderr, read by a thread. A frame of any other size than
    ``width`` x ``height`` is a MediaError, never reshaped into stripes. ffmpeg may
    rebuild its filters mid-stream (so a display matrix that appears or changes midway
    is applied rather than ignored); a picture that changes shape is then refused here. The stream read is
    the probe's: the one a player shows.
    ``start`` (seconds from the start of the file) seeks before decoding. ``first`` skips that many
    frames (decoded, not delivered) and numbers the rest from there: frames are numbered as they decode
    from the start, which a seek cannot tell (edit lists drop or reorder frames).
    """

    def __init__(self, path: Path, width: int, height: int, start: float | None = None, first: int = 0) -> None:
        self.width, self.height, self.first = width, height, first
        self.time_base: Fraction | None = None
        source = ffmpeg_python.input(str(path), copyts=None, **({"ss": start} if start else {}))
        vf = (f"trim=start_frame={first}," if first else "") + "showinfo=checksum=0"
        stream = f"0:{probe(path).stream}"  # the one a player shows
        args = source.output("-", map=stream, vf=vf, fps_mode="passthrough", f="rawvideo", pix_fmt="rgb24").get_args()
        self._proc = subprocess.Popen(
            [ffmpeg_exe(), *GLOBAL, "-loglevel", "info", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        self._stamps: queue.Queue[tuple[int | None, int, int, int] | None] = queue.Queue()
        self._log: deque[str] = deque(maxlen=30)
        self._stderr = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr.start()

    def _read_stderr(self) -> None:
        assert self._proc.stderr is not None
        for raw in self._proc.stderr:
            line = raw.decode(errors="replace")
            m = _SHOWINFO.search(line)
            if m:
                self._stamps.put((None if m[1] == "NOPTS" else int(m[1]), int(m[2]), int(m[3]), int(m[4])))
            elif (tb := _TIME_BASE.search(line)) and self.time_base is None:
                self.time_base = Fraction(int(tb[1]), int(tb[2]))
            elif "Parsed_showinfo" not in line:
                self._log.append(line)
        self._stamps.put(None)

    def __iter__(self) -> Iterator[Frame]:
        # a frame's showinfo line is logged before its pixels reach stdout: read it first, check the size
        assert self._proc.stdout is not None
        size = self.width * self.height * 3
        last_end = 0
        for index in itertools.count(self.first):
            stamp = self._stamps.get()
            if stamp is None:
                if self._proc.stdout.read(1):
                    raise MediaError(f"no timestamp for frame {index}")
                break
            pts, duration, width, height = stamp
            if (width, height) != (self.width, self.height):
                raise MediaError(
                    f"frame {index} decodes at {width}x{height} instead of {self.width}x{self.height}: "
                    "videos whose picture changes size or turns midway are not supported"
                )
            pixels = np.empty((self.height, self.width, 3), np.uint8)
            view = memoryview(pixels).cast("B")
            got = 0
            while got < size:
                n = self._proc.stdout.readinto(view[got:])
                if not n:
                    break
                got += n
            if got < size:
                self._finish()
                raise MediaError(f"the decoder stopped inside frame {index}")
            pts = last_end if pts is None else pts
            last_end = pts + max(duration, 1)
            ns = (self.time_base or Fraction(1, 1_000_000)) * 1_000_000_000
            yield Frame(index, round(pts * ns), round(duration * ns), pixels)
        self._finish()

    def _finish(self) -> None:
        """Wait for ffmpeg to exit; a failure becomes a MediaError with its reason."""
        self._proc.wait()
        self._stderr.join()
        if self._proc.returncode != 0:
            raise MediaError(f"decoding failed: {_error_line(''.join(self._log))}")

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        # the log reader sees the dead process's end of file; closing its stream under it would crash it
        self._stderr.join(timeout=5)
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream:
                stream.close()

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_frame(path: Path, index: int) -> np.ndarray:
    """One frame, found by seeking to its timestamp rather than decoding from the start."""
    p = probe(path)
    if not 0 <= index < p.info.frames:
        raise IndexError(f"frame {index} is outside 0..{p.info.frames - 1}")
    # seek to half a frame before it, then keep the first frame from halfway on
    halfway = Fraction(p.pts[index] + p.pts[index - 1], 2) * p.time_base if index else None
    start = max(0.0, float(halfway) - p.start - 0.001) if halfway is not None else None
    with FrameReader(path, p.info.width, p.info.height, start=start) as reader:
        for frame in reader:
            if halfway is None or frame.pts_ns >= halfway * 1_000_000_000:
                return frame.pixels
    raise MediaError(f"frame {index} could not be decoded")


# Matroska element ids used by the frame stream below.
_EBML = b"\x1a\x45\xdf\xa3"
_SEGMENT = b"\x18\x53\x80\x67"
_INFO = b"\x15\x49\xa9\x66"
_TRACKS = b"\x16\x54\xae\x6b"
_CLUSTER = b"\x1f\x43\xb6\x75"
_UNKNOWN_SIZE = b"\x01\xff\xff\xff\xff\xff\xff\xff"


def _vint(n: int) -> bytes:
    for length in range(1, 9):
        if n < (1 << (7 * length)) - 1:
            return (n | (1 << (7 * length))).to_bytes(length, "big")
    raise ValueError("element too large")


def _element(eid: bytes, payload: bytes) -> bytes:
    return eid + _vint(len(payload)) + payload


def _uint(eid: bytes, value: int) -> bytes:
    return _element(eid, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def matroska_header(width: int, height: int) -> bytes:
    """Start of a live Matroska stream with one uncompressed RGB24 video track, timestamps in nanoseconds."""
    ebml = _element(
        _EBML,
        _uint(b"\x42\x86", 1)  # EBMLVersion
        + _uint(b"\x42\xf7", 1)  # EBMLReadVersion
        + _uint(b"\x42\xf2", 4)  # EBMLMaxIDLength
        + _uint(b"\x42\xf3", 8)  # EBMLMaxSizeLength
        + _element(b"\x42\x82", b"matroska")  # DocType
        + _uint(b"\x42\x87", 4)  # DocTypeVersion
        + _uint(b"\x42\x85", 2),  # DocTypeReadVersion
    )
    info = _element(_INFO, _uint(b"\x2a\xd7\xb1", 1))  # TimestampScale: 1 ns
    video = _element(b"\xe0", _uint(b"\xb0", width) + _uint(b"\xba", height) + _element(b"\x2e\xb5\x24", b"RGB\x18"))
    track = _element(
        b"\xae",
        _uint(b"\xd7", 1)  # TrackNumber
        + _uint(b"\x73\xc5", 1)  # TrackUID
        + _uint(b"\x83", 1)  # TrackType: video
        + _element(b"\x86", b"V_UNCOMPRESSED")
        + video,
    )
    return ebml + _SEGMENT + _UNKNOWN_SIZE + info + _element(_TRACKS, track)


def matroska_frame_header(pts_ns: int, duration_ns: int, frame_bytes: int) -> bytes:
    """Everything of one frame's cluster up to its pixels: Cluster{Timestamp, BlockGroup{BlockDuration, Block}}."""
    block_head = b"\x81" + struct.pack(">hB", 0, 0)  # track 1, no offset, no flags
    block = b"\xa1" + _vint(len(block_head) + frame_bytes) + block_head
    group_body = _uint(b"\x9b", max(duration_ns, 1)) + block
    group = b"\xa0" + _vint(len(group_body) + frame_bytes) + group_body
    body = _uint(b"\xe7", pts_ns) + group
    return _CLUSTER + _vint(len(body) + frame_bytes) + body


@dataclass(frozen=True)
class EncodeOptions:
    container: str  # ffmpeg muxer name
    crf: int
    preset: str
    audio: bool  # keep the first audio stream


def container_of(path: Path) -> str:
    try:
        return CONTAINERS[path.suffix.lower()]
    except KeyError:
        raise MediaError(f"cannot write video as {path.suffix or '(no suffix)'}") from None


def gif_loop(path: Path) -> int:
    """How often a GIF plays again, as the gif muxer's ``loop`` takes it: the count in its NETSCAPE2.0
    (or ANIMEXTS1.0) extension, 0 for forever, or -1 without one (play once). ffmpeg's demuxer does not
    report it, so the blocks are walked here; a file that is no GIF has none."""
    data = path.read_bytes()
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        return -1
    pos = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)  # after the global colour table
    while pos + 1 < len(data):
        if data[pos] == 0x2C:  # image: descriptor, local colour table, LZW code size, then its data
            flags = data[pos + 9] if pos + 9 < len(data) else 0
            pos = _after_sub_blocks(data, pos + 11 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0))
        elif data[pos] == 0x21:  # extension: label, then sub-blocks
            app = data[pos + 1 : pos + 14] in (b"\xff\x0bNETSCAPE2.0", b"\xff\x0bANIMEXTS1.0")
            if app and data[pos + 14 : pos + 16] == b"\x03\x01":
                return int.from_bytes(data[pos + 16 : pos + 18], "little")
            pos = _after_sub_blocks(data, pos + 2)
        else:  # the trailer, or damage
            break
    return -1


def _after_sub_blocks(data: bytes, pos: int) -> int:
    """Where a GIF's run of length-prefixed sub-blocks starting at ``pos`` ends (after its empty block)."""
    while pos < len(data) and data[pos]:
        pos += 1 + data[pos]
    return pos + 1


def encode_args(src: Path, dst: Path, p: Probe, opts: EncodeOptions, offset_us: int = 0) -> list[str]:
    """ffmpeg arguments that encode the frame stream on stdin into ``dst``, with only
    the first audio stream of ``src`` (or none) and no metadata, chapters or other streams.
    ``offset_us`` is added to the frame stream's timestamps."""
    w, h = p.info.width, p.info.height
    frames = ffmpeg_python.input("pipe:", f="matroska", **({"itsoffset": f"{offset_us}us"} if offset_us else {}))
    streams = [frames["v:0"]]
    output = _clean_output(src, p, opts, streams)
    output |= {
        "fps_mode": "passthrough",
        # back onto the source's own clock, so every timestamp comes out as it went in
        "enc_time_base:v": f"{p.time_base.numerator}/{p.time_base.denominator}",
        "flags:v": "+bitexact",
    }
    if p.sar != 1 and opts.container != "gif":  # non-square pixels (anamorphic video) keep their shape
        output["vf"] = f"setsar={p.sar.numerator}/{p.sar.denominator}"
    if opts.container == "webm":
        output |= {"c:v": "libvpx-vp9", "crf": opts.crf, "b:v": 0, "deadline": "realtime", "cpu-used": 8}
        output |= {"row-mt": 1, "pix_fmt": "yuv420p"}
    elif opts.container == "gif":
        # a GIF source plays as often as before; a video made into a GIF loops like one
        loop = gif_loop(src) if CONTAINERS.get(src.suffix.lower()) == "gif" else 0
        output |= {"c:v": "gif", "vf": GIF_PALETTE, "loop": loop}
    else:
        # 4:2:0 needs even sides; odd ones keep their exact size in 4:4:4 instead of being padded
        pix_fmt = "yuv420p" if w % 2 == 0 and h % 2 == 0 else "yuv444p"
        output |= {"c:v": "libx264", "crf": opts.crf, "preset": opts.preset, "pix_fmt": pix_fmt}
        # x264 writes its version and every setting into an SEI (NAL type 6) that +bitexact keeps
        output["bsf:v"] = "filter_units=remove_types=6"
        if opts.container == "avi":
            # AVI stores no presentation times: with B-frames the picture would lag the sound by their delay
            output["bf"] = 0
    args = ffmpeg_python.output(*streams, str(dst), **output).get_args()
    return ["-loglevel", "error", "-copyts", *args]


def _clean_output(src: Path, p: Probe, opts: EncodeOptions, streams: list) -> dict[str, object]:
    """Output options every written video shares: no metadata, chapters or other streams, no version tags,
    and the first audio stream of ``src`` (appended to ``streams``) re-encoded, or none."""
    output: dict[str, object] = {
        "map_metadata": -1,
        "map_metadata:s:v": -1,
        "map_chapters": -1,
        # bitexact drops version tags; an empty "encoder" drops the "Lavc libx264" a .mov still names
        "fflags": "+bitexact",
        "metadata:s:v:0": "encoder=",
        "f": opts.container,
    }
    if opts.container in ("mp4", "mov"):
        output["movflags"] = "+faststart"
    if opts.audio and p.info.has_audio:
        streams.append(ffmpeg_python.input(str(src))["a:0"])
        output |= {"c:a": AUDIO_ENCODER[opts.container], "map_metadata:s:a": -1}
        output |= {"flags:a": "+bitexact", "metadata:s:a:0": "encoder="}
    return output


def concat_listing(parts: list[tuple[Path, int]]) -> str:
    """The concat demuxer's list of segment files, each given with its first frame's source time (ns).
    Each file starts where the durations before it end: they are measured from the first segment, so
    rounding to microseconds never accumulates over the seams."""
    first = parts[0][1]
    lines = ["ffconcat version 1.0"]
    for (path, start), (_, end) in zip(parts, [*parts[1:], (None, None)], strict=True):
        lines.append("file " + _concat_quote(path))
        if end is not None:
            lines.append(f"duration {(end - first) // 1000 - (start - first) // 1000}us")
    return "\n".join(lines) + "\n"


def join_args(listing: Path, first_ns: int, src: Path, dst: Path, p: Probe, opts: EncodeOptions) -> list[str]:
    """ffmpeg arguments that put encoded segments (``listing``, from ``concat_listing``) end to end into
    ``dst`` without re-encoding them, back on the source's clock (the first starts at ``first_ns``), with
    the first audio stream of ``src`` encoded once for the whole file (or none) and, as in
    ``encode_args``, no metadata."""
    video = ffmpeg_python.input(str(listing), f="concat", safe=0, itsoffset=f"{first_ns // 1000}us")
    streams = [video["v:0"]]
    output = _clean_output(src, p, opts, streams) | {"c:v": "copy"}
    if opts.container in ("mp4", "mov"):
        output["video_track_timescale"] = p.time_base.denominator
    args = ffmpeg_python.output(*streams, str(dst), **output).get_args()
    return ["-loglevel", "error", "-copyts", *args]


def _concat_quote(path: Path) -> str:
    """A path as the concat demuxer reads it: in single quotes, each quote escaped."""
    return "'" + str(path.resolve()).replace("'", "'\\''") + "'"


class FrameWriter:
    """Feeds RGB frames with their timestamps to an ffmpeg encoder writing ``dst``."""

    def __init__(self, src: Path, dst: Path, p: Probe, opts: EncodeOptions) -> None:
        self.width, self.height = p.info.width, p.info.height
        self.frames = 0
        self._origin: int | None = None
        self._src, self._dst, self._probe, self._opts = src, dst, p, opts
        self._proc: subprocess.Popen | None = None
        self._stderr = b""
        self._stderr_thread: threading.Thread | None = None

    def _start(self, first_ns: int) -> None:
        # Matroska timestamps are unsigned: a negative start goes back in through -itsoffset
        self._origin = min(0, first_ns // 1000 * 1000)
        args = encode_args(self._src, self._dst, self._probe, self._opts, self._origin // 1000)
        self._proc = subprocess.Popen(
            [ffmpeg_exe(), *GLOBAL, *args], stdin=subprocess.PIPE, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
        )
        self._stderr_thread = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_thread.start()
        assert self._proc.stdin is not None
        self._proc.stdin.write(matroska_header(self.width, self.height))

    def _read_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        self._stderr = self._proc.stderr.read()

    def write(self, pixels: np.ndarray, pts_ns: int, dur_ns: int) -> None:
        if self._proc is None:
            self._start(pts_ns)
        assert self._proc is not None and self._proc.stdin is not None and self._origin is not None
        data = memoryview(np.ascontiguousarray(pixels)).cast("B")
        try:
            self._proc.stdin.write(matroska_frame_header(pts_ns - self._origin, dur_ns, len(data)))
            self._proc.stdin.write(data)
        except (BrokenPipeError, OSError):
            self._fail()
        self.frames += 1

    def _fail(self) -> None:
        assert self._proc is not None
        self._proc.kill()
        self._proc.wait()
        if self._stderr_thread:
            self._stderr_thread.join()
        raise MediaError(f"encoding failed: {_error_line(self._stderr.decode(errors='replace'))}")

    def finish(self) -> None:
        """Close the stream and wait for ffmpeg; raises unless it wrote every frame and exited cleanly."""
        if self._proc is None:
            raise MediaError("no frames to encode")
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.close()
        except (BrokenPipeError, OSError):
            self._fail()
        self._proc.wait()
        if self._stderr_thread:
            self._stderr_thread.join()
        if self._proc.returncode != 0:
            self._fail()

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
