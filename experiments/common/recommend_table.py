"""The experiments page's MovieLens-100k lines, generated from a committed ``recommend.json``.

    python -m experiments.common.recommend_table experiments/results/recommend.json

prints the experiments page's results-table row of ``experiments/recommend.py`` (each
recurrent model's test metrics, ``mean +- sample std`` over seeds; each
baseline's), one sentence per metric saying whether the best recurrent model
beats every baseline, and the paired bootstrap over test users; paste them
into docs/guides/experiments.md. ``tests/experiments/common/test_recommend_table.py`` fails when
the experiments page's lines differ from what the committed results give.
"""

from __future__ import annotations

import json
import pathlib
import sys

METRICS = {"ndcg10": "NDCG@10", "recall10": "Recall@10", "recall20": "Recall@20", "mrr20": "MRR@20"}
MODELS = {"gru": "GRU", "lstm": "LSTM"}
BASELINES = {"most_popular": "most popular", "item_knn": "item-kNN", "markov": "Markov chain"}
TASK = "next-item recommendation (MovieLens-100k, {users} users, last item, full ranking)"


def _model_cell(name: str, stats: dict) -> str:
    values = ", ".join(
        f"{label} {stats[f'test_{m}_mean']:.4f} +- {stats[f'test_{m}_std']:.4f}"
        for m, label in METRICS.items()
    )
    return f"{MODELS[name]} (hidden {stats['hidden_size']}): {values}"


def _baseline_cell(name: str, stats: dict, window: int | None) -> str:
    label = BASELINES[name] + (f" (last {window})" if window is not None else "")
    return f"{label}: " + ", ".join(f"{m} {stats[f'test_{k}']:.4f}" for k, m in METRICS.items())


def _knn_window(results: dict) -> int:
    best = results["baselines"]["item_knn"]["valid_ndcg10"]
    return next(row["window"] for row in results["knn_grid"] if row["valid_ndcg10"] == best)


def table_row(results: dict) -> str:
    """``| task | command | seeds | recurrent models | baselines | wall |``."""
    seeds = results["config"]["seeds"]
    models = "; ".join(_model_cell(name, stats) for name, stats in results["models"].items())
    window = _knn_window(results)
    baselines = "; ".join(
        _baseline_cell(name, stats, window if name == "item_knn" else None)
        for name, stats in results["baselines"].items()
    )
    task = TASK.format(users=results["data"]["users"])
    command = "`python experiments/recommend.py`"
    wall = f"{results['wall_s'] / 60:.0f} min"
    return f"| {task} | {command} | {','.join(map(str, seeds))} | {models} | {baselines} | {wall} |"


def verdicts(results: dict) -> list[str]:
    """Per metric: does the best recurrent model's mean beat the best baseline?"""
    lines = []
    for metric, label in METRICS.items():
        model = max(results["models"], key=lambda n: results["models"][n][f"test_{metric}_mean"])
        base = max(results["baselines"], key=lambda n: results["baselines"][n][f"test_{metric}"])
        ours = results["models"][model][f"test_{metric}_mean"]
        theirs = results["baselines"][base][f"test_{metric}"]
        verdict = "beats" if ours > theirs else "only ties" if ours == theirs else "does NOT beat"
        lines.append(
            f"- {label}: the best recurrent model, {MODELS[model]} ({ours:.4f}), {verdict} the "
            f"best baseline, {BASELINES[base]} ({theirs:.4f})."
        )
    return lines


def paired_line(results: dict) -> str:
    """The paired bootstrap over test users of the best model vs the best baseline."""
    test = results["paired_bootstrap"]
    parts = []
    for metric in ("ndcg10", "recall20"):
        found = test[metric]
        p = (
            f"p < {1 / found['n_resamples']:.0e}"
            if found["pvalue"] == 0
            else f"p {found['pvalue']:.2g}"
        )
        parts.append(
            f"{METRICS[metric]} {found['mean_difference']:+.4f} "
            f"[{found['low']:+.4f}, {found['high']:+.4f}] ({p})"
        )
    return (
        f"- {MODELS[test['model']]} (per-user metric averaged over seeds) minus "
        f"{BASELINES[test['baseline']]}, paired bootstrap over {results['data']['users']} "
        f"test users: " + "; ".join(parts) + "."
    )


def readme_lines(results: dict) -> list[str]:
    """Everything the page quotes from the results, in the experiments page's order."""
    return [table_row(results), ""] + verdicts(results) + [paired_line(results)]


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m experiments.common.recommend_table RESULTS_JSON")
    print("\n".join(readme_lines(json.loads(pathlib.Path(argv[0]).read_text()))))


if __name__ == "__main__":
    main()
