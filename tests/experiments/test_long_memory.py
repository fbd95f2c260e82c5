"""Smoke tests of experiments/long_memory.py: --quick runs of every task learn something."""

from __future__ import annotations

import dataclasses
import json
import pathlib

import jax
import numpy as np
import pytest

from experiments.common.item_scores import unpack
from tests.experiments.experiment_module import load_experiment

long_memory = load_experiment("long_memory")


def quick(tmp_path, *args):
    return long_memory.parse_config(
        ["--quick", "--no-progress", "--run-root", str(tmp_path), *map(str, args)]
    )


def check_run(cfg, rows, cells):
    assert [row["cell"] for row in rows] == cells.split(",")
    task = long_memory.TASKS[cfg.task]
    for row in rows:
        assert row["last_train_loss"] < row["first_train_loss"], row
        assert row["grad_first_over_last"] > 0
        # One error per test sequence, whose mean is the test metric (to 4 digits).
        errors = unpack(row["test_item_errors"])
        assert errors.shape == (cfg.test_size,) and np.all(errors >= 0)
        score = row["test_" + task.metric]
        assert np.mean(errors) == pytest.approx(
            1 - score if task.metric == "accuracy" else score, rel=1e-3, abs=1e-6
        )
        assert row["test_item_error"] == task.item_error_name
    out_dir = pathlib.Path(cfg.run_root) / "long_memory" / cfg.name
    results = json.loads((out_dir / "results.json").read_text())
    assert [r["cell"] for r in results["results"]] == cells.split(",")
    assert (out_dir / "compare.png").exists()
    assert (out_dir / cells.split(",")[0] / "metrics.png").exists()
    table = long_memory.format_table(cfg, rows)
    baseline = long_memory.TASKS[cfg.task].baseline(cfg.T)
    assert "trivial baseline" in table and f"{baseline:.4g}" in table
    collected = json.loads(cfg.results_path.read_text())[f"{cfg.task} T={cfg.T}"]
    assert set(collected["seeds"][str(cfg.seed)]) >= set(cells.split(","))


@pytest.fixture(scope="module")
def adding_run(tmp_path_factory):
    cfg = quick(tmp_path_factory.mktemp("runs"), "--cells", "lstm,rnn")
    return cfg, long_memory.run(cfg)["results"]


def test_quick_adding_run_lowers_the_loss_and_writes_the_table(adding_run):
    check_run(*adding_run, "lstm,rnn")


@pytest.mark.parametrize("task, cells", [("recall", "lstm"), ("order", "gru")])
def test_quick_run_lowers_the_loss_and_writes_the_table(tmp_path, task, cells):
    cfg = quick(tmp_path, "--task", task, "--cells", cells)
    check_run(cfg, long_memory.run(cfg)["results"], cells)


def test_the_plain_rnns_fair_chance_picks_its_learning_rate_on_validation(tmp_path):
    """H&S's adding form, the IRNN at the LSTM's parameter count, a 2-point grid."""
    cfg = quick(tmp_path, "--task", "adding_hs", "--T", "24", "--cells", "irnn_matched")
    cfg = dataclasses.replace(cfg, lrs=(1e-2, 1e-3))
    (row,) = long_memory.run(cfg)["results"]
    assert [g["lr"] for g in row["lr_grid"]] == [1e-2, 1e-3]
    assert row["best_val_loss"] == min(g["best_val_loss"] for g in row["lr_grid"])
    assert row["lr"] == min(row["lr_grid"], key=lambda g: g["best_val_loss"])["lr"]
    lstm_params = sum(  # 4 (H (D + H) + H) at H = 16, D = 2
        x.size for x in jax.tree.leaves(long_memory.CELLS["lstm"](cfg).init(jax.random.key(0), 2))
    )
    assert abs(row["params"] - lstm_params) <= row["hidden"] + 3
    assert 0 <= row["test_wrong_of_2560"] <= 2560 and "sequences_until_solved" in row
    errors = unpack(row["test_item_errors"])
    assert set(errors) <= {0.0, 1.0} and np.mean(errors) == pytest.approx(row["test_wrong"])


def test_sequences_until_solved_is_the_first_validation_meeting_the_criterion(tmp_path):
    cfg = quick(tmp_path, "--task", "adding_hs", "--T", "24")
    task = long_memory.TASKS["adding_hs"]
    records = [
        {"split": "train", "step": 10, "wrong": 0.0},
        {"split": "val", "step": 20, "wrong": 4 / 2560},
        {"split": "val", "step": 40, "wrong": 3 / 2560},
        {"split": "val", "step": 60, "wrong": 0.0},
    ]
    assert long_memory.sequences_until_solved(cfg, task, records) == 40 * cfg.batch_size
    assert long_memory.sequences_until_solved(cfg, task, records[:2]) is None
    order = long_memory.TASKS["order"]
    assert (
        long_memory.sequences_until_solved(
            cfg, order, [{"split": "val", "step": 5, "accuracy": 1 - 1 / 2560}]
        )
        == 5 * cfg.batch_size
    )


def test_rows_of_another_configuration_are_refused_by_the_results_file(tmp_path):
    cfg = quick(tmp_path)
    first = long_memory.merge_rows({}, cfg, [{"cell": "lstm", "test_mse": 0.1}])
    more = long_memory.merge_rows(
        first, dataclasses.replace(cfg, cells=("gru",)), [{"cell": "gru", "test_mse": 0.2}]
    )
    assert set(more[f"adding T={cfg.T}"]["seeds"]["0"]) == {"lstm", "gru"}
    with pytest.raises(ValueError, match="results_file"):
        long_memory.merge_rows(more, dataclasses.replace(cfg, steps=7), [])
    grid = dataclasses.replace(cfg, cells=("rnn",), lrs=(1e-3, 2e-3))
    both = long_memory.merge_rows(more, grid, [{"cell": "rnn", "test_mse": 0.3}])
    assert both[f"adding T={cfg.T}"] == more[f"adding T={cfg.T}"]
    assert both[f"adding T={cfg.T} lr grid"]["config"]["lrs"] in ([1e-3, 2e-3], (1e-3, 2e-3))


def test_resuming_a_finished_run_reproduces_its_scores(adding_run, capsys):
    cfg, first = adding_run
    again = long_memory.run(dataclasses.replace(cfg, resume=True))["results"]
    for a, b in zip(again, first):
        assert a["test_mse"] == b["test_mse"] and a["best_step"] == b["best_step"]
    out = capsys.readouterr().out
    assert out.count(f"resuming from step {cfg.steps}") == 2


def test_cli_parses_every_field_and_quick_keeps_explicit_values():
    cfg = long_memory.parse_config(["--quick", "--T", "30", "--cells", "lstm,gru", "--no-chrono"])
    assert cfg.T == 30 and cfg.cells == ("lstm", "gru") and not cfg.chrono
    assert cfg.steps == long_memory.QUICK["steps"] and cfg.quick
    assert cfg.name == "adding-T30-seed0-quick"
    with pytest.raises(ValueError, match="cells"):
        long_memory.parse_config(["--cells", "lstm,transformer"])
    with pytest.raises(ValueError, match="task"):
        long_memory.parse_config(["--task", "sorting"])


def test_until_solved_stops_training_at_the_first_solved_validation(tmp_path, monkeypatch):
    # a criterion every validation meets: the run stops at the first one
    always = long_memory.TASKS["order"]._replace(solved_at_most_wrong=2560)
    monkeypatch.setitem(long_memory.TASKS, "order", always)
    cfg = quick(tmp_path, "--task", "order", "--cells", "lstm", "--until_solved")
    (row,) = long_memory.run(cfg)["results"]
    assert row["steps_done"] == cfg.eval_every < cfg.steps
    assert row["sequences_until_solved"] == cfg.eval_every * cfg.batch_size
    with pytest.raises(ValueError, match="until_solved: expected a task with a solved criterion"):
        long_memory.parse_config(["--task", "adding", "--until_solved"])


def test_a_diverged_learning_rate_is_never_chosen(monkeypatch):
    """The grid's choice skips a rate whose validation loss was never a number,
    wherever it sits in the grid."""
    losses = {1e-3: float("nan"), 3e-3: 0.2, 1e-2: 0.1}
    monkeypatch.setattr(
        long_memory,
        "train_at",
        lambda cfg, seed, name, cell, lr: {"lr": lr, "best_val_loss": losses[lr]},
    )
    cfg = long_memory.Config(lrs=(1e-3, 3e-3, 1e-2), quick=True)
    row = long_memory.train_cell(cfg, 0, "irnn_matched", None)
    assert row["lr"] == 1e-2 and len(row["lr_grid"]) == 3
    losses[1e-2] = float("nan")
    assert long_memory.train_cell(cfg, 0, "irnn_matched", None)["lr"] == 3e-3
