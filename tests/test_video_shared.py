"""Video on the research clips beside the project (read in place, never copied; skipped when absent)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_video import box_changed, decoded, dump, pts_times

import blurkit
from blurkit.detect import detect_faces
from blurkit.media.ffmpeg import ffmpeg_exe
from blurkit.settings import Settings


def audio_pts(path: Path) -> list[str]:
    args = ["-hide_banner", "-copyts", "-i", str(path), "-map", "0:a:0", "-c", "copy", "-f", "framecrc", "-"]
    lines = subprocess.run([ffmpeg_exe(), *args], capture_output=True, text=True).stdout.splitlines()
    return [line.split(",")[2].strip() for line in lines if not line.startswith("#")]


@pytest.fixture(scope="module")
def stage(tmp_path_factory) -> tuple[Path, Path, blurkit.FileResult]:
    src = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "video" / "stage-clip.mp4"
    if not src.is_file():
        pytest.skip("../shared/data is not present")
    out = tmp_path_factory.mktemp("stage") / "stage.mp4"
    # a solid, loud fill: on this dark stage the default erase mode changes a covered face too little to tell
    return src, out, blurkit.anonymize_file(src, out, Settings(mode="fill", color=(255, 0, 255)))


def test_stage_clip_keeps_every_frame_on_its_timestamp_with_its_sound(stage):
    # its video starts 0.85 s after its sound: the offset must survive, or lips and voice drift apart
    src, out, result = stage
    assert pts_times(out) == pts_times(src)
    assert len(pts_times(out)) == result.details["frames"] == 275
    # the sound is re-encoded on the same clock: every source packet's time is kept, plus at most the
    # encoder's priming packet before and its padding after
    ours, theirs = audio_pts(out), audio_pts(src)
    assert set(theirs) <= set(ours) and len(ours) - len(theirs) <= 2
    assert int(ours[0]) <= int(theirs[0]) and int(ours[1]) == int(theirs[0])
    assert "Audio: aac" in dump(out)


def test_stage_clip_faces_covered(stage):
    src, out, _ = stage
    before, after = decoded(src), decoded(out)
    checked = 0
    for index in range(0, len(before), 5):
        for face in detect_faces(before[index], Settings(threshold=0.5)):
            checked += 1
            assert box_changed(before[index], after[index], face) >= 0.7, (index, face)
    assert checked >= 40
