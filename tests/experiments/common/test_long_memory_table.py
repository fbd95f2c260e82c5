import json
import pathlib

import numpy as np
import pytest

from experiments.common.item_scores import pack
from experiments.common.long_memory_table import (
    cell_text,
    page_lines,
    paired_lines,
    paired_test,
    readme_lines,
    table_row,
)


def row(cell, value, lr=2e-3, solved="absent", hidden=128):
    out = {"cell": cell, "hidden": hidden, "lr": lr, "test_wrong": value}
    if solved != "absent":
        out["sequences_until_solved"] = solved
    return out


def entry(task="adding_hs", T=100, seeds=None, lrs=()):
    seeds = seeds or {
        "0": {"lstm": row("lstm", 0.0, solved=64_000), "rnn": row("rnn", 0.85, solved=None)},
        "1": {"lstm": row("lstm", 0.002, solved=96_000), "rnn": row("rnn", 0.84, solved=None)},
        "2": {"lstm": row("lstm", 0.001, solved=None)},
    }
    config = {"steps": 2000, "hidden": 128, "lrs": list(lrs)}
    return {"task": task, "T": T, "config": config, "seeds": seeds}


def test_a_cell_reports_its_seeds_and_how_many_solved_the_criterion():
    lstm = [row("lstm", 0.0, solved=64_000), row("lstm", 0.002, solved=96_000)]
    lstm.append(row("lstm", 0.001, lr=1e-3, solved=None))
    text = cell_text("adding_hs", 100, "lstm", lstm)
    assert text.startswith("LSTM (hidden 128): 0.0010 ± 0.0010 (n=3), lr 0.001/0.002")
    assert text.endswith(
        ", solved 2/3 after 80,000 sequences (median; 64,000-96,000) [H&S: 74,000]"
    )
    assert cell_text("adding_hs", 200, "rnn", [row("rnn", 0.85, solved=None)]).endswith(
        ", solved 0/1"
    )


def test_the_row_gives_the_command_seeds_and_every_cell_in_a_fixed_order():
    text = table_row(entry(lrs=(1e-3, 3e-3)))
    assert text.startswith("| adding (H&S 1997 form), T=100, test fraction wrong | ")
    assert "--cells lstm,rnn --lrs 0.001,0.003 --seed S` | 0,1,2 | LSTM" in text
    assert "; tanh RNN (hidden 128): 0.8450 ± 0.0071 (n=2)" in text
    assert text.endswith("| always 0.5: about 0.85 wrong |")
    stopped = entry()
    stopped["config"] |= {"eval_every": 100, "until_solved": True}
    assert "--cells lstm,rnn --eval_every 100 --until_solved --seed S`" in table_row(stopped)


def test_rows_come_in_task_then_length_order():
    plain = {"0": {"lstm": {"cell": "lstm", "hidden": 8, "lr": 0.01, "test_mse": 0.001}}}
    plain["0"]["lstm"]["grad_first_over_last"] = 0.37
    results = {
        "b": entry(T=200),
        "a": entry(T=100),
        "c": entry(task="adding", T=400, seeds=plain),
        "d": entry(T=100, lrs=(1e-3, 3e-3)),
    }
    lines = readme_lines(results)
    assert [line.split(" | ")[0] for line in lines] == [
        "| adding (Arjovsky form), T=400, test MSE",
        "| adding (H&S 1997 form), T=100, test fraction wrong",
        "| adding (H&S 1997 form), T=100, test fraction wrong",
        "| adding (H&S 1997 form), T=200, test fraction wrong",
    ]
    assert "--lrs" not in lines[1] and "--lrs 0.001,0.003" in lines[2]
    assert "LSTM (hidden 8): 0.00100 (n=1), lr 0.01, gradient ratio 0.37 |" in lines[0]


def test_the_experiments_page_holds_the_rows_the_committed_results_give():
    root = pathlib.Path(__file__).resolve().parents[3]
    results = json.loads((root / "experiments/results/long_memory.json").read_text())
    page = (root / "docs/guides/experiments.md").read_text().splitlines()
    lines = page_lines(results)
    assert len(lines) > len(readme_lines(results))  # the paired tests' lines too
    for line in lines:
        assert line in page


def errors_row(cell, errors, kind="squared error", metric="test_mse"):
    errors = [float(e) for e in errors]
    value = np.mean(errors) if metric != "test_accuracy" else 1 - np.mean(errors)
    out = {"cell": cell, "hidden": 8, "lr": 0.01, metric: float(value)}
    return out | {"test_item_error": kind, "test_item_errors": pack(errors, digits=17)}


def test_squared_errors_are_compared_by_the_paired_bootstrap_of_the_lstm_minus_the_other():
    rng = np.random.default_rng(0)
    other = rng.uniform(0.05, 0.2, 400)
    better = paired_test(errors_row("lstm", other - 0.01), errors_row("gru", other))
    assert better["better"] and not better["worse"]
    assert better["text"].startswith("-0.01000 [-0.01000, -0.01000], p < 1e-04")
    noise = rng.normal(0, 0.05, 400)
    tie = paired_test(errors_row("lstm", other + noise), errors_row("gru", other - noise))
    assert not tie["better"] and not tie["worse"]  # a difference of 0 in expectation


def test_wrong_or_right_is_compared_by_mcnemar_on_the_discordant_sequences():
    lstm = np.zeros(100)
    other = np.r_[np.ones(30), np.zeros(70)]  # the LSTM right on 30 the other got wrong
    test = paired_test(
        errors_row("lstm", lstm, "wrong", "test_accuracy"),
        errors_row("rnn", other, "wrong", "test_accuracy"),
    )
    assert test["better"] and not test["worse"] and test["text"].startswith("30/0, p ")
    same = errors_row("lstm", other, "wrong", "test_accuracy")
    assert paired_test(same, same) == {"better": False, "worse": False, "text": "0/0, p 1"}


def test_a_paired_test_refuses_two_kinds_of_error():
    with pytest.raises(ValueError, match="one kind of test error"):
        paired_test(errors_row("lstm", [0, 1], "wrong"), errors_row("rnn", [0, 1]))


def test_paired_lines_test_each_cell_per_seed_and_judge_against_the_strongest():
    rng = np.random.default_rng(1)
    seeds = {}
    for s in ("0", "1"):
        base = rng.uniform(0.0, 0.1, 300)
        seeds[s] = {
            "lstm": errors_row("lstm", base),
            "gru": errors_row("gru", base + 0.001 * (s == "0")),
            "rnn": errors_row("rnn", base + 0.1),
        }
    seeds["2"] = {"lstm": {"cell": "lstm", "hidden": 8, "lr": 0.01, "test_mse": 0.5}}
    lines = paired_lines(entry(task="adding", T=100, seeds=seeds))
    assert len(lines) == 3
    assert lines[0].startswith(
        "- adding (Arjovsky form), T=100, LSTM against GRU, paired bootstrap over each "
        "seed's 300 test sequences of the squared error per sequence"
    )
    assert "seed 0: -0.00100 [" in lines[0] and "seed 1: +0.00000 [" in lines[0]
    assert lines[0].endswith("better than the GRU with p < 0.05 in 1 of 2 seeds, worse in 0.")
    assert lines[1].endswith("better than the tanh RNN with p < 0.05 in 2 of 2 seeds, worse in 0.")
    assert lines[2].startswith(
        "- Verdict, adding (Arjovsky form), T=100: the strongest other cell is the GRU ("
    )
    assert paired_lines(entry(task="adding", T=100, seeds={"2": seeds["2"]})) == []
    grid = paired_lines(entry(task="adding", T=100, seeds=seeds, lrs=(1e-3, 3e-3)))
    assert grid[2].startswith("- Verdict, adding (Arjovsky form), T=100, learning-rate grid: ")
