"""The batch command line, end to end as a subprocess for a few cases and in-process for the rest."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import cv2
import numpy as np
import pytest
from photo_fixtures import load_rgb, sha256
from PIL import Image

from blurkit import MODES, Region, Settings, detect_faces, mask_regions
from blurkit.cli import main
from blurkit.obscure import mask_of

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_media"


def blurkit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "blurkit", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """Sample photos in a nested folder, with things that are not photos beside them."""
    folder = tmp_path / "march"
    (folder / "day1" / "square").mkdir(parents=True)
    (folder / "astronaut.png").write_bytes((SAMPLES / "astronaut.png").read_bytes())
    (folder / "day1" / "hopper.jpg").write_bytes((SAMPLES / "grace_hopper.jpg").read_bytes())
    Image.open(SAMPLES / "grace_hopper.jpg").save(folder / "day1" / "square" / "hopper.webp", quality=90)
    (folder / "day1" / "notes.txt").write_text("not a photo")
    (folder / ".hidden.jpg").write_bytes((SAMPLES / "grace_hopper.jpg").read_bytes())
    return folder


PHOTO_TREE = ["astronaut.png", "day1/hopper.jpg", "day1/square/hopper.webp"]


def test_end_to_end_folder_with_report(photos: Path, tmp_path: Path) -> None:
    out, report = tmp_path / "out", tmp_path / "report.json"
    run = blurkit(str(photos), "-o", str(out), "--report", str(report))
    assert run.returncode == 0, run.stderr
    assert tree(out) == PHOTO_TREE
    assert re.search(r"3 file\(s\) anonymized, \d+ face\(s\) obscured -> ", run.stderr)
    data = json.loads(report.read_text())
    assert data["settings"] == Settings().to_dict()
    assert "tattoos" in data["not_removed"]
    files = {Path(f["output"]).relative_to(out).as_posix(): f for f in data["files"]}
    assert sorted(files) == PHOTO_TREE
    for name, entry in files.items():
        assert entry["status"] == "written" and entry["kind"] == "photo"
        assert entry["output_sha256"] == sha256(out / name)
        assert entry["settings"] == Settings().to_dict()
        assert entry["regions"] and all(0 < r["score"] <= 1 and r["x1"] > r["x0"] for r in entry["regions"])
        assert entry["input"] == str(photos / name)


def test_help_explains_modes_exit_codes_and_what_is_not_removed() -> None:
    run = blurkit("--help")
    assert run.returncode == 0
    text = " ".join(run.stdout.split())
    for name, meaning in MODES.items():
        assert f"{name} {' '.join(meaning.split())}" in text
    assert "not removed: tattoos" in text and "faces the detector missed" in text
    assert "exit status: 0 all files done, 1 some files failed" in text and "2 usage error" in text
    for option in ("--mode", "--mask-scale", "--threshold", "--jobs", "--report", "--dry-run", "--overwrite", "-q"):
        assert option in text


@pytest.mark.parametrize(
    "args",
    [
        ["--mode", "smudge"],
        ["--mask-scale", "9"],
        ["--threshold", "0"],
        ["--jobs", "0"],
        ["--color", "red"],
        ["--region", "1,2,3"],
        ["--region", "10,10,0,5"],
        ["--region", "10,10,5,5@9-3"],
        ["--report", "report.jpg"],
    ],
)
def test_usage_errors_exit_2(args: list[str], tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([str(SAMPLES / "astronaut.png"), "-o", str(tmp_path / "out"), *args])
    assert exit_.value.code == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_usage_error_as_a_subprocess() -> None:
    run = blurkit(str(SAMPLES))
    assert run.returncode == 2 and "-o/--output" in run.stderr


def test_output_that_is_a_file_with_several_inputs_is_a_usage_error(photos: Path, tmp_path: Path, capsys) -> None:
    existing = tmp_path / "existing.jpg"
    existing.write_bytes(b"keep me")
    with pytest.raises(SystemExit) as exit_:
        main([str(photos), "-o", str(existing)])
    assert exit_.value.code == 2 and existing.read_bytes() == b"keep me"


def test_folder_is_mirrored_with_the_same_names(photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main([str(photos), "-o", str(out), "-q"]) == 0
    assert tree(out) == PHOTO_TREE
    for name in PHOTO_TREE:
        with Image.open(photos / name) as a, Image.open(out / name) as b:
            assert (a.format, a.size) == (b.format, b.size)


def test_files_and_folders_mixed(photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main([str(photos / "day1"), str(SAMPLES / "astronaut.png"), "-o", str(out), "-q"]) == 0
    assert tree(out) == ["astronaut.png", "hopper.jpg", "square/hopper.webp"]


def test_one_file_to_a_named_output_file(tmp_path: Path) -> None:
    dst = tmp_path / "deep" / "public.jpg"
    assert main([str(SAMPLES / "astronaut.png"), "-o", str(dst), "-q"]) == 0
    assert tree(tmp_path) == ["deep/public.jpg"]
    with Image.open(dst) as im:
        assert im.format == "JPEG" and im.size == (512, 512)


def test_one_file_into_a_folder(tmp_path: Path) -> None:
    assert main([str(SAMPLES / "grace_hopper.jpg"), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert tree(tmp_path / "out") == ["grace_hopper.jpg"]


def test_dry_run_detects_and_reports_but_writes_no_image(photos: Path, tmp_path: Path, capsys) -> None:
    out, report = tmp_path / "out", tmp_path / "dry.json"
    assert main([str(photos), "-o", str(out), "--dry-run", "--report", str(report)]) == 0
    assert not out.exists()
    files = json.loads(report.read_text())["files"]
    assert len(files) == 3
    assert all(f["status"] == "dry-run" and f["regions"] and f["output_sha256"] is None for f in files)
    assert "3 file(s) checked" in capsys.readouterr().err


def test_report_lists_failures_too(photos: Path, tmp_path: Path) -> None:
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    report = tmp_path / "r.json"
    assert main([str(photos), "-o", str(tmp_path / "out"), "-q", "--report", str(report)]) == 1
    entry = next(f for f in json.loads(report.read_text())["files"] if f["input"].endswith("broken.jpg"))
    assert entry["status"] == "failed" and entry["output_sha256"] is None and "truncated" in entry["error"]


def test_parallel_jobs_give_the_same_outputs(photos: Path, tmp_path: Path) -> None:
    # the same faces covered in the same places; only the noise differs (each process draws its own secret)
    Image.open(SAMPLES / "astronaut.png").save(photos / "day1" / "astronaut.tif")
    runs = {}
    for jobs in ("1", "2"):
        report = tmp_path / f"report{jobs}.json"
        assert main([str(photos), "-o", str(tmp_path / jobs), "-q", "--jobs", jobs, "--report", str(report)]) == 0
        files = json.loads(report.read_text())["files"]
        runs[jobs] = {Path(f["output"]).relative_to(tmp_path / jobs).as_posix(): f["regions"] for f in files}
    names = tree(tmp_path / "1")
    assert names == tree(tmp_path / "2") and len(names) == 4
    assert runs["1"] == runs["2"] and sorted(runs["1"]) == names
    for name in (n for n in names if n.endswith((".png", ".tif"))):  # lossless: untouched pixels stay equal
        one, two = load_rgb(tmp_path / "1" / name), load_rgb(tmp_path / "2" / name)
        regions = [Region.from_dict(r) for r in runs["1"][name]]
        near = mask_of(one.shape, mask_regions(regions, Settings(mask_scale=2.0), one.shape[1], one.shape[0]))
        assert np.array_equal(one[~near], two[~near]), name
        assert not np.array_equal(one[near], two[near]), name


def test_quiet_says_nothing_on_success_but_still_reports_errors(photos: Path, tmp_path: Path, capsys) -> None:
    assert main([str(photos), "-o", str(tmp_path / "q"), "-q"]) == 0
    assert capsys.readouterr().err == ""
    (photos / "bad.png").write_bytes(b"")
    assert main([str(photos), "-o", str(tmp_path / "q2"), "-q"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "bad.png" in err[0]


def test_nothing_to_do_exits_1(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    assert main([str(tmp_path / "empty"), "-o", str(tmp_path / "out")]) == 1
    assert "no photos or videos found" in capsys.readouterr().err
    assert main([str(tmp_path / "missing"), "-o", str(tmp_path / "out")]) == 1
    assert "no such file or folder" in capsys.readouterr().err


def test_options_reach_the_engine(tmp_path: Path) -> None:
    """--mode fill --color --shape box --mask-scale: the written PNG is that colour exactly over that box."""
    src = SAMPLES / "astronaut.png"
    dst = tmp_path / "filled.png"
    args = ["--mode", "fill", "--color", "#ff00ff", "--shape", "box", "--mask-scale", "1.5", "-q"]
    assert main([str(src), "-o", str(dst), *args]) == 0
    rgb = load_rgb(src)
    settings = Settings(mode="fill", color=(255, 0, 255), shape="box", mask_scale=1.5)
    masks = mask_regions(detect_faces(rgb), settings, 512, 512)
    assert all(m.shape == "box" for m in masks)
    out = load_rgb(dst)
    inside = mask_of(out.shape, masks)
    assert inside.sum() > 0.04 * inside.size
    assert np.all(out[inside] == (255, 0, 255))


def test_erase_output_file_does_not_depend_on_pixels_inside_the_mask(monkeypatch, tmp_path: Path) -> None:
    """Through the CLI and a PNG file: scramble the face, get the same bytes (detection pinned to the original's)."""
    rgb = load_rgb(SAMPLES / "astronaut.png")
    faces = detect_faces(rgb)
    inside = mask_of(rgb.shape, mask_regions(faces, Settings(), 512, 512))
    scrambled = rgb.copy()
    scrambled[inside] = np.random.default_rng(7).integers(0, 256, (int(inside.sum()), 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "original.png")
    Image.fromarray(scrambled).save(tmp_path / "scrambled.png")
    monkeypatch.setattr("blurkit.api.detect_faces", lambda image, settings: list(faces))
    for name in ("original", "scrambled"):
        assert main([str(tmp_path / f"{name}.png"), "-o", str(tmp_path / f"{name}-out.png"), "-q"]) == 0
    assert (tmp_path / "original-out.png").read_bytes() == (tmp_path / "scrambled-out.png").read_bytes()
    assert not np.array_equal(load_rgb(tmp_path / "original-out.png")[inside], rgb[inside])


def test_every_labelled_face_in_real_group_photos_is_covered(shared_data: Path, tmp_path: Path) -> None:
    """dlib's PASCAL VOC group photos (43 labelled faces), read in place from ../shared/data."""
    folder = shared_data / "dlib-faces"
    out = tmp_path / "out"
    assert main([str(folder), "-o", str(out), "-q"]) == 0
    faces = 0
    for labels in ("training.xml", "testing.xml"):
        for image in ElementTree.parse(folder / labels).getroot().iter("image"):
            before = cv2.blur(load_rgb(folder / image.get("file")).astype(np.float32), (3, 3))
            after = cv2.blur(load_rgb(out / image.get("file")).astype(np.float32), (3, 3))
            for box in image.iter("box"):
                top, left, width, height = (int(box.get(k)) for k in ("top", "left", "width", "height"))
                face = np.s_[top : top + height, left : left + width]
                changed = (np.abs(before[face] - after[face]).max(axis=2) > 12).mean()
                assert changed >= 0.7, (image.get("file"), top, left)
                faces += 1
    assert faces == 43


def test_manual_region_is_covered_in_every_input(tmp_path: Path) -> None:
    """--region covers a box the detector would never flag (the astronaut's name tag), in each
    file of the batch, and leaves far-away pixels untouched."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        (folder / name).write_bytes((SAMPLES / "astronaut.png").read_bytes())
    out = tmp_path / "out"
    assert main([str(folder), "-o", str(out), "--region", "300,380,120,60", "-q"]) == 0
    original = load_rgb(SAMPLES / "astronaut.png").astype(int)
    for name in ("a.png", "b.png"):
        written = load_rgb(out / name).astype(int)
        assert np.abs(written - original)[382:438, 302:418].mean() > 20
        np.testing.assert_array_equal(written[450:, :150], original[450:, :150])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mask-scale", "9"], "mask scale must be between 0.5 and 4"),
        (["--scales", "1,x"], "use comma-separated numbers"),
        (["--color", "zz0000"], "use a hex colour"),
        (["--detect-every", "0"], "detect every must be between 1 and 30"),
        (["--preset", "turbo"], "invalid choice: 'turbo'"),
    ],
)
def test_settings_are_checked_as_declared(tmp_path: Path, capsys, args: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([str(SAMPLES), "-o", str(tmp_path / "out"), *args])
    assert exit_.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_fast_yields_to_settings_given() -> None:
    from blurkit.cli import build_parser
    from blurkit.cli.anonymize import settings_from

    fast = settings_from(build_parser().parse_args(["anonymize", "x", "-o", "y", "--fast", "--preset", "medium"]))
    assert (fast.preset, fast.detect_every, fast.detect_megapixels) == ("medium", 12, 1.0)
    given = ["anonymize", "x", "-o", "y", "--detect-every", "4", "--color", "#ff8000"]
    plain = settings_from(build_parser().parse_args(given))
    assert plain == Settings(detect_every=4, color=(255, 128, 0))


def test_help_lists_every_subcommand_and_anonymize_is_the_default(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["-h"])
    listed = capsys.readouterr().out
    assert exit_.value.code == 0 and "anonymize" in listed and "check" in listed
    with pytest.raises(SystemExit):
        main(["check", "-h"])
    assert "usage: blurkit check" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["anonymize", "-h"])
    assert "--detect-every" in capsys.readouterr().out


def test_a_file_named_like_no_subcommand_is_anonymized(tmp_path: Path) -> None:
    src = tmp_path / "anonymize-me.png"
    shutil.copy(SAMPLES / "astronaut.png", src)
    assert main([str(src), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert main(["anonymize", str(src), "-o", str(tmp_path / "out2"), "-q"]) == 0
    assert (tmp_path / "out" / src.name).read_bytes() != src.read_bytes()
    assert (tmp_path / "out2" / src.name).exists()
