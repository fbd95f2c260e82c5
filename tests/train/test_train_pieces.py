"""The pieces ``fit`` is composed of: cadence, metric window, best tracker, run directory."""

from __future__ import annotations

import json
import math

import jax.numpy as jnp
import optax
import pytest

from lstmjax import train
from lstmjax.train.window import MetricWindow


def test_cadence_logs_and_checkpoints_at_the_end_and_validates_at_the_last_step():
    cadence = train.Cadence(log_every=2, eval_every=4, checkpoint_every=4, num_steps=10, end=6)
    assert [d for d in range(1, 7) if cadence.logs(d)] == [2, 4, 6]
    assert [d for d in range(1, 7) if cadence.checkpoints(d)] == [4, 6]
    assert [d for d in range(1, 11) if cadence.validates(d)] == [4, 8, 10]


def test_metric_window_averages_since_the_last_record():
    window = MetricWindow(examples_per_step=8)
    for loss in (1.0, 3.0):
        window.add({"loss": jnp.float32(loss)})
    record = window.record(step=2, wall_time=0.5)
    assert record["loss"] == 2.0 and record["step"] == 2 and record["split"] == "train"
    assert record["examples_per_sec"] == pytest.approx(8 * record["steps_per_sec"])
    window.add({"loss": jnp.float32(5.0)})
    assert window.record(step=3, wall_time=0.6)["loss"] == 5.0


def test_best_keeps_the_strictly_lower_score_and_the_earlier_of_a_tie(tmp_path):
    best = train.Best("p0")
    assert best.step == 0 and best.score == math.inf
    best = best.update("p2", 2, 0.5).update("p4", 4, 0.5).update("p6", 6, 0.7)
    assert best == ("p2", 2, 0.5)
    writer = train.MetricsWriter(tmp_path / "metrics.jsonl")
    best, record = train.validate(
        lambda p: {"loss": 0.1, "mae": 0.9},
        "p8",
        best,
        step=8,
        wall_time=1.0,
        writer=writer,
        select="loss",
    )
    assert best == ("p8", 8, 0.1)
    assert train.read_metrics(writer.path) == [
        {"step": 8, "split": "val", "wall_time": 1.0, "loss": 0.1, "mae": 0.9}
    ]
    assert record == train.read_metrics(writer.path)[0]


def _state():
    return train.create_state({"w": jnp.zeros(2)}, optax.sgd(0.1), key=jnp.zeros(2, jnp.uint32))


def test_open_run_starts_fresh_then_refuses_to_overwrite(tmp_path):
    run = train.open_run(tmp_path / "r", _state(), config={"a": 1})
    run.checkpoints.close()
    assert json.loads((tmp_path / "r" / "config.json").read_text()) == {"a": 1}
    assert run.best.step == 0 and run.wall_time == 0.0
    run.writer.write({"step": 1, "split": "train"})
    with pytest.raises(FileExistsError, match="--resume"):
        train.open_run(tmp_path / "r", _state(), config={"a": 1})


def test_open_run_resumes_from_step_zero_without_a_checkpoint(tmp_path):
    lines = []
    run = train.open_run(tmp_path / "r", _state(), config={}, resume=True, log=lines.append)
    run.checkpoints.close()
    assert int(run.state.step) == 0 and "starting from step 0" in lines[0]
