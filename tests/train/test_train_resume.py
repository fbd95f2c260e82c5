"""Checkpoints: exact resume in a fresh process, partial saves, unusable checkpoints."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import jax
import numpy as np
import pytest

from lstmjax import train
from tests.train.tiny_job import job

JOB = pathlib.Path(__file__).with_name("tiny_job.py")
VOLATILE = ("wall_time", "steps_per_sec", "examples_per_sec")
STEPS = 16
quiet = lambda line: None


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory):
    """A run of 16 steps stopped after step 8 (checkpoints at 4 and 8)."""
    run_dir = tmp_path_factory.mktemp("interrupted") / "run"
    job(run_dir, STEPS, stop_after=8, log=quiet)
    return run_dir


@pytest.fixture
def run_dir(interrupted, tmp_path):
    """A private copy of the interrupted run."""
    return pathlib.Path(shutil.copytree(interrupted, tmp_path / "run"))


def stable(records):
    return [{k: v for k, v in r.items() if k not in VOLATILE} for r in records]


def assert_trees_equal(a, b):
    a, b = train.checkpoint._storable(a), train.checkpoint._storable(b)
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_resume_in_fresh_process_is_bitwise_exact(run_dir, tmp_path):
    straight = job(tmp_path / "straight", STEPS, log=quiet)
    done = subprocess.run(
        [sys.executable, str(JOB), str(run_dir), str(STEPS), "--resume"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "resuming from step 8" in done.stdout
    ckpts = train.Checkpoints(run_dir / "checkpoints", config={}, check_config=False)
    resumed = ckpts.restore(straight.state, straight.state.params)
    ckpts.close()
    assert resumed.step == STEPS
    assert_trees_equal(resumed.state, straight.state)
    assert_trees_equal(resumed.best, straight.best_params)
    records = train.read_metrics(run_dir / "metrics.jsonl")
    assert stable(records) == stable(straight.records)
    assert [r["step"] for r in records if r["split"] == "train"] == list(range(2, STEPS + 1, 2))


def test_resume_skips_an_interrupted_save_and_says_which(run_dir):
    ckpt_dir = run_dir / "checkpoints"
    # What a save killed half-way leaves: Orbax's temporary directory, never renamed.
    partial = ckpt_dir / "12.orbax-checkpoint-tmp-1764130000000000"
    shutil.copytree(ckpt_dir / "8", partial)
    for f in (partial / "state").rglob("*"):
        if f.is_file():
            f.write_bytes(b"")
    lines = []
    result = job(run_dir, STEPS, resume=True, log=lines.append)
    assert any("incomplete" in line and partial.name in line for line in lines), lines
    assert any("resuming from step 8" in line for line in lines), lines
    assert int(result.state.step) == STEPS


def test_corrupt_checkpoint_is_a_clear_error_not_a_restart(run_dir):
    for f in (run_dir / "checkpoints" / "8" / "state").rglob("*"):
        if f.is_file():
            f.write_bytes(b"\x00garbage" * 3)
    before = (run_dir / "metrics.jsonl").read_text()
    with pytest.raises(train.CheckpointError, match="unreadable") as err:
        job(run_dir, STEPS, resume=True, log=quiet)
    assert str(run_dir / "checkpoints" / "8") in str(err.value)
    assert (run_dir / "metrics.jsonl").read_text() == before


def test_checkpoint_of_another_config_is_a_clear_error(run_dir):
    with pytest.raises(train.CheckpointError, match=r"another config.*lr"):
        job(run_dir, STEPS, resume=True, lr=3e-2, log=quiet)


def test_checkpoint_of_another_shape_is_a_clear_error(run_dir):
    with pytest.raises(train.CheckpointError, match=r"another config.*hidden"):
        job(run_dir, STEPS, resume=True, hidden=4, log=quiet)
    # With the config check out of the way, the shapes themselves are named.
    other = job(run_dir.parent / "other", 4, hidden=4, log=quiet)
    ckpts = train.Checkpoints(run_dir / "checkpoints", config={}, check_config=False)
    with pytest.raises(train.CheckpointError, match=r"another structure or shape.*w_hh"):
        ckpts.restore(other.state, other.state.params)
    ckpts.close()


def test_existing_run_without_resume_is_refused(run_dir):
    before = (run_dir / "metrics.jsonl").read_text()
    with pytest.raises(FileExistsError, match="--resume"):
        job(run_dir, STEPS, log=quiet)
    assert (run_dir / "metrics.jsonl").read_text() == before
