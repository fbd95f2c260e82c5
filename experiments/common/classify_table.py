"""The experiments page's classification tables and verdicts, from a committed ``results.json``.

    python -m experiments.common.classify_table experiments/results/classify.json

prints the row of the experiments page's main table, then two markdown tables
(multivariate, univariate sets) with one row per data set: the BiLSTM's test
accuracy as ``mean +- sample std`` over seeds (and the hyper-parameters the
validation grid chose), MiniRocket's and 1-NN DTW's test accuracy from the
same run, and the McNemar p-values of each LSTM seed against each baseline on
the shared test items; then one sentence per data set and baseline saying in
how many seeds the LSTM is more accurate with McNemar p < 0.05.
``tests/experiments/common/test_classify_table.py``
fails when the experiments page's lines differ from what the committed results give.
"""

from __future__ import annotations

import json
import pathlib
import sys

LABELS = {"minirocket": "MiniRocket", "dtw_1nn": "1-NN DTW"}
ALPHA = 0.05
HEADER = [
    "| data set (classes, train/test, channels x steps) | LSTM hidden, lr (validation grid) "
    "| BiLSTM test accuracy | MiniRocket | 1-NN DTW | McNemar p per seed, LSTM vs MiniRocket "
    "| McNemar p per seed, LSTM vs 1-NN DTW | wall |",
    "|---|---|---|---|---|---|---|---|",
]


def summary_row(results: dict) -> str:
    """The row of the experiments page's main results table: mean test accuracies per data set."""
    seeds = results["config"]["seeds"]
    command = f"`python experiments/classify.py --seeds {' '.join(map(str, seeds))}`"
    names = ", ".join(results["datasets"])
    lstm = "; ".join(
        f"{name} **{r['test_accuracy_mean']:.3f}**" for name, r in results["datasets"].items()
    )
    other = "; ".join(
        f"{LABELS[b]}: "
        + ", ".join(f"{r[b]['test_accuracy']:.3f}" for r in results["datasets"].values())
        for b in LABELS
    )
    return (
        f"| classification, test accuracy ({names}; tables below) | {command} | "
        f"{','.join(map(str, seeds))} | BiLSTM {lstm} | {other} | "
        f"{results['wall_s'] / 60:.0f} min |"
    )


def _pvalues(tests: list[dict]) -> str:
    return ", ".join(f"{t['pvalue']:.2g}" for t in tests)


def row(name: str, result: dict) -> str:
    """One table row for data set ``name``."""
    shape = (
        f"{result['num_classes']}, {result['num_train']}/{result['num_test']}, "
        f"{result['num_channels']} x {result['max_length']}"
    )
    chosen = result["chosen"]
    grid = f"{chosen['hidden_size']}, {chosen['learning_rate']:g} (of {len(result['grid'])})"
    mean, std = result["test_accuracy_mean"], result["test_accuracy_std"]
    lstm = f"**{mean:.3f}**" if std is None else f"**{mean:.3f} +- {std:.3f}**"
    cells = [
        f"{name} ({shape})",
        grid,
        lstm,
        f"{result['minirocket']['test_accuracy']:.3f}",
        f"{result['dtw_1nn']['test_accuracy']:.3f}",
        _pvalues(result["mcnemar"]["minirocket"]),
        _pvalues(result["mcnemar"]["dtw_1nn"]),
        f"{result['wall_s'] / 60:.1f} min",
    ]
    return "| " + " | ".join(cells) + " |"


def tables(results: dict) -> list[str]:
    """The multivariate table, a blank line, the univariate table (each only if non-empty)."""
    lines = []
    for kind in ("multivariate", "univariate"):
        rows = [row(n, r) for n, r in results["datasets"].items() if r["kind"] == kind]
        if rows:
            lines += ([""] if lines else []) + [f"{kind.capitalize()} sets:", ""] + HEADER + rows
    return lines


def verdicts(results: dict) -> list[str]:
    """Per data set and baseline: in how many seeds the LSTM wins with McNemar p < 0.05."""
    lines = []
    for name, result in results["datasets"].items():
        for baseline, label in LABELS.items():
            tests = result["mcnemar"][baseline]
            wins = sum(t["b"] > t["c"] and t["pvalue"] < ALPHA for t in tests)
            losses = sum(t["b"] < t["c"] and t["pvalue"] < ALPHA for t in tests)
            verdict = "beats" if wins else "does NOT beat"
            lines.append(
                f"- {name}: the LSTM {verdict} {label} with McNemar p < {ALPHA} "
                f"({wins} of {len(tests)} seeds; {label} is significantly better "
                f"in {losses})."
            )
    return lines


def readme_lines(results: dict) -> list[str]:
    """Everything the page quotes from the results, in the experiments page's order."""
    return [summary_row(results), ""] + tables(results) + [""] + verdicts(results)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m experiments.common.classify_table RESULTS_JSON")
    results = json.loads(pathlib.Path(argv[0]).read_text())
    print("\n".join(readme_lines(results)))


if __name__ == "__main__":
    main()
