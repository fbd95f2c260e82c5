"""README's anomaly rows and UCR verdicts, generated from a committed ``results.json``.

    python -m experiments.common.readme_table experiments/results/anomaly.json

prints the rows of README's results table (one per group of series: real,
synthetic, injected), one sentence per group saying whether the LSTM beats
the best trivial detector on the UCR score, and the injected group's paired
comparisons (bootstrap intervals of the mean difference, p-values); paste
them into README.
``tests/experiments/common/test_readme_table.py`` fails when README's lines
differ from what the committed results give.

Numbers: for one series, the LSTM's ``mean +- sample std`` over seeds (UCR:
correct seeds / seeds); for a group of several series, each detector's mean
over the series ``+- sample std`` and the 95% t-interval of the mean (UCR:
correct series / series, the LSTM's counted per seed and averaged).
"""

from __future__ import annotations

import json
import pathlib
import sys

LABELS = {
    "lstm": "LSTM",
    "rolling_zscore": "rolling z-score",
    "abs_diff1": "abs. 1st difference",
    "abs_diff2": "abs. 2nd difference",
    "matrix_profile": "matrix-profile discord",
    "isolation_forest": "Isolation Forest",
}
TASKS = {
    "real": "anomaly detection (KDD-TSAD 135, real label, 1 event)",
    "synthetic": "anomaly detection (ecg-diff-count-3, synthetic GutenTAG ECG, 3 events)",
    "injected": "anomaly detection (Daphnet walk, 2 real channels, {n} injected events)",
}


def _spread(stats: dict, metric: str, with_interval: bool) -> str:
    mean, std = stats[f"{metric}_mean"], stats.get(f"{metric}_std")
    text = f"{mean:.3f}" if std is None else f"{mean:.3f} +- {std:.3f}"
    interval = stats.get(f"{metric}_ci95")
    if with_interval and interval is not None:
        text += f" [{interval[0]:.3f}, {interval[1]:.3f}]"
    return text


def _ucr(stats: dict, count: int) -> str:
    return f"{round(stats['ucr_mean'] * count)}/{count}"


def _cell(name: str, stats: dict, count: int, many: bool) -> str:
    """One detector's F1, ROC-AUC and UCR; the spread only where there is one."""
    if many or name == "lstm":
        f1, auc = _spread(stats, "f1", many), _spread(stats, "roc_auc", many)
    else:
        f1, auc = f"{stats['f1_mean']:.3f}", f"{stats['roc_auc_mean']:.3f}"
    if name == "lstm":
        f1 = f"**{f1}**"
    return f"F1 {f1}, ROC-AUC {auc}, UCR {_ucr(stats, count)}"


def anomaly_rows(results: dict) -> list[str]:
    """README table rows ``| task | command | seeds | LSTM | baselines | wall |``."""
    seeds = results["config"]["seeds"]
    command = f"`python experiments/anomaly.py --seeds {' '.join(map(str, seeds))}`"
    rows = []
    for i, (group, stats) in enumerate(results["groups"].items()):
        n = len(stats["series"])
        many = n > 1
        lstm_count = n if many else len(seeds)
        baselines = "; ".join(
            f"{LABELS[name]}: {_cell(name, stats[name], n, many)}"
            for name in LABELS
            if name != "lstm" and name in stats
        )
        wall = f"{results['wall_s'] / 60:.0f} min" if i == 0 else "same run"
        task = TASKS[group].format(n=n)
        seeds_text = ",".join(map(str, seeds))
        lstm = _cell("lstm", stats["lstm"], lstm_count, many)
        rows.append(f"| {task} | {command} | {seeds_text} | {lstm} | {baselines} | {wall} |")
    return rows


def ucr_verdicts(results: dict) -> list[str]:
    """Per group: does the LSTM beat the best trivial detector on the UCR score?"""
    lines = []
    for group, stats in results["groups"].items():
        names = [name for name in LABELS if name != "lstm" and name in stats]
        best = max(names, key=lambda name: stats[name]["ucr_mean"])
        lstm, other = stats["lstm"]["ucr_mean"], stats[best]["ucr_mean"]
        verdict = "beats" if lstm > other else "only ties" if lstm == other else "does NOT beat"
        lines.append(
            f"- UCR score, {group}: the LSTM ({lstm:.3f}) {verdict} the best trivial "
            f"detector, {LABELS[best]} ({other:.3f})."
        )
    return lines


def paired_lines(results: dict) -> list[str]:
    """The injected group's paired comparisons, one line per trivial detector."""
    lines = []
    for name, comparison in results["paired_injected"].items():
        f1, auc = comparison["f1"], comparison["roc_auc"]
        mcnemar = ", ".join(f"{m['pvalue']:.2g}" for m in comparison["ucr_mcnemar"])
        lines.append(
            f"- LSTM minus {LABELS[name]}: F1 {f1['mean_difference']:+.3f} "
            f"[{f1['low']:+.3f}, {f1['high']:+.3f}] (p {f1['pvalue']:.2g}), ROC-AUC "
            f"{auc['mean_difference']:+.3f} [{auc['low']:+.3f}, {auc['high']:+.3f}] "
            f"(p {auc['pvalue']:.2g}); McNemar on UCR correctness, p per seed: {mcnemar}."
        )
    return lines


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m experiments.common.readme_table RESULTS_JSON")
    results = json.loads(pathlib.Path(argv[0]).read_text())
    lines = anomaly_rows(results) + [""] + ucr_verdicts(results) + [""] + paired_lines(results)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
