"""Files and names: reports that never clobber, long and case-folded names, output naming, skipped files."""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from photo_fixtures import load_rgb, sha256

import blurkit.atomic
from blurkit import BlurkitError, anonymize_file
from blurkit.batch import plan
from blurkit.cli import EXIT_FACES, EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from blurkit.naming import revealing_name
from blurkit.result import FileResult

SAMPLES = Path(__file__).resolve().parent.parent / "sample_media"


def photo(path: Path, sample: str = "grace_hopper.jpg") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((SAMPLES / sample).read_bytes())
    return path


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def folds_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """This file system as macOS and Windows see theirs: names differing only in case are one file."""
    monkeypatch.setattr(blurkit.atomic, "_probe_folding", lambda folder: True)


# --report and --name-map


def test_report_is_not_replaced_without_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = photo(tmp_path / "in" / "a.jpg")
    report = tmp_path / "report.json"
    report.write_text("the editor's notes")
    assert main([str(src.parent), "-o", str(tmp_path / "out"), "--report", str(report)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert report.read_text() == "the editor's notes"
    assert files(tmp_path / "out") == []  # refused before any work
    assert len(err.strip().splitlines()) == 1 and "already exists" in err

    assert main([str(src.parent), "-o", str(tmp_path / "out"), "--report", str(report), "--overwrite"]) == EXIT_OK
    assert json.loads(report.read_text())["files"][0]["status"] == "written"
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


@pytest.mark.parametrize("where", ["under_a_file", "in_a_folder_named_like_it"])
def test_unwritable_report_is_one_line_up_front(tmp_path: Path, capsys: pytest.CaptureFixture, where: str) -> None:
    src = photo(tmp_path / "in" / "a.jpg")
    if where == "under_a_file":
        (tmp_path / "notes").write_text("x")
        report = tmp_path / "notes" / "report.json"
    else:
        report = tmp_path / "report.json"
        report.mkdir()
    assert main([str(src.parent), "-o", str(tmp_path / "out"), "--report", str(report)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "--report" in err
    assert files(tmp_path / "out") == []


def test_name_map_links_renamed_outputs_and_warns(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    photo(tmp_path / "in" / "Jane's phone" / "IMG_20240501_143211.jpg")
    photo(tmp_path / "in" / "PXL_20240501_150002.png", "astronaut.png")
    out, names = tmp_path / "out", tmp_path / "private" / "names.csv"
    args = [str(tmp_path / "in"), "-o", str(out), "--names", "random", "--name-map", str(names)]
    assert main(args) == EXIT_OK
    err = capsys.readouterr().err
    rows = list(csv.DictReader(names.open()))
    assert sorted(Path(r["input"]).name for r in rows) == ["IMG_20240501_143211.jpg", "PXL_20240501_150002.png"]
    assert sorted(Path(r["output"]).name for r in rows) == files(out)
    assert f"--name-map {names} link(s) every output to its original" in err
    assert "look like a camera" not in err
    # a second run refuses to replace the map before doing anything
    assert main([*args[:2], str(tmp_path / "out2"), *args[3:]]) == EXIT_USAGE
    assert files(tmp_path / "out2") == []


# names


def test_random_names_keep_nothing_of_the_original(tmp_path: Path) -> None:
    photo(tmp_path / "in" / "Jane's phone" / "IMG_20240501_143211.JPG")
    photo(tmp_path / "in" / "DSC_0042.png", "astronaut.png")
    out = tmp_path / "out"
    assert main([str(tmp_path / "in"), "-o", str(out), "--names", "random"]) == EXIT_OK
    written = files(out)
    assert len(written) == 2 and all(re.fullmatch(r"[0-9a-f]{16}\.(jpg|png)", n) for n in written), written
    assert main([str(tmp_path / "in"), "-o", str(tmp_path / "again"), "--names", "random"]) == EXIT_OK
    assert not set(files(tmp_path / "again")) & set(written)  # not derived from the inputs
    # the renamed files are the anonymized photos (a face was covered: pixels changed)
    jpg = next(out.glob("*.jpg"))
    assert np.abs(load_rgb(jpg).astype(int) - load_rgb(SAMPLES / "grace_hopper.jpg").astype(int)).max() > 60


def test_sequential_names_follow_input_order(tmp_path: Path) -> None:
    for name in ("b/2.jpg", "a/9.jpg", "c.jpg"):
        photo(tmp_path / "in" / name)
    out = tmp_path / "out"
    assert main([str(tmp_path / "in"), "-o", str(out), "--names", "sequential"]) == EXIT_OK
    assert files(out) == ["0001.jpg", "0002.jpg", "0003.jpg"]
    order = [job.src.relative_to(tmp_path / "in").as_posix() for job in plan([tmp_path / "in"], out).jobs]
    assert order == ["a/9.jpg", "b/2.jpg", "c.jpg"]


def test_kept_camera_names_are_pointed_out(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    photo(tmp_path / "in" / "IMG_20240501_143211.jpg")
    assert main([str(tmp_path / "in"), "-o", str(tmp_path / "out")]) == EXIT_OK
    err = capsys.readouterr().err
    assert "1 output name(s) look like a camera's or a date, e.g. IMG_20240501_143211.jpg" in err
    assert "--names random" in err


@pytest.mark.parametrize(
    ("name", "reveals"),
    [
        ("IMG_20240501_143211.jpg", True),
        ("PXL_20240501_143211123.mp4", True),
        ("WhatsApp Image 2024-05-01 at 14.32.11.jpeg", True),
        ("DSC_0042.JPG", True),
        ("GOPR0042.MP4", True),
        ("P1040123.JPG", True),
        ("Imagine.jpg", False),
        ("march/2024-05-01/crowd.jpg", True),
        ("march/crowd.jpg", False),
        ("speech 3.mp4", False),
    ],
)
def test_revealing_names(name: str, reveals: bool) -> None:
    assert revealing_name(Path(name)) is reveals


# long and case-folded names


def test_long_multibyte_name_is_written(tmp_path: Path) -> None:
    """80 CJK characters are 240 bytes: a valid name, whose temporary name must count bytes, not characters."""
    name = "中" * 80 + ".jpg"
    assert len(name.encode()) == 244
    src = photo(tmp_path / "in" / name)
    result = anonymize_file(src, tmp_path / "out" / name)
    assert result.status == "written" and (tmp_path / "out" / name).stat().st_size > 0
    assert files(tmp_path / "out") == [name]


def test_case_folding_output_colliding_in_a_merge_is_refused(tmp_path: Path, folds_case: None) -> None:
    photo(tmp_path / "x" / "A.jpg")
    photo(tmp_path / "y" / "a.jpg", "astronaut.png")
    planned = plan([tmp_path / "x", tmp_path / "y"], tmp_path / "out")
    assert [job.src.parent.name for job in planned.jobs] == ["x"]
    assert len(planned.problems) == 1 and "differing only in case" in planned.problems[0].error


def test_case_sensitive_file_system_keeps_both(tmp_path: Path) -> None:
    """Where case matters (Linux here), A.jpg and a.jpg are two files and both are written."""
    photo(tmp_path / "x" / "A.jpg")
    photo(tmp_path / "y" / "a.jpg", "astronaut.png")
    assert not blurkit.atomic.folds_case(tmp_path)
    assert main([str(tmp_path / "x"), str(tmp_path / "y"), "-o", str(tmp_path / "out")]) == EXIT_OK
    assert files(tmp_path / "out") == ["A.jpg", "a.jpg"]


def test_case_folding_output_over_the_input_folder_is_refused(
    tmp_path: Path, folds_case: None, capsys: pytest.CaptureFixture
) -> None:
    """``-o IN`` spelled in other case is the input folder on macOS and Windows: every output would replace
    an input, even with --overwrite."""
    src = photo(tmp_path / "March" / "a.jpg")
    before = sha256(src)
    assert main([str(tmp_path / "March"), "-o", str(tmp_path / "march"), "--overwrite"]) == EXIT_FAILED
    assert "would replace the input" in capsys.readouterr().err
    assert sha256(src) == before
    assert not (tmp_path / "march").exists()


def test_case_folding_single_file_over_itself_is_refused(tmp_path: Path, folds_case: None) -> None:
    src = photo(tmp_path / "Crowd.JPG")
    with pytest.raises(BlurkitError, match="replace the input"):
        anonymize_file(src, tmp_path / "crowd.jpg", overwrite=True)
    assert files(tmp_path) == ["Crowd.JPG"]


# skipped files


def test_skipped_files_are_listed_with_why(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    photo(tmp_path / "in" / "a.jpg")
    photo(tmp_path / "in" / ".hidden.jpg")
    photo(tmp_path / "in" / ".thumbs" / "b.jpg")
    (tmp_path / "in" / "notes.txt").write_text("not a photo")
    (tmp_path / "in" / "clip.xyz").write_bytes(b"\0" * 10)
    report = tmp_path / "report.json"
    assert main([str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--report", str(report)]) == EXIT_OK
    err = capsys.readouterr().err
    assert "skipped 4 file(s)" in err
    for name, why in [
        (".hidden.jpg", "hidden file"),
        (".thumbs", "hidden folder"),
        ("notes.txt", "not a photo or video blurkit reads (.txt)"),
        ("clip.xyz", "(.xyz)"),
    ]:
        assert re.search(rf"{re.escape(name)}: .*{re.escape(why)}", err), (name, err)
    skipped = {Path(s["path"]).name: s["reason"] for s in json.loads(report.read_text())["skipped"]}
    assert skipped == {
        ".hidden.jpg": "hidden file",
        ".thumbs": "hidden folder",
        "notes.txt": "not a photo or video blurkit reads (.txt)",
        "clip.xyz": "not a photo or video blurkit reads (.xyz)",
    }
    assert files(tmp_path / "out") == ["a.jpg"]


# re-runs: --skip-existing, and an earlier run's outputs in the input folders


def stamps(folder: Path) -> dict[str, tuple[str, int]]:
    """Each file's sha256 and modification time: a file redone changes its time even with equal bytes."""
    return {name: (sha256(folder / name), (folder / name).stat().st_mtime_ns) for name in files(folder)}


def test_a_growing_folder_is_re_run_with_skip_existing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A newsroom's folder gets one more photo: the re-run does that one, keeps the others as the earlier
    run wrote them (the report vouches for both files' bytes) and exits 0; the new report lists all."""
    src, out, report = tmp_path / "in", tmp_path / "out", tmp_path / "report.json"
    photo(src / "a.jpg")
    photo(src / "day2" / "b.png", "astronaut.png")
    args = [str(src), "-o", str(out), "--report", str(report), "--skip-existing"]
    assert main(args) == EXIT_OK
    first = stamps(out)
    photo(src / "day3" / "c.jpg")
    capsys.readouterr()
    assert main(args) == EXIT_OK
    err = capsys.readouterr().err
    assert "1 file(s) anonymized" in err and "2 kept as the earlier run wrote them" in err
    assert {name: stamps(out)[name] for name in first} == first  # not redone
    assert files(out) == ["a.jpg", "day2/b.png", "day3/c.jpg"]
    entries = {Path(f["input"]).name: f for f in json.loads(report.read_text())["files"]}
    assert {name: f["status"] for name, f in entries.items()} == {"a.jpg": "kept", "b.png": "kept", "c.jpg": "written"}
    assert all(f["output_sha256"] == sha256(Path(f["output"])) for f in entries.values())
    assert all(f["input_sha256"] == sha256(Path(f["input"])) for f in entries.values())
    assert main(args) == EXIT_OK  # and again: everything is kept
    assert "3 kept" in capsys.readouterr().err


@pytest.mark.parametrize("change", ["output edited", "input replaced", "not blurkit's"])
def test_skip_existing_keeps_only_what_the_report_vouches_for(
    tmp_path: Path, capsys: pytest.CaptureFixture, change: str
) -> None:
    """An output changed since, an input replaced by another picture of the same name, or a file blurkit
    never wrote: each is one line, like any existing output, and is left as it is."""
    src, out, report = tmp_path / "in", tmp_path / "out", tmp_path / "report.json"
    photo(src / "a.jpg")
    photo(src / "b.jpg", "astronaut.png")
    args = [str(src), "-o", str(out), "--report", str(report), "--skip-existing"]
    if change == "not blurkit's":
        photo(out / "a.jpg", "astronaut.png")  # the user's own file, where a's output would go
        report.write_text(json.dumps({"files": []}))
    else:
        assert main(args) == EXIT_OK
    if change == "output edited":
        (out / "a.jpg").write_bytes((out / "a.jpg").read_bytes() + b"\0")
    elif change == "input replaced":
        photo(src / "a.jpg", "astronaut.png")
    before = sha256(out / "a.jpg")
    capsys.readouterr()
    assert main([*args, "-q"]) == EXIT_FAILED
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "a.jpg" in lines[0] and "does not vouch" in lines[0] and "--overwrite" in lines[0]
    assert sha256(out / "a.jpg") == before


def test_skip_existing_needs_a_json_report(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = photo(tmp_path / "a.jpg")
    with pytest.raises(SystemExit) as exit_:  # an HTML report has its JSON twin beside it, which will do
        main([str(src), "-o", str(tmp_path / "out"), "--skip-existing"])
    assert exit_.value.code == EXIT_USAGE
    (tmp_path / "notes.json").write_text("my notes")
    code = main([str(src), "-o", str(tmp_path / "out"), "--skip-existing", "--report", str(tmp_path / "notes.json")])
    assert code == EXIT_USAGE
    assert "not a blurkit JSON report" in capsys.readouterr().err
    assert (tmp_path / "notes.json").read_text() == "my notes"


def test_outputs_written_into_the_input_folder_are_not_anonymized_again(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """``--names random -o IN``: the next run leaves the first run's outputs out of its inputs (one line),
    keeps the first output, and writes nothing new."""
    src, report = tmp_path / "in", tmp_path / "report.json"
    photo(src / "a.jpg")
    args = [str(src), "-o", str(src), "--names", "random", "--report", str(report), "--skip-existing"]
    assert main([*args, "-q"]) == EXIT_OK
    first = stamps(src)
    assert len(first) == 2
    capsys.readouterr()
    assert main(args) == EXIT_OK
    lines = capsys.readouterr().err.splitlines()
    assert stamps(src) == first
    assert len([line for line in lines if "left out 1 file(s)" in line and "an earlier run wrote" in line]) == 1
    assert "0 file(s) anonymized" in lines[-1] and "1 kept" in lines[-1]
    skipped = json.loads(report.read_text())["skipped"]
    assert [s["reason"] for s in skipped] == ["blurkit's own output of an earlier run"]


# names that are not UTF-8 (USB sticks, archives made on Windows): every output that names a file writes them
# losslessly and visibly, and none of them crashes

BAD = os.fsdecode(b"bad\xff.jpg")  # Python holds the byte as the surrogate \udcff
BROKEN = os.fsdecode(b"broken\xfe.jpg")
NOTES = os.fsdecode(b"notes\xfd.txt")


@pytest.fixture(scope="module")
def undecodable(tmp_path_factory) -> Path:
    """A folder with a photo, a damaged photo and a text file, each named with a byte that is not UTF-8."""
    folder = tmp_path_factory.mktemp("undecodable") / "in"
    photo(folder / BAD)
    (folder / BROKEN).write_bytes(b"\xff\xd8\xff not a photo")
    (folder / NOTES).write_text("notes")
    assert os.fsencode(folder / BAD).endswith(b"bad\xff.jpg")
    return folder


def test_undecodable_names_in_the_name_map_json_report_and_terminal(
    undecodable: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out, names, report = tmp_path / "out", tmp_path / "names.csv", tmp_path / "report.json"
    args = [str(undecodable), "-o", str(out), "--name-map", str(names), "--report", str(report)]
    assert main(args) == EXIT_FAILED  # the damaged photo, not the names
    err = capsys.readouterr().err
    assert "Traceback" not in err
    # the map holds the name byte for byte as the file system does: it finds the original again
    assert b"bad\xff.jpg" in names.read_bytes()
    with names.open(encoding="utf-8", errors="surrogateescape", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert Path(row["input"]) == undecodable / BAD and Path(row["input"]).is_file()
    assert Path(row["output"]) == out / BAD and Path(row["output"]).is_file()
    # the JSON report: \udcff escapes, which json.loads and os.fsencode turn back into the byte
    text = report.read_text(encoding="ascii")
    assert "bad\\udcff.jpg" in text
    doc = json.loads(text)
    inputs = {os.fsencode(f["input"]) for f in doc["files"]}
    assert os.fsencode(undecodable / BAD) in inputs and os.fsencode(undecodable / BROKEN) in inputs
    assert [os.fsencode(s["path"]) for s in doc["skipped"]] == [os.fsencode(undecodable / NOTES)]
    # the terminal: the byte as \xNN, on one line each
    assert f"blurkit: {undecodable}/broken\\xfe.jpg: " in err
    assert f"  {undecodable}/notes\\xfd.txt: " in err


def test_undecodable_names_in_the_html_report(undecodable: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    assert main([str(undecodable), "-o", str(tmp_path / "out"), "--report", str(report), "-q"]) == EXIT_FAILED
    html = report.read_text(encoding="utf-8")
    for name in ("bad\\xff.jpg", "broken\\xfe.jpg", "notes\\xfd.txt"):
        assert name in html
    assert "\ufffd" not in html


def test_undecodable_names_in_check_and_the_app(undecodable: Path, capsys: pytest.CaptureFixture) -> None:
    from gui.documents import MediaFile
    from gui.texts import outcome

    assert main(["check", str(undecodable / BAD), "-q"]) == EXIT_FACES
    assert f"{undecodable}/bad\\xff.jpg: 1 face(s)" in capsys.readouterr().out
    assert MediaFile(undecodable / BAD, "photo").name == "bad\\xff.jpg"
    saved = FileResult(undecodable / BAD, Path("/out") / BAD, "photo", "written")
    assert outcome(saved) == "Saved as bad\\xff.jpg"
