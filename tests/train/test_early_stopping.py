"""fit(stop_when=): early stopping on a validation record, with its checkpoint and resume."""

from __future__ import annotations

import pytest

from lstmjax import train
from tests.train.test_train_resume import assert_trees_equal, stable
from tests.train.tiny_job import job, pieces

STEPS = 16
quiet = lambda line: None


def at_step(n):
    return lambda record: record["step"] >= n


def test_stops_at_the_first_accepted_validation_with_a_checkpoint(tmp_path):
    straight = job(tmp_path / "straight", STEPS, log=quiet)
    stopped = job(tmp_path / "stopped", STEPS, log=quiet, stop_when=at_step(6))
    assert int(stopped.state.step) == 6
    # the records of the stopped run are the straight run's first six steps
    assert stable(stopped.records) == stable([r for r in straight.records if r["step"] <= 6])
    assert stopped.records[-1]["split"] == "val" and stopped.records[-2]["step"] == 6
    ckpts = train.Checkpoints(stopped.run_dir / "checkpoints", config={}, check_config=False)
    assert ckpts.latest() == 6
    restored = ckpts.restore(stopped.state, stopped.state.params)
    ckpts.close()
    assert_trees_equal(restored.state, stopped.state)
    assert_trees_equal(restored.best, stopped.best_params)


def test_a_metric_criterion_stops_where_the_straight_run_first_meets_it(tmp_path):
    straight = job(tmp_path / "straight", STEPS, log=quiet)
    val = [r for r in straight.records if r["split"] == "val"]
    threshold = sorted(r["loss"] for r in val)[len(val) // 2]  # met half-way, not at once
    first = next(r["step"] for r in val if r["loss"] <= threshold)
    stopped = job(
        tmp_path / "stopped", STEPS, log=quiet, stop_when=lambda r: r["loss"] <= threshold
    )
    assert 0 < int(stopped.state.step) == first < STEPS


def test_a_stopped_run_resumes_to_itself_and_an_interrupted_one_stops_alike(tmp_path):
    stopped = job(tmp_path / "stopped", STEPS, log=quiet, stop_when=at_step(10))
    again = job(tmp_path / "stopped", STEPS, resume=True, log=quiet, stop_when=at_step(10))
    assert int(again.state.step) == 10 and again.records == stopped.records
    assert_trees_equal(again.state, stopped.state)
    # interrupted at step 4 (before the criterion), then resumed with it
    job(tmp_path / "interrupted", STEPS, stop_after=4, log=quiet, stop_when=at_step(10))
    resumed = job(tmp_path / "interrupted", STEPS, resume=True, log=quiet, stop_when=at_step(10))
    assert int(resumed.state.step) == 10
    assert_trees_equal(resumed.state, stopped.state)
    assert stable(resumed.records) == stable(stopped.records)


def test_bad_early_stopping_arguments_are_errors_naming_them(tmp_path):
    state, train_step, batch_fn, eval_step, val = pieces(8, 1e-2)
    common = dict(num_steps=8, config={}, log_every=2, progress=False, stop_when=at_step(4))
    with pytest.raises(ValueError, match="stop_when: needs eval_fn"):
        train.fit(state, train_step, batch_fn, run_dir=tmp_path / "a", **common)
    with pytest.raises(ValueError, match="eval_every: expected a multiple of log_every=2, got 3"):
        train.fit(
            state,
            train_step,
            batch_fn,
            run_dir=tmp_path / "b",
            eval_fn=lambda p: train.evaluate(eval_step, p, val),
            eval_every=3,
            checkpoint_every=4,
            **common,
        )
