"""`blurkit check`: faces still found in raw and anonymized media, its exit status, and that it writes nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from photo_fixtures import INK_MODES, load_rgb, save_ink
from PIL import Image

from blurkit import Region, Settings, detect_faces
from blurkit.cli import EXIT_FACES, EXIT_FAILED, EXIT_OK, main
from blurkit.regions import boxes_of, iou_matrix

SAMPLES = Path(__file__).resolve().parent.parent / "sample_media"


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("raw")
    for name in ("grace_hopper.jpg", "astronaut.png", "two_faces.mp4"):
        shutil.copy(SAMPLES / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def anonymized(raw: Path, tmp_path_factory) -> Path:
    """blurkit's outputs in fill mode: erase's random patches can score as high as a face (see the README),
    and a check of them without blurkit's own masks is not the same from run to run."""
    out = tmp_path_factory.mktemp("anonymized")
    assert main([str(raw), "-o", str(out), "--mode", "fill", "-q"]) == EXIT_OK
    return out


def test_raw_media_faces_are_listed_with_frame_box_and_score(raw: Path, capsys) -> None:
    before = snapshot(raw)
    assert main(["check", str(raw), "--json", "-q"]) == EXIT_FACES
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"] == {"clean": 0, "faces": 3, "failed": 0}
    files = {Path(f["path"]).name: f for f in doc["files"]}
    for name in ("grace_hopper.jpg", "astronaut.png"):
        (finding,) = files[name]["findings"]
        x, y, w, h = finding["box"]
        face = max(detect_faces(load_rgb(raw / name)), key=lambda r: r.width)
        assert finding["frame"] is None and finding["score"] >= 0.6
        assert iou_matrix(np.array([[x, y, x + w, y + h]], np.float32), boxes_of([face]))[0, 0] > 0.7
    video = files["two_faces.mp4"]
    assert video["kind"] == "video" and video["frames"] == 75
    # Grace Hopper's face is on screen in every frame: found in every frame the check looks at (the first, the
    # last and every 16th half-way between the export's full searches, which run on every 8th)
    assert {f["frame"] for f in video["findings"]} == {0, 4, 20, 36, 52, 68, 74}
    assert snapshot(raw) == before  # nothing written, nothing touched


def test_blurkit_outputs_check_clean(anonymized: Path, capsys) -> None:
    before = snapshot(anonymized)
    assert main(["check", str(anonymized), "-q"]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert sorted(lines) == sorted(
        [
            f"{anonymized / 'astronaut.png'}: no face found",
            f"{anonymized / 'grace_hopper.jpg'}: no face found",
            f"{anonymized / 'two_faces.mp4'}: no face found (7 of 75 frames looked at)",
        ]
    )
    assert snapshot(anonymized) == before


def test_a_plain_blur_is_flagged_and_a_solid_fill_is_not(tmp_path: Path, capsys) -> None:
    """Another tool's outputs: a light blur leaves a face a detector (and a recogniser) still finds."""
    rgb = load_rgb(SAMPLES / "grace_hopper.jpg")
    face = max(detect_faces(rgb), key=lambda r: r.width)
    x0, y0, x1, y1 = (round(v) for v in (face.x0, face.y0, face.x1, face.y1))
    blurred, filled = rgb.copy(), rgb.copy()
    blurred[y0:y1, x0:x1] = cv2.GaussianBlur(rgb[y0:y1, x0:x1], (0, 0), 2)
    filled[y0 - 20 : y1 + 20, x0 - 20 : x1 + 20] = 0
    Image.fromarray(blurred).save(tmp_path / "blurred.png")
    Image.fromarray(filled).save(tmp_path / "filled.png")
    assert main(["check", str(tmp_path / "filled.png"), "-q"]) == EXIT_OK
    assert main(["check", str(tmp_path / "blurred.png"), "-q"]) == EXIT_FACES
    out = capsys.readouterr().out
    assert "filled.png: no face found" in out and "blurred.png: 1 face(s)" in out


def test_a_file_that_cannot_be_read_is_a_failure_not_clean(anonymized: Path, tmp_path: Path, capsys) -> None:
    broken = tmp_path / "broken\nname.jpg"  # a newline in a name cannot forge a line of the output
    broken.write_bytes((SAMPLES / "grace_hopper.jpg").read_bytes()[:300])
    clean = tmp_path / "clean.png"
    shutil.copy(anonymized / "astronaut.png", clean)
    assert main(["check", str(broken), str(clean), "--json"]) == EXIT_FAILED
    captured = capsys.readouterr()
    statuses = {Path(f["path"]).name: f["status"] for f in json.loads(captured.out)["files"]}
    assert statuses == {"broken\nname.jpg": "failed", "clean.png": "clean"}
    assert main(["check", str(broken), "-q"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "broken\\nname.jpg: " in err and len(err.strip().splitlines()) == 1


def test_usage_errors_and_the_export_command_are_unchanged(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["check", str(tmp_path), "--check-threshold", "2"])
    assert exit.value.code == 2
    assert main(["check", str(tmp_path), "-q"]) == EXIT_FAILED  # no photos or videos found
    monkeypatch.chdir(tmp_path)
    shutil.copy(SAMPLES / "astronaut.png", tmp_path / "check.png")
    assert main(["check.png", "-o", "out", "-q"]) == EXIT_OK and (tmp_path / "out" / "check.png").is_file()


def test_a_known_report_leaves_out_what_blurkit_covered_and_nothing_else(tmp_path: Path, capsys) -> None:
    """``--known REPORT.json``: in a file that is byte for byte one the report says blurkit wrote, the regions
    it covered there are left out; in an edited copy, or where the report covered nothing, the face counts."""
    photo = tmp_path / "photo.png"
    shutil.copy(SAMPLES / "astronaut.png", photo)  # a face in the open: the stand-in for a patch scoring as one
    face = max(detect_faces(load_rgb(photo)), key=lambda r: r.width)
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()

    def report(regions: list[Region]) -> Path:
        path = tmp_path / f"report-{len(regions)}.json"
        entry = {"input": "x.png", "output": "elsewhere/renamed.png", "kind": "photo", "status": "written",
                 "regions": [r.to_dict() for r in regions], "output_sha256": digest}  # fmt: skip
        path.write_text(json.dumps({"settings": Settings().to_dict(), "files": [entry]}))
        return path

    assert main(["check", str(photo), "--known", str(report([face])), "--json", "-q"]) == EXIT_OK
    [checked] = json.loads(capsys.readouterr().out)["files"]
    assert checked["status"] == "clean" and checked["covered_left_out"] is True
    assert main(["check", str(photo), "--known", str(report([])), "-q"]) == EXIT_FACES  # covered nothing there
    assert "1 face(s) (outside what blurkit covered)" in capsys.readouterr().out
    edited = tmp_path / "edited.png"
    edited.write_bytes(photo.read_bytes() + b"\0")
    assert main(["check", str(edited), "--known", str(report([face])), "--json", "-q"]) == EXIT_FACES
    [checked] = json.loads(capsys.readouterr().out)["files"]
    assert checked["covered_left_out"] is False and len(checked["findings"]) == 1
    (tmp_path / "not-a-report.json").write_text("[]")
    with pytest.raises(SystemExit) as exit:
        main(["check", str(photo), "--known", str(tmp_path / "not-a-report.json")])
    assert exit.value.code == 2


def test_blurkits_own_erased_outputs_check_clean_with_their_report(raw: Path, tmp_path: Path, capsys) -> None:
    """The default mode, erase, leaves head-shaped patches that can score as faces (README); with the run's
    JSON report they are known for what they are, in photos and in every frame of the video."""
    out, report = tmp_path / "out", tmp_path / "run.json"
    assert main([str(raw), "-o", str(out), "--report", str(report), "-q"]) == EXIT_OK
    capsys.readouterr()
    assert main(["check", str(out), "--known", str(report), "--json", "-q"]) == EXIT_OK
    files = json.loads(capsys.readouterr().out)["files"]
    assert len(files) == 3 and all(f["status"] == "clean" and f["covered_left_out"] for f in files)


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_a_face_in_the_transparency_layer_is_found(tmp_path: Path, mode: str, capsys) -> None:
    """A check looks at what a viewer sees (over white, over black, the colour alone), not the colour alone:
    an ink image's colour is all black and its face is in the alpha channel."""
    assert mode in INK_MODES
    ink = save_ink(tmp_path / "ink.png", load_rgb(SAMPLES / "grace_hopper.jpg"), mode)
    assert main(["check", str(ink), "-q"]) == EXIT_FACES
    assert "ink.png: 1 face(s)" in capsys.readouterr().out


def test_a_face_the_user_kept_visible_is_listed_as_theirs_not_as_a_warning(tmp_path: Path, capsys) -> None:
    """A reviewed photo saved with its one face left visible (``kept_visible``): the run's report says so, and
    a check with it lists the face as "kept visible by you" and exits 0; without the report it is a face."""
    from blurkit import Job, run_batch, write_report

    src = SAMPLES / "grace_hopper.jpg"
    face = max(detect_faces(load_rgb(src)), key=lambda r: r.width)
    out, report = tmp_path / "out.jpg", tmp_path / "run.json"
    [result] = run_batch([Job(src, out, regions=(), kept_visible=(face,))], Settings())
    assert result.status == "written"
    write_report(report, [result], Settings())
    assert main(["check", str(out), "--known", str(report), "--json", "-q"]) == EXIT_OK
    [checked] = json.loads(capsys.readouterr().out)["files"]
    assert checked["status"] == "clean" and checked["findings"] == [] and len(checked["kept_visible"]) == 1
    assert main(["check", str(out), "--known", str(report)]) == EXIT_OK
    assert "1 face(s) kept visible by you" in capsys.readouterr().out
    assert main(["check", str(out), "-q"]) == EXIT_FACES  # no report: just a face


def test_a_face_centerface_misses_is_found_by_the_second_family(monkeypatch) -> None:
    """The check does not lean on the anonymizer's detector alone: with CenterFace blind (it returns nothing,
    as on the faces it misses), YuNet still finds the face, at its own threshold."""
    import blurkit.check as check

    pixels = load_rgb(SAMPLES / "grace_hopper.jpg")
    monkeypatch.setattr(check, "detect_faces", lambda *_, **__: [])
    monkeypatch.setattr(check, "look", lambda *_: [])
    warn, kept = check.check_pixels(pixels, Settings())
    assert kept == [] and len(warn) >= 1 and min(r.score for r in warn) >= check.YUNET_THRESHOLD
    face = max(detect_faces(pixels), key=lambda r: r.width)
    assert max(iou_matrix(boxes_of([face]), boxes_of(warn))[0]) > 0.5
