"""The experiments page's long-memory table, generated from a committed ``long_memory.json``.

    python -m experiments.common.long_memory_table experiments/results/long_memory.json

prints one row per task and ``T`` of ``experiments/long_memory.py``: each
cell's test metric as ``mean +- sample std (n)`` over the seeds run, its
learning rate(s), the median over seeds of ``||dL/dx_1|| / ||dL/dx_T||``
(how much error signal reaches the first step) and, for the tasks with Hochreiter & Schmidhuber's
criterion, how many seeds solved it and the training sequences they needed
(median and range) beside the paper's; then, per row, the LSTM against each
other cell on the same test sequences, seed by seed:

- squared error (adding) or fraction of symbols wrong (copy): the paired
  bootstrap of the mean per-sequence difference ``LSTM - other`` (i.i.d.
  over the test sequences, 10,000 resamples, 95% percentile interval);
- wrong or right (H&S's adding form, temporal order): McNemar's test on
  per-sequence correctness (exact below 25 discordant sequences);

and a verdict against the strongest other cell (the lowest mean test error
over seeds): in how many seeds the LSTM is better, or worse, at p < 0.05.
Paste the rows and lines into docs/guides/experiments.md;
``tests/experiments/common/test_long_memory_table.py`` fails when the page
differs from what the committed results give.
"""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np

from experiments.common.bootstrap import format_pvalue, paired_bootstrap
from experiments.common.item_scores import unpack
from experiments.common.mcnemar import mcnemar
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
ALPHA = 0.05
TINY_P = 1e-16  # McNemar's chi-square p-values below this print as "p < 1e-16" (erfc underflows)


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
    return [table_row(e) for e in _ordered(results)]


def _ordered(results: dict) -> list[dict]:
    order = list(TASKS)
    return sorted(
        results.values(),
        key=lambda e: (order.index(e["task"]), e["T"], bool(e["config"].get("lrs"))),
    )


def paired_test(lstm: dict, other: dict) -> dict:
    """The LSTM's row against ``other``'s of the same seed, on their
    ``test_item_errors``: McNemar on correctness when the error is
    ``"wrong"`` (0 or 1), else the paired bootstrap of ``LSTM - other``.

    Returns ``{"better": bool, "worse": bool, "text": str}``, better or worse
    meaning at p < ``ALPHA``.
    """
    if lstm["test_item_error"] != other["test_item_error"]:
        raise ValueError(
            f"rows: expected one kind of test error, got {lstm['test_item_error']!r} "
            f"and {other['test_item_error']!r}"
        )
    a, b = unpack(lstm["test_item_errors"]), unpack(other["test_item_errors"])
    if lstm["test_item_error"] == "wrong":
        test = mcnemar(a == 0, b == 0)
        significant = test.pvalue < ALPHA
        return {
            "better": significant and test.b > test.c,
            "worse": significant and test.b < test.c,
            "text": f"{test.b}/{test.c}, "
            + (f"p {test.pvalue:.2g}" if test.pvalue >= TINY_P else f"p < {TINY_P:.0e}"),
        }
    test = paired_bootstrap(a, b)
    digits = 5 if lstm["test_item_error"] == "squared error" else 4
    return {
        "better": test.pvalue < ALPHA and test.mean_difference < 0,
        "worse": test.pvalue < ALPHA and test.mean_difference > 0,
        "text": f"{test.mean_difference:+.{digits}f} [{test.low:+.{digits}f}, "
        f"{test.high:+.{digits}f}], {format_pvalue(test._asdict())}",
    }


def _paired_seeds(entry: dict, cell: str) -> list[str]:
    """The seeds where the LSTM and ``cell`` both kept their test errors."""
    return [
        s
        for s in sorted(entry["seeds"], key=int)
        if all("test_item_errors" in entry["seeds"][s].get(c, {}) for c in ("lstm", cell))
    ]


def _tally(tests: list[dict], name: str) -> str:
    better = sum(t["better"] for t in tests)
    worse = sum(t["worse"] for t in tests)
    return (
        f"the LSTM is better than the {name} with p < {ALPHA:g} in {better} of "
        f"{len(tests)} seeds, worse in {worse}"
    )


def paired_lines(entry: dict) -> list[str]:
    """One line per other cell: the LSTM's paired test against it in each seed;
    then the verdict against the strongest other cell. No lines when no seed
    kept the per-sequence errors of the LSTM and another cell."""
    task, T = entry["task"], entry["T"]
    label = f"{TASKS[task]}, T={T}" + ", learning-rate grid" * bool(entry["config"].get("lrs"))
    others = [c for c in CELLS if c != "lstm" and _paired_seeds(entry, c)]
    if not others:
        return []
    some_row = entry["seeds"][_paired_seeds(entry, others[0])[0]]["lstm"]
    kind, n = some_row["test_item_error"], len(unpack(some_row["test_item_errors"]))
    how = (
        f"McNemar on each seed's {n:,} test sequences (right/wrong; LSTM right and "
        "the other wrong / the reverse, p)"
        if kind == "wrong"
        else f"paired bootstrap over each seed's {n:,} test sequences of the {kind} "
        "per sequence, LSTM minus the other (mean [95% interval], p)"
    )
    lines, tallies = [], {}
    for cell in others:
        seeds = _paired_seeds(entry, cell)
        tests = [paired_test(entry["seeds"][s]["lstm"], entry["seeds"][s][cell]) for s in seeds]
        tallies[cell] = _tally(tests, CELLS[cell])
        per_seed = "; ".join(f"seed {s}: {t['text']}" for s, t in zip(seeds, tests))
        lines.append(f"- {label}, LSTM against {CELLS[cell]}, {how}: {per_seed}; {tallies[cell]}.")
    key = _metric([some_row])
    sign = -1 if key == "test_accuracy" else 1  # lower is better after the sign

    def mean_metric(cell):
        return sign * np.mean([entry["seeds"][s][cell][key] for s in _paired_seeds(entry, cell)])

    strongest = min(others, key=mean_metric)
    lines.append(
        f"- Verdict, {label}: the strongest other cell is the "
        f"{CELLS[strongest]} ({sign * mean_metric(strongest):.{5 if key == 'test_mse' else 4}f} "
        f"mean {METRICS[key[5:]]}); "
        f"{tallies[strongest]}."
    )
    return lines


def page_lines(results: dict) -> list[str]:
    """``readme_lines``, then every entry's ``paired_lines`` in the same order."""
    return readme_lines(results) + [line for e in _ordered(results) for line in paired_lines(e)]


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m experiments.common.long_memory_table RESULTS_JSON")
    print("\n".join(page_lines(json.loads(pathlib.Path(argv[0]).read_text()))))


if __name__ == "__main__":
    main()
