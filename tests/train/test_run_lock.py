"""One writer per run directory: a second one fails before writing; a dead holder never blocks."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys

import pytest

from lstmjax import train
from tests.train.tiny_job import job

JOB = pathlib.Path(__file__).with_name("tiny_job.py")
quiet = lambda line: None


def start_holder(run_dir, tmp_path, *, hold_at=4, steps=8):
    """A tiny_job process paused before step ``hold_at``; returns (process, release file)."""
    until = tmp_path / "release"
    proc = subprocess.Popen(
        [sys.executable, str(JOB), str(run_dir), str(steps)]
        + ["--hold-at", str(hold_at), "--until", str(until)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if not line.startswith("holding"):
        proc.kill()
        pytest.fail(f"holder did not reach its hold point: {line!r} {proc.stderr.read()}")
    return proc, until


def test_second_lock_in_same_process_names_directory_and_holder(tmp_path):
    with train.RunLock(tmp_path / "run") as lock:
        record = json.loads(lock.path.read_text())
        assert record["pid"] == os.getpid()
        with pytest.raises(train.RunLockedError) as err:
            train.RunLock(tmp_path / "run")
        assert str(tmp_path / "run") in str(err.value)
        assert f"pid {os.getpid()} on host {socket.gethostname()}" in str(err.value)
    train.RunLock(tmp_path / "run").release()


def test_fit_on_a_locked_directory_raises_before_writing(tmp_path):
    run_dir = tmp_path / "run"
    with train.RunLock(run_dir):
        with pytest.raises(train.RunLockedError, match="being written by another process"):
            job(run_dir, 4, log=quiet)
    assert sorted(p.name for p in run_dir.iterdir()) == ["run.lock"]


def test_second_process_exits_nonzero_and_leaves_the_run_intact(tmp_path):
    run_dir = tmp_path / "run"
    holder, until = start_holder(run_dir, tmp_path)
    try:
        before = (run_dir / "metrics.jsonl").read_text()
        second = subprocess.run(
            [sys.executable, str(JOB), str(run_dir), "8", "--resume"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert second.returncode == 3, second.stderr
        assert "RunLockedError" in second.stderr
        assert str(run_dir) in second.stderr and f"pid {holder.pid}" in second.stderr
        assert (run_dir / "metrics.jsonl").read_text() == before
    finally:
        until.touch()
        _, stderr = holder.communicate(timeout=300)
    assert holder.returncode == 0, stderr
    records = train.read_metrics(run_dir / "metrics.jsonl")
    steps = [r["step"] for r in records if r["split"] == "train"]
    assert steps == [2, 4, 6, 8]


def test_lock_of_a_killed_holder_does_not_block(tmp_path):
    run_dir = tmp_path / "run"
    holder, _ = start_holder(run_dir, tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.communicate(timeout=60)
    assert json.loads((run_dir / "run.lock").read_text())["pid"] == holder.pid
    result = job(run_dir, 8, resume=True, log=quiet)
    assert int(result.state.step) == 8
    assert json.loads((run_dir / "run.lock").read_text())["pid"] == os.getpid()
