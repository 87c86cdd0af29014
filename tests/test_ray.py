"""Sweeps on a real local Ray cluster through Hydra's Ray launcher (extra seqlab[ray])."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .conftest import run_cli, start_cli

pytestmark = pytest.mark.e2e

SMOKE = ["trainer=smoke", "trainer.progress=false"]
# Ray's token authentication is its own concern; these clusters live for one test.
NO_TOKEN = {"RAY_AUTH_MODE": "disabled", "RAY_DEDUP_LOGS": "0", "RAY_USAGE_STATS_ENABLED": "0"}
SHARING = {"launcher", "workers_per_node", "jobs_at_once"}


def _rows(sweep: Path) -> list[dict[str, str]]:
    with open(sweep / "summary.csv") as f:
        return list(csv.DictReader(f))


def _record(sweep: Path, job: int) -> dict:
    return json.loads((sweep / str(job) / "results.json").read_text())


def _ray_processes() -> set[int]:
    """Pids of Ray's processes on this machine: the GCS, raylet, dashboard and monitors
    (run from Ray's package), its agents and workers (named `ray::...`)."""
    found = set()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if command.startswith(b"ray::") or b"site-packages/ray/" in command:
            found.add(int(entry.name))
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_ray_sweep_gives_the_basic_launchers_summary_and_records_the_failing_job(tmp_path):
    # dataset.limit=1 fails inside its job (no validation example); the other three finish.
    sweep = ["-m", "dataset.limit=400,300,200,1", *SMOKE]
    basic = run_cli(*sweep, "hydra.sweep.dir=basic", cwd=tmp_path)
    ray = run_cli(*sweep, "hydra/launcher=ray", "hydra.sweep.dir=ray", cwd=tmp_path, env=NO_TOKEN)
    for result in (basic, ray):
        assert result.returncode == 1, (result.stdout + result.stderr)[-3000:]
        assert "3 ok, 1 failed" in result.stdout
    basic_rows, ray_rows = _rows(tmp_path / "basic"), _rows(tmp_path / "ray")
    assert list(basic_rows[0]) == list(ray_rows[0])
    for mine, theirs in zip(ray_rows, basic_rows, strict=True):
        key = "dataset.limit"
        assert (mine[key], mine["status"]) == (theirs[key], theirs["status"])
        if mine["status"] == "ok":  # the same seeds, so the same weights and metrics
            assert float(mine["val_accuracy"]) == pytest.approx(float(theirs["val_accuracy"]))
    assert [r["status"] for r in ray_rows] == ["ok", "ok", "ok", "failed"]
    assert "dataset.limit=1" in ray_rows[3]["error"]

    # Each record says how its launcher shared the machine.
    assert {r["launcher"] for r in basic_rows} == {"basic"}
    assert {r["jobs_at_once"] for r in basic_rows[:3]} == {"1"}
    for job in range(3):
        launcher = _record(tmp_path / "ray", job)["env"]["launcher"]
        assert launcher["name"] == "ray" and launcher["task_cpus"] == 1.0
        assert launcher["workers_per_node"] == int(launcher["node_cpus"] // 1) >= 1
        assert (
            _record(tmp_path / "ray", job)["env"]["pid"]
            != _record(tmp_path / "basic", 0)["env"]["pid"]
        )
    at_once = max(int(r["jobs_at_once"]) for r in ray_rows[:3])
    if at_once > 1:  # jobs trained side by side on this host: the summary says so
        assert "timing:" in ray.stdout and "jobs_at_once" in ray.stdout


@pytest.fixture
def ray_head(tmp_path):
    """A one-node Ray cluster started by `ray start` in another folder; stopped after."""
    port = _free_port()
    folder = tmp_path / "cluster"
    folder.mkdir()
    ray = Path(sys.executable).with_name("ray")
    options = f"--head --block --port={port} --num-cpus=2 --disable-usage-stats"
    log = tmp_path / "ray_head.log"
    with open(log, "w") as out:  # a file, not a pipe nobody drains
        head = subprocess.Popen(
            [str(ray), "start", *options.split(), "--include-dashboard=false"],
            cwd=folder,
            env={**os.environ, **NO_TOKEN},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while "Ray runtime started" not in log.read_text() and time.monotonic() < deadline:
            assert head.poll() is None, log.read_text()[-3000:]
            time.sleep(0.5)
        yield f"127.0.0.1:{port}", folder
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)


def test_a_ray_sweep_joins_a_running_cluster_and_writes_where_it_was_started(tmp_path, ray_head):
    address, cluster_folder = ray_head
    driver = tmp_path / "here"
    driver.mkdir()
    result = run_cli(
        "-m",
        "model=lstm,gru",
        *SMOKE,
        "hydra/launcher=ray",
        f"hydra.launcher.ray.init.address={address}",
        "hydra.sweep.dir=sweep",  # relative: the workers run in the cluster's folder
        cwd=driver,
        env=NO_TOKEN,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert [r["status"] for r in _rows(driver / "sweep")] == ["ok", "ok"]
    assert not (cluster_folder / "sweep").exists()
    assert "2 ok, 0 failed" in result.stdout
    assert _record(driver / "sweep", 0)["env"]["launcher"]["node_cpus"] == 2.0


def test_an_unreachable_ray_cluster_is_one_paragraph_and_no_job(tmp_path):
    result = run_cli(
        "-m",
        "model=lstm,gru",
        *SMOKE,
        "hydra/launcher=ray",
        f"hydra.launcher.ray.init.address=127.0.0.1:{_free_port()}",
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
        env=NO_TOKEN,
    )
    assert result.returncode == 2, (result.stdout + result.stderr)[-3000:]
    assert "Traceback" not in result.stderr
    assert "hydra/launcher=ray could not join the Ray cluster at 127.0.0.1:" in result.stderr
    assert "RAY_AUTH_MODE=token" in result.stderr
    assert not any((tmp_path / "sweep").glob("*/results.json"))


@pytest.mark.parametrize(("name", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_to_the_driver_of_a_ray_sweep_stops_it_and_writes_the_summary(
    tmp_path, name, code
):
    before = _ray_processes()
    process = start_cli(
        "-m",
        "model=lstm,gru",
        "trainer.epochs=400",
        "trainer.progress=false",
        "hydra/launcher=ray",
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
        env=NO_TOKEN,
    )
    sweep = tmp_path / "sweep"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        records = list(sweep.glob("*/results.json"))
        if records and any(json.loads(p.read_text())["epochs_finished"] >= 2 for p in records):
            break
        time.sleep(0.5)
    assert process.poll() is None, process.communicate()[1][-3000:]
    process.send_signal(getattr(signal, name))
    out, err = process.communicate(timeout=120)
    assert process.returncode == code, (out + err)[-3000:]
    assert f"interrupted by {name}" in err and "Traceback" not in err + out
    statuses = [r["status"] for r in _rows(sweep)]
    assert len(statuses) == 2 and "ok" not in statuses
    assert set(statuses) <= {"incomplete", "running", "interrupted"}
    # The cluster the driver started went with it: none of its processes is left behind
    # (its agents had outlived a stopped driver by 1-2 minutes).
    deadline = time.monotonic() + 30
    while _ray_processes() - before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _ray_processes() - before


def test_a_job_size_no_node_has_is_refused_instead_of_waiting_for_ever(tmp_path):
    result = run_cli(
        "-m",
        "model=lstm",
        *SMOKE,
        "hydra/launcher=ray",
        "+hydra.launcher.ray.remote.num_cpus=64",
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
        env=NO_TOKEN,
        timeout=300,
    )
    assert result.returncode == 2, (result.stdout + result.stderr)[-3000:]
    assert "hydra.launcher.ray.remote.num_cpus=64 asks for more CPUs" in result.stderr
    assert "Traceback" not in result.stderr
    assert not any((tmp_path / "sweep").glob("*/results.json"))


def test_an_address_where_something_else_listens_is_refused_at_once(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    answer = threading.Thread(target=_answer_like_a_web_server, args=(server,), daemon=True)
    answer.start()
    try:
        result = run_cli(
            "-m",
            "model=lstm",
            *SMOKE,
            "hydra/launcher=ray",
            f"hydra.launcher.ray.init.address=127.0.0.1:{server.getsockname()[1]}",
            "hydra.sweep.dir=sweep",
            cwd=tmp_path,
            env=NO_TOKEN,
            timeout=120,
        )
    finally:
        server.close()
    assert result.returncode == 2, (result.stdout + result.stderr)[-3000:]
    assert "is not a Ray cluster" in result.stderr and "Traceback" not in result.stderr


def _answer_like_a_web_server(server: socket.socket) -> None:
    try:
        conn, _ = server.accept()
        with conn:
            conn.recv(1024)
            conn.sendall(b"HTTP/1.0 400 Bad request\r\n\r\n")
    except OSError:
        pass
