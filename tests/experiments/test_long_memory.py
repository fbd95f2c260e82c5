"""Smoke tests of experiments/long_memory.py: --quick runs of every task learn something."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import pathlib
import sys

import pytest

SCRIPT = pathlib.Path(__file__).parents[2] / "experiments" / "long_memory.py"
spec = importlib.util.spec_from_file_location("long_memory", SCRIPT)
long_memory = importlib.util.module_from_spec(spec)
sys.modules["long_memory"] = long_memory  # dataclasses look the module up
spec.loader.exec_module(long_memory)


def quick(tmp_path, *args):
    return long_memory.parse_args(
        ["--quick", "--no-progress", "--run-root", str(tmp_path), *map(str, args)]
    )


@pytest.mark.parametrize(
    "task, cells", [("adding", "lstm,rnn"), ("recall", "lstm"), ("order", "gru")]
)
def test_quick_run_lowers_the_loss_and_writes_the_table(tmp_path, capsys, task, cells):
    cfg = quick(tmp_path, "--task", task, "--cells", cells)
    rows = long_memory.main(cfg)
    assert [row["cell"] for row in rows] == cells.split(",")
    for row in rows:
        assert row["last_train_loss"] < row["first_train_loss"], row
    out_dir = tmp_path / "long_memory" / cfg.name
    results = json.loads((out_dir / "results.json").read_text())
    assert [r["cell"] for r in results["results"]] == cells.split(",")
    assert (out_dir / "compare.png").exists()
    assert (out_dir / cells.split(",")[0] / "metrics.png").exists()
    table = capsys.readouterr().out
    assert "trivial baseline" in table and f"{long_memory.TASKS[task].baseline:.4g}" in table


def test_resuming_a_finished_run_reproduces_its_scores(tmp_path, capsys):
    cfg = quick(tmp_path, "--cells", "lstm", "--steps", "30")
    first = long_memory.main(cfg)
    again = long_memory.main(dataclasses.replace(cfg, resume=True))
    assert again[0]["test_mse"] == first[0]["test_mse"]
    assert again[0]["best_step"] == first[0]["best_step"]
    assert "resuming from step 30" in capsys.readouterr().out


def test_cli_parses_every_field_and_quick_keeps_explicit_values():
    cfg = long_memory.parse_args(["--quick", "--T", "30", "--cells", "lstm,gru", "--no-chrono"])
    assert cfg.T == 30 and cfg.cells == ("lstm", "gru") and not cfg.chrono
    assert cfg.steps == long_memory.QUICK["steps"] and cfg.quick
    assert cfg.name == "adding-T30-seed0-quick"
    with pytest.raises(ValueError, match="cells"):
        long_memory.parse_args(["--cells", "lstm,transformer"])
    with pytest.raises(ValueError, match="task"):
        long_memory.parse_args(["--task", "sorting"])
