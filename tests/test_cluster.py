"""Batches on a real Dask cluster: local worker processes, each its own Python, as on separate machines that
share storage. Whole files and video segments go to the workers; a worker killed mid-task is replaced and its
task runs again; nothing partial is ever left."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from test_segments import FRAMES, seams_clip
from test_video import decoded

import blurkit
import blurkit.distribute
from blurkit.cli import main

distributed = pytest.importorskip("distributed")

SAMPLES = Path(__file__).resolve().parent.parent / "sample_media"


@pytest.fixture(scope="module")
def cluster():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield cluster, client


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("archive")
    seams_clip(folder / "march.mp4")
    (folder / "silent.mp4").unlink()
    (folder / "photos").mkdir()
    for name in ("astronaut.png", "grace_hopper.jpg"):
        (folder / "photos" / name).write_bytes((SAMPLES / name).read_bytes())
    return folder


def everything(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_cli_on_a_cluster(cluster, inputs: Path, tmp_path: Path, capsys) -> None:
    _, client = cluster
    out, report = tmp_path / "out", tmp_path / "report.json"
    code = main([str(inputs), "-o", str(out), "--scheduler", client.scheduler.address, "--report", str(report)])
    assert code == 0, capsys.readouterr().err
    assert everything(out) == ["march.mp4", "photos/astronaut.png", "photos/grace_hopper.jpg"]
    assert len(decoded(out / "march.mp4")) == FRAMES
    files = {Path(f["input"]).name: f for f in json.loads(report.read_text())["files"]}
    workers = set(client.scheduler_info()["workers"])
    assert files["astronaut.png"]["worker"] in workers
    segments = files["march.mp4"]["segments"]
    assert len(segments) == 2 and {s["worker"] for s in segments} <= workers
    assert files["march.mp4"]["joined_by"] in workers


def test_paths_a_worker_cannot_see_fail_up_front(cluster, inputs: Path, tmp_path: Path, capsys) -> None:
    _, client = cluster

    def blind() -> None:  # runs in each worker: it sees no file at all
        blurkit.distribute._unseen = lambda paths: paths

    def cured() -> None:
        import importlib

        importlib.reload(blurkit.distribute)

    client.run(blind)
    try:
        code = main([str(inputs), "-o", str(tmp_path / "out"), "--scheduler", client.scheduler.address, "-q"])
    finally:
        client.run(cured)
    err = capsys.readouterr().err
    assert code == 1 and "does not see" in err and "same paths" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_no_scheduler_is_one_line(tmp_path: Path, capsys) -> None:
    code = main([str(SAMPLES / "astronaut.png"), "-o", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9", "-q"])
    err = capsys.readouterr().err
    assert code == 1 and "cannot reach the Dask scheduler" in err and len(err.strip().splitlines()) == 1


def test_a_worker_killed_mid_task_loses_nothing(cluster, inputs: Path, tmp_path: Path) -> None:
    _, client = cluster
    out = tmp_path / "out"
    jobs = blurkit.plan_batch([inputs], out).jobs
    results: list = []
    runner = threading.Thread(
        target=lambda: results.extend(blurkit.run_batch(jobs, blurkit.Settings(), scheduler=client.scheduler.address))
    )
    runner.start()
    # wait until a segment of the video is being worked on, then kill that worker's process outright
    deadline = time.monotonic() + 120
    victim = None
    while victim is None and time.monotonic() < deadline:
        busy = {w: keys for w, keys in client.processing().items() if any("segment_task" in str(k) for k in keys)}
        victim = next(iter(busy), None)
        time.sleep(0.2)
    assert victim is not None, "no segment task started"
    time.sleep(2)
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)
    runner.join(timeout=600)
    assert not runner.is_alive()
    assert [r.status for r in results] == ["written"] * 3, [r.error for r in results]
    assert everything(out) == ["march.mp4", "photos/astronaut.png", "photos/grace_hopper.jpg"]
    assert len(decoded(out / "march.mp4")) == FRAMES
    client.wait_for_workers(2, timeout=60)


def test_cancel_on_a_cluster_leaves_nothing(cluster, inputs: Path, tmp_path: Path) -> None:
    _, client = cluster
    out = tmp_path / "out"
    jobs = [j for j in blurkit.plan_batch([inputs], out).jobs if j.src.suffix == ".mp4"]
    cancel = threading.Event()
    results: list = []
    runner = threading.Thread(
        target=lambda: results.extend(
            blurkit.run_batch(jobs, blurkit.Settings(), scheduler=client.scheduler.address, cancel=cancel)
        )
    )
    runner.start()
    deadline = time.monotonic() + 120
    while not any(client.processing().values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)
    cancel.set()
    runner.join(timeout=300)
    assert not runner.is_alive()
    assert [r.status for r in results] == ["failed"] and results[0].details["error_type"] == "Cancelled"
    assert not out.exists() or everything(out) == []  # no output, no segment, no temporary file
