"""A long video in segments covers every face exactly as a single pass does, with the same frames, timestamps
and sound; the seams are where it could go wrong, so the clip puts a face leaving, one arriving and one moving
across right at a seam."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import synthetic_clips
from synthetic_clips import Clip, Face, FrameSpec, box_changed
from test_video import decoded, pts_times

import blurkit
from blurkit.media.ffmpeg import ffmpeg_exe
from blurkit.obscure import mask_of, mask_regions
from blurkit.video.pipeline import probe_video
from blurkit.video.segments import overlap, plan_segments

SIZE = (320, 180)
FRAMES = 360
SEAM = FRAMES // 2  # two segments of a 360-frame clip meet here
CUT = 300
COVERED = 0.95


def seams_clip(path: Path) -> Clip:
    """Three people around the seam: one leaves 3 frames before it, one pops in 3 frames after it (so only the
    look-ahead covers them on the other side), one walks across it; a cut later in the second segment.
    The walker is drawn at 360 lines and scaled, so it crosses the 320-px frame in about 200 frames."""
    specs = []
    for i in range(FRAMES):
        faces = []
        if i < SEAM - 3:
            faces.append(Face("astronaut", (60, 90)))
        if SEAM + 3 <= i < CUT:
            faces.append(Face("hopper", (260, 80)))
        faces.append(Face("hopper", (40 + 1.5 * i, 250), mirror=True))
        specs.append(FrameSpec(1 if i < CUT else 2, tuple(faces)))
    silent = path.with_name("silent.mp4")
    clip = synthetic_clips.render(silent, specs, SIZE)
    subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(silent), "-f", "lavfi", "-i", "sine=f=330:d=15",
         "-shortest", "-c:v", "copy", "-c:a", "aac", "-metadata", "title=Kettle at the bridge", str(path)],
        check=True,
    )  # fmt: skip
    return Clip(path, clip.size, clip.fps, clip.faces, clip.cuts)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("seams")
    clip = seams_clip(folder / "in.mp4")
    single = blurkit.anonymize_file(clip.path, folder / "single.mp4")
    [split] = blurkit.run_batch([blurkit.Job(clip.path, folder / "split.mp4")], blurkit.Settings(), workers=2)
    return clip, single, split


def test_the_video_is_cut_at_the_seam_with_overlap(runs) -> None:
    clip, _, split = runs
    before, after = overlap(blurkit.Settings(), probe_video(clip.path))
    assert split.status == "written", split.error
    segments = split.details["segments"]
    assert [s["frames"] for s in segments] == [[0, SEAM - 1], [SEAM, FRAMES - 1]]
    assert [s["decoded"] for s in segments] == [[0, SEAM - 1 + after], [SEAM - before, FRAMES - 1]]
    assert all(re.fullmatch(r".+:\d+", s["worker"]) for s in segments)
    assert plan_segments(clip.path, blurkit.Settings(), 8) == plan_segments(clip.path, blurkit.Settings(), 2)


def test_segments_keep_frames_timestamps_size_and_sound(runs) -> None:
    clip, single, split = runs
    for path in (single.dst, split.dst):
        info = probe_video(path)
        assert (info.frames, info.width, info.height, info.has_audio) == (FRAMES, *SIZE, True)
    assert pts_times(split.dst) == pts_times(single.dst) == pts_times(clip.path)
    assert split.details["cuts"] == single.details["cuts"] == [0, CUT]
    assert abs(split.details["duration"] - single.details["duration"]) < 1e-6


def test_segments_list_the_removed_metadata_as_a_single_pass_does(runs) -> None:
    _, single, split = runs
    names = split.details["removed_metadata"]
    assert names == single.details["removed_metadata"] and any("title" in n for n in names)
    assert not any("Kettle" in n for n in names)


def test_faces_near_the_seam_are_covered_as_in_a_single_pass(runs) -> None:
    clip, single, split = runs
    before, one, two = decoded(clip.path), decoded(single.dst), decoded(split.dst)
    exposed = {"single": [], "segments": []}
    for i, faces in enumerate(clip.faces):
        for face in faces:
            for name, after in (("single", one), ("segments", two)):
                if box_changed(before[i], after[i], face) < COVERED:
                    exposed[name].append((i, face.who))
    assert exposed == {"single": [], "segments": []}
    # and the masks themselves: each frame's masked area is the single pass's
    width, height = SIZE
    settings = blurkit.Settings()
    worst = 1.0
    for i in range(FRAMES):
        a = mask_of((height, width), mask_regions(single.frames[i], settings, width, height))
        b = mask_of((height, width), mask_regions(split.frames[i], settings, width, height))
        if a.any() or b.any():
            worst = min(worst, (a & b).sum() / (a | b).sum())
    assert worst > 0.9


def test_a_face_across_the_seam_is_one_track(runs) -> None:
    _, single, split = runs
    assert len(split.regions) == len(single.regions)
    # the walker, from the first frame to the cut, which ends every track
    assert [r.frames for r in split.regions if r.frames[0] == 0] == [
        r.frames for r in single.regions if r.frames[0] == 0
    ]
    assert (0, CUT - 1) in [r.frames for r in split.regions]


def test_segment_outputs_carry_no_tool_strings(runs) -> None:
    _, _, split = runs
    data = Path(split.dst).read_bytes()
    assert not re.search(rb"x264|Lavc\d|Lavf\d|libx264", data)
    assert not [p.name for p in Path(split.dst).parent.iterdir() if "partial" in p.name or "ffconcat" in p.name]


def test_a_short_video_is_not_split(tmp_path: Path) -> None:
    assert len(plan_segments(Path(synthetic_clips.SAMPLES / "two_faces.mp4"), blurkit.Settings(), 4)) == 1


@pytest.mark.parametrize("suffix", [".mkv", ".webm"])
def test_other_containers_join_exactly(runs, tmp_path: Path, suffix: str) -> None:
    clip, _, _ = runs
    settings = blurkit.Settings(scales=(1.0,))
    [split] = blurkit.run_batch([blurkit.Job(clip.path, tmp_path / f"split{suffix}")], settings, workers=2)
    single = blurkit.anonymize_file(clip.path, tmp_path / f"single{suffix}", settings)
    assert len(split.details["segments"]) == 2
    assert pts_times(split.dst) == pts_times(single.dst)
    assert np.array_equal(np.array(decoded(split.dst)).shape, np.array(decoded(single.dst)).shape)


SHARED_STREET = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "video" / "mot17-13-street.mp4"


@pytest.mark.skipif(not SHARED_STREET.exists(), reason="the shared research clips are not beside the project")
def test_a_shared_clip_in_segments_covers_what_a_single_pass_covers(tmp_path: Path) -> None:
    """A real street scene (people walking in and out, an edit list in the file), its first 400 frames: in
    segments every frame masks what the single pass masks."""
    clip = tmp_path / "street.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-i", str(SHARED_STREET), "-frames:v", "400", "-c:v", "libx264",
         "-crf", "16", "-preset", "veryfast", str(clip)],
        check=True,
    )  # fmt: skip
    settings = blurkit.Settings()
    single = blurkit.anonymize_file(clip, tmp_path / "single.mp4", settings, dry_run=True)
    [split] = blurkit.run_batch([blurkit.Job(clip, tmp_path / "split.mp4")], settings, workers=2, dry_run=True)
    assert len(split.details["segments"]) == 2 and len(split.frames) == len(single.frames) == 400
    info = probe_video(clip)
    width, height = info.width, info.height
    for i in range(400):
        a = mask_of((height, width), mask_regions(single.frames[i], settings, width, height))
        b = mask_of((height, width), mask_regions(split.frames[i], settings, width, height))
        assert (a & ~b).sum() <= 0.05 * max(a.sum(), 1), f"frame {i}: the segments leave part of a mask out"
