"""Video: decode, detect, track, obscure and encode as one stream through ffmpeg.

Frames flow decoder -> look-ahead window -> obscure and encode, each stage in
its own thread or process, so memory holds a fixed number of frames whatever
the length; one loop (``_through``) serves whole files and segments. Where and
when to detect is the ``Schedule``'s: every frame is checked (the quick pass,
for any face big enough to identify, where the picture changed since the
detector last saw it and at every track), the full multi-scale pass and the
second look run on each shot's first frame, on the cadence and on the last
frame. Shot cuts end every track. Between detections masks move with the
picture (optical flow). A frame leaves the window only once the ``lead``
frames after it are in, so a face is covered before it is first detected.
"""

from __future__ import annotations

import hashlib
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from blurkit.atomic import atomic_destination
from blurkit.detect import detect_faces, detect_turned
from blurkit.detect.multiscale import scaled
from blurkit.errors import Cancelled, MediaError
from blurkit.media.ffmpeg import (
    EncodeOptions,
    Frame,
    FrameReader,
    FrameWriter,
    Probe,
    VideoInfo,
    container_of,
    probe,
    read_frame,
)
from blurkit.obscure import TrackMemory
from blurkit.regions import Region, merge_overlapping
from blurkit.render import render_frame
from blurkit.result import FileResult
from blurkit.second_look import second_look
from blurkit.settings import Settings
from blurkit.video.motion import FrameView, ShotCuts, Unseen, box_shifts, frame_view
from blurkit.video.schedule import TURNED_THRESHOLD, Schedule
from blurkit.video.track import Tracker

__all__ = [
    "FrameRegions",
    "VideoInfo",
    "anonymize_video",
    "probe_video",
    "read_video_frame",
    "video_detection_settings",
]

# Frames queued between decoder, pipeline and encoder: enough to keep each busy while another works.
QUEUE_FRAMES = 4
PROGRESS_SECONDS = 0.1


def probe_video(path: str | Path) -> VideoInfo:
    """Size (upright, as the frames really decode), frame count, average frame rate, duration, audio and
    rotation of a video. Reads the container's packet list and decodes only the first frame."""
    return probe(Path(path)).info


def read_video_frame(path: str | Path, index: int) -> np.ndarray:
    """Frame ``index`` (0-based) as upright RGB uint8, decoded from the nearest keyframe before it."""
    return read_frame(Path(path), index)


_SOURCES = ("detector", "tracker", "manual", "second-look")
_SHAPES = ("ellipse", "box")


class FrameRegions(Sequence[list[Region]]):
    """The regions obscured in each frame. Stored as one small array per frame: Region
    objects for every frame of an hour of crowd footage would not fit in memory."""

    def __init__(self) -> None:
        self._frames: list[np.ndarray] = []

    def append(self, regions: list[Region]) -> None:
        track = [-1 if r.track_id is None else r.track_id for r in regions]
        kinds = [(_SOURCES.index(r.source), _SHAPES.index(r.shape)) for r in regions]
        rows = [(r.x0, r.y0, r.x1, r.y1, r.score, t, *k) for r, t, k in zip(regions, track, kinds, strict=True)]
        self._frames.append(np.array(rows, np.float32).reshape(-1, 8))

    def __len__(self) -> int:
        return len(self._frames)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        i = range(len(self))[index]
        return [self._region(row, i) for row in self._frames[i]]

    @staticmethod
    def _region(row: np.ndarray, frame: int) -> Region:
        x0, y0, x1, y1, score, track, source, shape = (float(v) for v in row)
        return Region(
            x0,
            y0,
            x1,
            y1,
            round(score, 4),
            shape=_SHAPES[int(shape)],
            source=_SOURCES[int(source)],
            track_id=None if track < 0 else int(track),
            frames=(frame, frame),
        )


@dataclass(frozen=True)
class Segment:
    """Frames ``first`` to ``end - 1`` of a video, decoded from ``start`` to ``stop - 1``: the frames
    around them are seen (for tracks, shot cuts and the look-ahead) but not written."""

    number: int
    first: int
    end: int
    start: int
    stop: int

    def to_dict(self) -> dict:
        return {"number": self.number, "frames": [self.first, self.end - 1], "decoded": [self.start, self.stop - 1]}


@dataclass
class SegmentResult:
    segment: Segment
    path: Path | None  # the encoded frames (None in a dry run)
    first_ns: int  # source time of the segment's first frame
    frames: FrameRegions  # the regions of each frame written
    tracks: dict[int, Region]  # each track's best detection, with its span of frames
    cuts: list[int]
    seconds: float
    details: dict = field(default_factory=dict)  # where it ran


def video_detection_settings(settings: Settings, info: VideoInfo) -> Settings:
    """The full pass's settings for this video (``Schedule.full``). Front ends previewing a frame use this
    too, so what they show is what the export will detect."""
    return Schedule(settings, info).full


class _Worker(threading.Thread):
    """A daemon thread whose exception the caller re-raises."""

    def __init__(self, target: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self._run = target
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:
            self.error = exc


_END = object()


def _put(q: queue.Queue, item: object, stop: threading.Event, worker: _Worker | None = None) -> bool:
    """Put unless ``stop`` is set or ``worker`` (the consumer) failed first; False when stopped."""
    while not stop.is_set():
        if worker is not None and worker.error is not None:
            raise worker.error
        try:
            q.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _get(q: queue.Queue, stop: threading.Event, worker: _Worker | None = None) -> object:
    """Get unless ``stop`` is set or ``worker`` failed first (then the end marker)."""
    while not stop.is_set():
        if worker is not None and worker.error is not None:
            raise worker.error
        try:
            return q.get(timeout=0.1)
        except queue.Empty:
            continue
    return _END


def _decoded(reader: FrameReader, stop: threading.Event) -> Iterator[Frame]:
    """Frames decoded ahead in a thread, at most QUEUE_FRAMES of them waiting."""
    frames: queue.Queue = queue.Queue(QUEUE_FRAMES)

    def pump() -> None:
        for frame in reader:
            if not _put(frames, frame, stop):
                return
        _put(frames, _END, stop)

    worker = _Worker(pump)
    worker.start()
    while (item := _get(frames, stop, worker)) is not _END:
        yield item  # type: ignore[misc]
    worker.join()
    if worker.error:
        raise worker.error


class _Encoder:
    """Obscures frames and feeds them to a FrameWriter from a thread, so obscuring and encoding
    overlap decoding and detection (OpenCV, OpenVINO and numpy let go of the GIL while they work)."""

    def __init__(
        self, writer: FrameWriter, settings: Settings, stop: threading.Event, memory: TrackMemory | None = None
    ) -> None:
        self.writer, self._settings, self._stop = writer, settings, stop
        self._memory = memory or TrackMemory()  # this video's own: its faces' cells, textures and secret
        self._queue: queue.Queue = queue.Queue(QUEUE_FRAMES)
        self._worker = _Worker(self._drain)
        self._worker.start()

    def _drain(self) -> None:
        while (item := _get(self._queue, self._stop)) is not _END:
            frame, regions = item  # type: ignore[misc]
            pixels = render_frame(frame.pixels, regions, self._settings, frame.index, self._memory)
            self.writer.write(pixels, frame.pts_ns, frame.duration_ns)

    def put(self, frame: Frame, regions: list[Region]) -> None:
        _put(self._queue, (frame, regions), self._stop, self._worker)

    def finish(self) -> None:
        """Wait until every frame is written and ffmpeg has closed the file cleanly."""
        _put(self._queue, _END, self._stop, self._worker)
        self._worker.join()
        if self._worker.error:
            raise self._worker.error
        self.writer.finish()


def anonymize_video(
    src: Path,
    dst: Path,
    settings: Settings,
    *,
    extra_regions: list[Region],
    overwrite: bool,
    dry_run: bool,
    progress: Callable[[int, int], None] | None,
    cancel: threading.Event | None,
    frames: Sequence[Sequence[Region]] | None = None,
    visible_tracks: Collection[int] = (),
    memory: TrackMemory | None = None,
) -> FileResult:
    """Every frame of ``src`` with its faces (and ``extra_regions``) obscured, written atomically to ``dst``.
    ``frames`` (a reviewed dry run's per-frame regions) stands in for detection and tracking; tracks in
    ``visible_tracks`` are left visible; ``memory`` obscures as the previews drawn with it did."""
    p = probe(src)
    info = p.info
    opts = encode_options(dst, settings)
    schedule = Schedule(settings, info)
    if frames is None:
        run = _Run(schedule, extra_regions, progress, visible=visible_tracks)
    else:
        run = _Replay(frames, schedule, extra_regions, visible_tracks, progress)
    result = FileResult(src, dst, "video", "dry-run" if dry_run else "written", width=info.width, height=info.height)
    with (
        FrameReader(src, info.width, info.height) as reader,
        nullcontext() if dry_run else atomic_destination(dst, overwrite) as tmp,
    ):
        decoded = _through(src, p, iter(reader), tmp, opts, run, cancel, memory or TrackMemory(), None)
        if tmp is not None:
            with open(tmp, "rb") as f:
                result.sha256 = hashlib.file_digest(f, "sha256").hexdigest()
    result.frames = run.per_frame
    result.regions = [*run.tracks.values(), *extra_regions]
    result.details = {
        "frames": decoded,
        "fps": round(info.fps, 3),
        "duration": round(info.duration, 3),
        "audio": "none" if not info.has_audio else "kept" if opts.audio else "dropped",
        "detection": run.detection(),
        "cuts": run.cuts,
        "removed_metadata": list(p.tags),
    }
    if visible_tracks:
        result.details["visible_tracks"] = sorted(visible_tracks)
    return result


def _through(
    src: Path,
    p: Probe,
    frames: Iterator[Frame],
    tmp: Path | None,
    opts: EncodeOptions,
    run: _Run,
    cancel: threading.Event | None,
    memory: TrackMemory,
    written: Callable[[int], int] | None,
) -> int:
    """The one frame loop, for whole files and segments: ``frames`` decoded ahead in a thread, through
    ``run`` and, unless ``tmp`` is None (a dry run), obscured and encoded into ``tmp`` in another thread,
    which must then hold ``written(decoded)`` frames (all that were decoded when None). Returns how many
    frames were decoded (the last one's index + 1)."""
    stop = threading.Event()
    with nullcontext() if tmp is None else FrameWriter(src, tmp, p, opts) as writer:
        encoder = None if writer is None else _Encoder(writer, run.settings, stop, memory.fresh())
        try:
            decoded = run.process(_decoded(frames, stop), encoder, cancel)
            if encoder is not None:
                encoder.finish()
                check_written(tmp, writer.frames, decoded if written is None else written(decoded))  # type: ignore[arg-type]
        finally:
            stop.set()
    return decoded


def encode_options(dst: Path, settings: Settings) -> EncodeOptions:
    container = container_of(dst)
    return EncodeOptions(container, settings.crf, settings.preset, settings.audio == "keep" and container != "gif")


def check_written(path: Path, written: int, decoded: int) -> None:
    """Fail closed: the file must hold every decoded frame, or it is not published."""
    found = probe(path).info.frames
    if not written == found == decoded:
        raise MediaError(f"the encoder wrote {found} of {decoded} frames")


def anonymize_segment(
    src: Path,
    part: Path | None,
    segment: Segment,
    settings: Settings,
    *,
    container: str,
    extra_regions: list[Region],
    cancel: threading.Event | None,
) -> SegmentResult:
    """Frames ``segment.first`` to ``segment.end - 1`` of ``src``, obscured exactly as a single pass would
    (the frames around them are decoded and seen, not written), encoded without sound into ``part`` (a
    ``container`` file, none in a dry run) on the source's clock."""
    started = time.perf_counter()
    p = probe(src)
    info = p.info
    # the last segment reads to the end: a video may decode to fewer frames than its packets promise
    last = segment.stop >= info.frames
    span = (segment.first, sys.maxsize if last else segment.end)
    run = _Run(Schedule(settings, info), extra_regions, None, span=span)
    opts = EncodeOptions(container, settings.crf, settings.preset, audio=False)
    with (
        FrameReader(src, info.width, info.height, first=segment.start) as reader,
        nullcontext() if part is None else atomic_destination(part, overwrite=True) as tmp,
    ):
        frames = iter(reader) if last else _until(iter(reader), segment.stop)

        def written(decoded: int) -> int:
            return (decoded if last else segment.end) - segment.first

        decoded = _through(src, p, frames, tmp, opts, run, cancel, TrackMemory(), written)
    end = segment.first + written(decoded)
    if run.first_ns is None:
        raise MediaError(f"no frame of segment {segment.number} was decoded")
    seconds = time.perf_counter() - started
    result = SegmentResult(replace(segment, end=end), part, run.first_ns, run.per_frame, run.tracks, run.cuts, seconds)
    result.details["detection"] = run.detection()
    return result


def _until(frames: Iterator[Frame], stop: int) -> Iterator[Frame]:
    """Frames up to ``stop - 1``; a video that ends sooner fails rather than leaving frames out."""
    index = None
    for frame in frames:
        yield frame
        index = frame.index
        if index + 1 == stop:
            return
    raise MediaError(f"the decoder stopped at frame {0 if index is None else index + 1} of {stop}")


class _Run:
    """One video's pass: its schedule, shot cuts, motion, look-ahead window, tracking and obscuring."""

    def __init__(
        self,
        schedule: Schedule,
        manual: list[Region],
        progress: Callable[[int, int], None] | None,
        span: tuple[int, int] | None = None,
        visible: Collection[int] = (),
    ) -> None:
        self.schedule, self.settings = schedule, schedule.settings
        self.lead, self.manual, self.progress = schedule.lead, manual, progress
        self.visible = set(visible)  # tracks left visible (a reviewed dry run's ids)
        self.total = schedule.info.frames
        # the frames written (a segment's); the others are only seen, for tracks, cuts and the look-ahead
        self.span = span or (0, self.total)
        self._whole = span is None
        self.first_ns: int | None = None  # source time of the first frame written
        self.tracker = Tracker(
            hold=schedule.hold, lead=schedule.lead, mover=self._move, pad=schedule.pad, brief=schedule.brief
        )
        self.shots = ShotCuts()
        self.unseen = Unseen()
        self.quick_share: list[float] = []  # share of the quick copy searched, per frame between full searches
        self.views: dict[int, FrameView] = {}
        self.cuts: list[int] = []
        self.per_frame = FrameRegions()
        self.tracks: dict[int, Region] = {}
        self._spans: dict[int, tuple[int, int]] = {}
        self._reported = 0.0

    def detection(self) -> dict:
        """The detection schedule, for the report, with the share of the picture the quick pass searched."""
        share = round(float(np.mean(self.quick_share)), 3) if self.quick_share else None
        return {**self.schedule.report(), "quick_pass_share": share}

    def _quick_pass(self, frame: Frame, small: np.ndarray, view: FrameView) -> list[Region]:
        """The every-frame pass, where the schedule says to look in ``small`` (the frame at the quick scale)."""
        (h, w), (sh, sw) = frame.pixels.shape[:2], small.shape[:2]
        changed = self.unseen.changed(view.grey)
        tracks = self.tracker.boxes_at(frame.index) * view.scale
        rects = None if changed is None else self.schedule.quick_where(changed, tracks, small.shape)
        self.unseen.checked(rects)
        if rects is None:
            rects = [(0, 0, sw, sh)]
        self.quick_share.append(sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in rects) / (sw * sh))
        turns = self.schedule.turns(frame.index, full=False)
        found = []
        for x0, y0, x1, y1 in rects:
            crop = small[y0:y1, x0:x1]
            here = detect_faces(crop, self.schedule.quick_upright, close_up=False) + self._turned(crop, turns)
            found += [r.moved(x0, y0).moved(0, 0, w / sw, h / sh) for r in here]
        return merge_overlapping(found) if len(rects) > 1 or turns else found  # they may overlap

    def _turned(self, small: np.ndarray, turns: tuple[int, ...]) -> list[Region]:
        """Faces in ``small`` (at the quick scale) turned by ``turns``, from TURNED_THRESHOLD."""
        if not turns:
            return []
        return [r for r in detect_turned(small, self.schedule.quick, (1.0,), turns) if r.score >= TURNED_THRESHOLD]

    def _full_pass(self, frame: Frame, cut: bool) -> list[Region]:
        """The multi-scale detection, then (where the schedule says) the second look at the frame with these
        detections and the manual regions obscured: its finds start tracks of their own, or refresh a track
        they fall on. It depends on this frame alone (not on the tracks carried into it, nor on the run's
        secret), so a segment finds what a single pass finds."""
        upright = self.schedule.upright
        found = detect_faces(frame.pixels, upright, close_up=False)  # the quick pass sees close-ups whole
        turns = self.schedule.turns(frame.index, full=True)
        if turns:
            turned = detect_turned(frame.pixels, self.schedule.quick, self.schedule.turned_full, turns)
            found = merge_overlapping(found + [r for r in turned if r.score >= TURNED_THRESHOLD])
        if not self.schedule.second_look(frame.index, cut):
            return found
        known = [*found, *(r for r in self.manual if r.in_frame(frame.index))]
        return found + second_look(frame.pixels, known, upright)

    def _move(self, boxes: np.ndarray, a: int, b: int) -> np.ndarray:
        return box_shifts(self.views[a], self.views[b], boxes)

    def process(self, frames: Iterator[Frame], encoder: _Encoder | None, cancel: threading.Event | None) -> int:
        """Run every frame through; returns how many there were."""
        schedule = self.schedule
        window: deque[Frame] = deque()
        last: Frame | None = None
        last_full = 0
        for frame in frames:
            if cancel is not None and cancel.is_set():
                raise Cancelled("cancelled; nothing was written")
            i = frame.index
            # the every-frame pass and the motion estimate share one small copy of the frame
            small = scaled(frame.pixels, schedule.quick_scale)
            view = self.views[i] = frame_view(small, small.shape[1] / frame.pixels.shape[1])
            cut = self.shots.is_cut(view)
            if cut and self.span[0] <= i < self.span[1]:
                self.cuts.append(i)
            self.tracker.next_frame(i, cut)
            full = schedule.full_search(i, cut)
            if full:
                last_full = i
                self.unseen.reset(view.grey)
            found = self._full_pass(frame, cut) if full else self._quick_pass(frame, small, view)
            self.tracker.update(i, found)
            window.append(frame)
            last = frame
            if len(window) > self.lead:
                self._emit(window.popleft(), encoder)
        if last is None:
            raise MediaError("no frame could be decoded")
        if schedule.final_search(last.index, last_full) and (self._whole or last.index == self.total - 1):
            self.tracker.update(last.index, self._full_pass(last, cut=True))
        while window:
            self._emit(window.popleft(), encoder)
        for tid, region in self.tracks.items():
            self.tracks[tid] = replace(region, frames=self._spans[tid])
        if self.progress:
            self.progress(last.index + 1 - self.span[0], last.index + 1 - self.span[0])
        return last.index + 1

    def _emit(self, frame: Frame, encoder: _Encoder | None) -> None:
        i = frame.index
        found = [r for r in self.tracker.regions_at(i) if r.track_id not in self.visible]
        regions = found + [r for r in self.manual if r.in_frame(i)]
        self.tracker.forget_before(i + 1)
        self.views.pop(i, None)
        if not self.span[0] <= i < self.span[1]:
            return
        if self.first_ns is None:
            self.first_ns = frame.pts_ns
        self.per_frame.append(regions)
        for r in regions:
            if r.track_id is not None and r.source != "manual":  # (a followed manual region has an id too)
                first = self._spans.get(r.track_id, (i, i))[0]
                self._spans[r.track_id] = (first, i)
                best = self.tracks.get(r.track_id)
                if best is None or r.score > best.score:
                    self.tracks[r.track_id] = r
        if encoder is not None:
            encoder.put(frame, regions)
        now = time.monotonic()
        if self.progress and now - self._reported >= PROGRESS_SECONDS:
            self._reported = now
            first, end = self.span
            self.progress(i + 1 - first, max(end - first, i + 1 - first))


class _Given:
    """A reviewed dry run's regions in the tracker's place: what ``_Replay`` obscures in each frame."""

    def __init__(self, frames: Sequence[Sequence[Region]]) -> None:
        self.frames = frames

    def regions_at(self, index: int) -> list[Region]:
        return list(self.frames[index])

    def forget_before(self, index: int) -> None:
        """Nothing to forget: the regions were given."""


class _Replay(_Run):
    """A reviewed dry run played back: the regions given for each frame are obscured (less the tracks
    left visible, plus the manual regions) and nothing is detected or tracked again. Regions given for
    another number of frames than the video has fail the file: a frame must never go without its own."""

    def __init__(
        self,
        given: Sequence[Sequence[Region]],
        schedule: Schedule,
        manual: list[Region],
        visible: Collection[int],
        progress: Callable[[int, int], None] | None,
    ) -> None:
        super().__init__(schedule, manual=manual, progress=progress, visible=visible)
        self.lead = 0
        self.given = given
        self.tracker = _Given(given)  # type: ignore[assignment]

    def process(self, frames: Iterator[Frame], encoder: _Encoder | None, cancel: threading.Event | None) -> int:
        count = 0
        for frame in frames:
            if cancel is not None and cancel.is_set():
                raise Cancelled("cancelled; nothing was written")
            if frame.index >= len(self.given):
                raise MediaError(f"regions were given for {len(self.given)} frames, but the video has more")
            self._emit(frame, encoder)
            count = frame.index + 1
        if count != len(self.given):
            raise MediaError(f"regions were given for {len(self.given)} frames, but the video has {count}")
        for tid, region in self.tracks.items():
            self.tracks[tid] = replace(region, frames=self._spans[tid])
        if self.progress:
            self.progress(count, count)
        return count

    def detection(self) -> dict:
        """Nothing detected: the report says where the regions came from."""
        return {"regions": "given for each frame (a reviewed dry run)"}
