"""Fuzz: damaged checkpoints and metrics files restore exactly or fail with a named error.

A seeded loop flips bits in, truncates or deletes random files of a saved
checkpoint and of a metrics file. Every restore must either give back what was
saved, bitwise, or raise ``CheckpointError`` (checkpoints) / a plain
``ValueError`` naming the line (metrics): never a changed value, never a raw
``JSONDecodeError``, ``KeyError`` or Orbax exception.
"""

from __future__ import annotations

import gc
import json
import random
import shutil
import warnings

import pytest

from lstmjax.train import MetricsWriter, read_metrics
from lstmjax.train.checkpoint import CheckpointError
from tests.train.corruption import (
    adam_state,
    bitwise_equal,
    files,
    flip_bit,
    restore,
    save,
    truncate,
)

# When one array read fails, Orbax leaves its other pending reads un-awaited;
# they are collected (and ignored) here rather than in whichever test runs next.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(autouse=True)
def collect_orbax_leftovers():
    yield
    gc.collect()


def damage(path, rng: random.Random) -> str:
    """Flips a bit in, truncates or deletes ``path``; returns which."""
    kind = rng.choice(["flip", "flip", "truncate", "delete"])
    if kind == "delete" or path.stat().st_size == 0:
        path.unlink()
        return "delete"
    (flip_bit if kind == "flip" else truncate)(path, rng)
    return kind


def test_damaged_checkpoints_restore_exactly_or_raise_checkpoint_error(tmp_path):
    state = adam_state()
    save(tmp_path / "saved", state)
    expected = restore(tmp_path / "saved", state)
    rng = random.Random(0)
    outcomes = {}
    for i in range(60):
        damaged = shutil.copytree(tmp_path / "saved", tmp_path / str(i))
        target = rng.choice(files(damaged))
        kind = damage(target, rng)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = restore(damaged, state)
        except CheckpointError:
            outcome = "raised"
        else:
            where = f"{kind} {target.relative_to(damaged)}"
            assert bitwise_equal(got.state, state), where
            assert bitwise_equal(got.best, state.params), where
            assert json.dumps(got.meta) == json.dumps(expected.meta), where
            outcome = "exact"
        outcomes[kind, outcome] = outcomes.get((kind, outcome), 0) + 1
        shutil.rmtree(damaged)
    assert any(outcome == "raised" for _, outcome in outcomes), outcomes


@pytest.mark.parametrize("seed", range(4))
def test_damaged_metrics_read_a_prefix_or_raise_value_error(tmp_path, seed):
    rng = random.Random(seed)
    path = tmp_path / "metrics.jsonl"
    records = [
        {"step": s, "split": rng.choice(["train", "val"]), "loss": rng.random(), "acc": 1 / s}
        for s in range(1, 9)
    ]
    writer = MetricsWriter(path)
    for record in records:
        writer.write(record)
    saved = path.read_bytes()
    for _ in range(100):
        path.write_bytes(saved)
        damage(path, rng)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = read_metrics(path)
        except ValueError as err:
            assert type(err) is ValueError and str(path) in str(err), repr(err)
        else:
            assert got == records[: len(got)], path.read_bytes() if path.exists() else "deleted"
