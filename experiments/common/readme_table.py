"""The anomaly rows and UCR verdicts of the experiments page, generated from a committed
``results.json`` (the page is docs/guides/experiments.md; it was README's section).

    python -m experiments.common.readme_table experiments/results/anomaly.json

prints the rows of the page's results table (one per group of series: real,
synthetic, injected), one sentence per group and metric (F1, UCR score)
saying whether the LSTM beats the best trivial detector, the injected group
by kind of event, and its paired comparisons (bootstrap intervals of the
mean difference, p-values); paste them into docs/guides/experiments.md.
``tests/experiments/common/test_readme_table.py`` fails when the page's lines
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

from experiments.common.bootstrap import format_pvalue

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


def _cell(stats: dict, count: int, many: bool, bold: bool = False) -> str:
    """F1, ROC-AUC (with their spread where there is one) and UCR ``correct/count``."""
    f1, auc = _spread(stats, "f1", many), _spread(stats, "roc_auc", many)
    if bold:
        f1 = f"**{f1}**"
    return f"F1 {f1}, ROC-AUC {auc}, UCR {round(stats['ucr_mean'] * count)}/{count}"


def _baselines(stats: dict) -> list[str]:
    return [name for name in LABELS if name != "lstm" and name in stats]


def anomaly_rows(results: dict) -> list[str]:
    """Results table rows ``| task | command | seeds | LSTM | baselines | wall |``.

    A group of one series shows the LSTM's spread over seeds (its UCR out of the
    seeds); a group of several, every detector's spread over the series.
    """
    seeds = results["config"]["seeds"]
    command = f"`python experiments/anomaly.py --seeds {' '.join(map(str, seeds))}`"
    series = {row["name"]: row for row in results["series"]}
    rows = []
    for i, (group, stats) in enumerate(results["groups"].items()):
        n = len(stats["series"])
        if n > 1:
            lstm = _cell(stats["lstm"], n, True, bold=True)
        else:
            lstm = _cell(series[stats["series"][0]]["detectors"]["lstm"], len(seeds), False, True)
        baselines = "; ".join(
            f"{LABELS[name]}: {_cell(stats[name], n, n > 1)}" for name in _baselines(stats)
        )
        wall = f"{results['wall_s'] / 60:.0f} min" if i == 0 else "same run"
        task = TASKS[group].format(n=n)
        seeds_text = ",".join(map(str, seeds))
        rows.append(f"| {task} | {command} | {seeds_text} | {lstm} | {baselines} | {wall} |")
    return rows


def verdicts(results: dict) -> list[str]:
    """Per group, for F1 and the UCR score: does the LSTM beat the best trivial detector?"""
    lines = []
    for group, stats in results["groups"].items():
        for metric, title in (("f1", "F1"), ("ucr", "UCR score")):
            best = max(_baselines(stats), key=lambda name: stats[name][f"{metric}_mean"])
            lstm, other = stats["lstm"][f"{metric}_mean"], stats[best][f"{metric}_mean"]
            verdict = "beats" if lstm > other else "only ties" if lstm == other else "does NOT beat"
            lines.append(
                f"- {title}, {group}: the LSTM ({lstm:.3f}) {verdict} the best trivial "
                f"detector, {LABELS[best]} ({other:.3f})."
            )
    return lines


def kind_lines(results: dict) -> list[str]:
    """The injected group by kind of event: each detector's mean F1 / ROC-AUC / UCR."""
    lines = []
    for kind, stats in results["injected_by_kind"].items():
        cells = ", ".join(
            f"{LABELS[name]} {s['f1_mean']:.2f} / {s['roc_auc_mean']:.2f} / {s['ucr_mean']:.2f}"
            for name, s in stats.items()
        )
        n = stats["lstm"]["n_series"]
        lines.append(f"- {kind.replace('_', ' ')} ({n} series), F1 / ROC-AUC / UCR: {cells}.")
    return lines


def paired_lines(results: dict) -> list[str]:
    """The injected group's paired comparisons, one line per trivial detector."""
    lines = []
    for name, comparison in results["paired_injected"].items():
        f1, auc = comparison["f1"], comparison["roc_auc"]
        mcnemar = ", ".join(f"{m['pvalue']:.2g}" for m in comparison["ucr_mcnemar"])
        lines.append(
            f"- LSTM minus {LABELS[name]}: F1 {f1['mean_difference']:+.3f} "
            f"[{f1['low']:+.3f}, {f1['high']:+.3f}] ({format_pvalue(f1)}), ROC-AUC "
            f"{auc['mean_difference']:+.3f} [{auc['low']:+.3f}, {auc['high']:+.3f}] "
            f"({format_pvalue(auc)}); McNemar on UCR correctness, p per seed: {mcnemar}."
        )
    return lines


def readme_lines(results: dict) -> list[str]:
    """Everything the experiments page quotes from the results, in its order."""
    return (
        anomaly_rows(results)
        + [""]
        + verdicts(results)
        + [""]
        + kind_lines(results)
        + [""]
        + paired_lines(results)
    )


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m experiments.common.readme_table RESULTS_JSON")
    results = json.loads(pathlib.Path(argv[0]).read_text())
    print("\n".join(readme_lines(results)))


if __name__ == "__main__":
    main()
