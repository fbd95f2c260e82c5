"""The experiments page's long-memory table, generated from a committed ``long_memory.json``.

    python -m experiments.common.long_memory_table experiments/results/long_memory.json

prints one row per task and ``T`` of ``experiments/long_memory.py``: each
cell's test metric as ``mean +- sample std (n)`` over the seeds run, its
learning rate(s), the median over seeds of ``||dL/dx_1|| / ||dL/dx_T||``
(how much error signal reaches the first step) and, for the tasks with Hochreiter & Schmidhuber's
criterion, how many seeds solved it and the training sequences they needed
(median and range) beside the paper's. Paste the rows into
docs/guides/experiments.md; ``tests/experiments/common/test_long_memory_table.py``
fails when the page differs from what the committed results give.
"""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np

from experiments.common.summary import format_mean_std

CELLS = {
    "lstm": "LSTM",
    "gru": "GRU",
    "rnn": "tanh RNN",
    "rnn_matched": "tanh RNN (LSTM's params)",
    "irnn_matched": "IRNN (LSTM's params)",
}
METRICS = {"mse": "test MSE", "accuracy": "test accuracy", "wrong": "test fraction wrong"}
TASKS = {
    "adding": "adding (Arjovsky form)",
    "adding_hs": "adding (H&S 1997 form)",
    "recall": "copy (delayed recall)",
    "order": "temporal order",
}
# Hochreiter & Schmidhuber 1997: LSTM's training sequences until solved.
PUBLISHED_SEQUENCES = {("adding_hs", 100): 74_000, ("adding_hs", 500): 209_000}
PUBLISHED_SEQUENCES |= {("adding_hs", 1000): 853_000, ("order", 100): 31_390}
TRIVIAL = {"adding": "always 1: MSE 0.1667", "recall": "guess: 0.125", "order": "guess: 0.25"}
TRIVIAL["adding_hs"] = "always 0.5: about 0.85 wrong"
DEFAULT_EVAL_EVERY = 250  # experiments/long_memory.py's; another is part of the command


def _metric(rows: list[dict]) -> str:
    """The rows' test metric key, e.g. ``"test_mse"``."""
    return next(k for k in rows[0] if k.startswith("test_") and k[5:] in METRICS)


def _solved(task: str, T: int, rows: list[dict]) -> str:
    found = [r["sequences_until_solved"] for r in rows if r["sequences_until_solved"] is not None]
    text = f", solved {len(found)}/{len(rows)}"
    if found:
        text += f" after {np.median(found):,.0f} sequences (median; {min(found):,}-{max(found):,})"
    if (task, T) in PUBLISHED_SEQUENCES:
        text += f" [H&S: {PUBLISHED_SEQUENCES[(task, T)]:,}]"
    return text


def cell_text(task: str, T: int, cell: str, rows: list[dict]) -> str:
    """``LSTM: 0.0004 +- 0.0002 (n=3), lr 0.002, solved ...``."""
    key = _metric(rows)
    values = [r[key] for r in rows]
    lrs = sorted({r["lr"] for r in rows})
    digits = 5 if key == "test_mse" else 4
    text = f"{CELLS[cell]} (hidden {rows[0]['hidden']}): {format_mean_std(values, digits)}"
    text += ", lr " + "/".join(f"{lr:g}" for lr in lrs)
    if all("grad_first_over_last" in r for r in rows):
        ratio = float(np.median([r["grad_first_over_last"] for r in rows]))
        text += f", gradient ratio {ratio:.2g}"
    if "sequences_until_solved" in rows[0]:
        text += _solved(task, T, rows)
    return text


def table_row(entry: dict) -> str:
    """``| task | command | seeds | cells | trivial baseline |``."""
    task, T, cfg = entry["task"], entry["T"], entry["config"]
    seeds = sorted(entry["seeds"], key=int)
    cells = [c for c in CELLS if any(c in entry["seeds"][s] for s in seeds)]
    per_cell = {c: [entry["seeds"][s][c] for s in seeds if c in entry["seeds"][s]] for c in cells}
    metric = METRICS[_metric(next(iter(per_cell.values())))[5:]]
    grid = f" --lrs {','.join(f'{lr:g}' for lr in cfg['lrs'])}" if cfg.get("lrs") else ""
    if cfg.get("eval_every", DEFAULT_EVAL_EVERY) != DEFAULT_EVAL_EVERY:
        grid += f" --eval_every {cfg['eval_every']}"
    if cfg.get("until_solved"):
        grid += " --until_solved"
    command = (
        f"`python experiments/long_memory.py --task {task} --T {T} --steps {cfg['steps']} "
        f"--hidden {cfg['hidden']} --cells {','.join(cells)}{grid} --seed S`"
    )
    results = "; ".join(cell_text(task, T, c, rows) for c, rows in per_cell.items())
    return (
        f"| {TASKS[task]}, T={T}, {metric} | {command} | {','.join(seeds)} | {results} "
        f"| {TRIVIAL[task]} |"
    )


def readme_lines(results: dict) -> list[str]:
    """One row per entry, ordered by task then ``T``, a learning-rate grid's
    entry after the fixed-rate one."""
    order = list(TASKS)
    entries = sorted(
        results.values(),
        key=lambda e: (order.index(e["task"]), e["T"], bool(e["config"].get("lrs"))),
    )
    return [table_row(e) for e in entries]


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m experiments.common.long_memory_table RESULTS_JSON")
    print("\n".join(readme_lines(json.loads(pathlib.Path(argv[0]).read_text()))))


if __name__ == "__main__":
    main()
