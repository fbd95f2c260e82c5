"""Smoke tests of experiments/long_memory.py: --quick runs of every task learn something."""

from __future__ import annotations

import dataclasses
import json
import pathlib

import pytest

from tests.experiments.experiment_module import load_experiment

long_memory = load_experiment("long_memory")


def quick(tmp_path, *args):
    return long_memory.parse_config(
        ["--quick", "--no-progress", "--run-root", str(tmp_path), *map(str, args)]
    )


def check_run(cfg, rows, cells):
    assert [row["cell"] for row in rows] == cells.split(",")
    for row in rows:
        assert row["last_train_loss"] < row["first_train_loss"], row
        assert row["grad_first_over_last"] > 0
    out_dir = pathlib.Path(cfg.run_root) / "long_memory" / cfg.name
    results = json.loads((out_dir / "results.json").read_text())
    assert [r["cell"] for r in results["results"]] == cells.split(",")
    assert (out_dir / "compare.png").exists()
    assert (out_dir / cells.split(",")[0] / "metrics.png").exists()
    table = long_memory.format_table(cfg, rows)
    assert "trivial baseline" in table and f"{long_memory.TASKS[cfg.task].baseline:.4g}" in table


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
