"""The experiments page's moving-digits lines, generated from a committed ``video.json``.

    python -m experiments.common.video_table experiments/results/video.json

prints the results-table row of ``experiments/video.py`` (each model's test
MSE and SSIM averaged over the predicted frames, ``mean +- sample std`` over
the seeds done; each baseline's), the per-frame table (frame ``k`` ahead:
each model's seed mean, each baseline) and one sentence per metric saying
whether the ConvLSTM beats the FC-LSTM and the best baseline, with, where
the results keep each test sequence's scores (``test_<metric>_per_sequence``),
the paired bootstrap over test sequences of the ConvLSTM minus each, per seed
(10,000 resamples, 95% percentile interval); paste them
into docs/guides/experiments.md. ``tests/experiments/common/test_video_table.py``
fails when the experiments page's lines differ from what the committed
results give.
"""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np

from experiments.common.bootstrap import format_pvalue, paired_bootstrap
from experiments.common.item_scores import unpack
from experiments.common.summary import mean_std

METRICS = {"mse": "MSE", "ssim": "SSIM"}
HIGHER_IS_BETTER = {"mse": False, "ssim": True}
MODELS = {"convlstm": "ConvLSTM", "fc_lstm": "FC-LSTM"}
BASELINES = {"copy_last": "copy last frame", "shift": "shift by last motion"}
ALPHA = 0.05


def _seed_rows(results: dict) -> list[dict]:
    return [results["seeds"][s] for s in sorted(results["seeds"], key=int)]


def _mean_std(values) -> str:
    mean, std = mean_std(values)
    return f"{mean:.4f}" if std is None else f"{mean:.4f} +- {std:.4f}"


def _model_label(name: str, results: dict) -> str:
    cfg = results["config"]
    params = _seed_rows(results)[0][name]["params"]
    if name == "convlstm":
        shape = f"{cfg['layers']}x{cfg['filters']} filters, {cfg['kernel']}x{cfg['kernel']}"
        shape += f", {cfg['patch']}x{cfg['patch']} patches"
    else:
        shape = f"{cfg['layers']}x{cfg['fc_hidden']} units"
    return f"{MODELS[name]} ({shape}, {params:,} params)"


def _model_cell(name: str, results: dict) -> str:
    rows = _seed_rows(results)
    values = ", ".join(
        f"{label} {_mean_std([row[name][f'test_{m}'] for row in rows])}"
        for m, label in METRICS.items()
    )
    return f"{_model_label(name, results)}: {values}"


def _baseline_cell(name: str, stats: dict) -> str:
    values = ", ".join(f"{label} {stats[f'test_{m}']:.4f}" for m, label in METRICS.items())
    return f"{BASELINES[name]}: {values}"


def wall_minutes(results: dict) -> float:
    """Minutes of the seeds' runs, summed (both models, evaluation included)."""
    return sum(row["wall_s"] for row in _seed_rows(results)) / 60


def table_row(results: dict) -> str:
    """``| task | command | seeds | recurrent models | baselines | wall |``."""
    cfg = results["config"]
    seeds = ",".join(sorted(results["seeds"], key=int))
    task = (
        f"next-frame prediction (moving scikit-learn digits, {cfg['num_digits']} on "
        f"{cfg['canvas']}x{cfg['canvas']}, {cfg['context']} frames in, {cfg['horizon']} "
        f"predicted; test, averaged over the predicted frames)"
    )
    models = "; ".join(_model_cell(name, results) for name in cfg["models"])
    baselines = "; ".join(
        _baseline_cell(name, stats) for name, stats in results["baselines"].items()
    )
    command = "`python experiments/video.py`"
    wall = f"{wall_minutes(results):.0f} min"
    return f"| {task} | {command} | {seeds} | {models} | {baselines} | {wall} |"


def per_frame_table(results: dict) -> list[str]:
    """``| k | each model's MSE, SSIM (seed mean) | each baseline's |``, one line per frame."""
    names = [MODELS[n] for n in results["config"]["models"]]
    names += [BASELINES[n] for n in results["baselines"]]
    header = "| frame ahead | " + " | ".join(f"{n}: MSE / SSIM" for n in names) + " |"
    lines = [header, "|---" * (len(names) + 1) + "|"]
    rows = _seed_rows(results)
    for k in range(results["config"]["horizon"]):
        cells = []
        for name in results["config"]["models"]:
            cells.append(
                " / ".join(
                    f"{np.mean([row[name][f'test_{m}_per_frame'][k] for row in rows]):.4f}"
                    for m in METRICS
                )
            )
        for stats in results["baselines"].values():
            cells.append(" / ".join(f"{stats[f'test_{m}_per_frame'][k]:.4f}" for m in METRICS))
        lines.append(f"| {k + 1} | " + " | ".join(cells) + " |")
    return lines


def verdicts(results: dict) -> list[str]:
    """Per metric: does the ConvLSTM's seed mean beat the FC-LSTM's and the best baseline?"""
    rows = _seed_rows(results)
    lines = []
    for metric, label in METRICS.items():
        sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
        ours = np.mean([row["convlstm"][f"test_{metric}"] for row in rows])
        rivals = {"fc_lstm": np.mean([row["fc_lstm"][f"test_{metric}"] for row in rows])}
        scores = {n: stats[f"test_{metric}"] for n, stats in results["baselines"].items()}
        best = max(scores, key=lambda n: sign * scores[n])
        rivals[best] = scores[best]
        parts = []
        for name, theirs in rivals.items():
            verdict = "beats" if sign * ours > sign * theirs else "does NOT beat"
            verdict = "ties" if ours == theirs else verdict
            what = MODELS.get(name) or f"the best baseline, {BASELINES[name]}"
            their_rows = [row.get(name) or results["baselines"][name] for row in rows]
            tested = paired(metric, [row["convlstm"] for row in rows], their_rows)
            parts.append(f"{verdict} {what} ({theirs:.4f}{tested})")
        better = "higher" if HIGHER_IS_BETTER[metric] else "lower"
        lines.append(
            f"- Test {label} ({better} is better): the ConvLSTM ({ours:.4f}, seed mean) "
            + " and ".join(parts)
            + "."
        )
    return lines


def paired(metric: str, ours: list[dict], theirs: list[dict]) -> str:
    """``"; paired bootstrap over 1000 test sequences, ConvLSTM minus it, per seed:
    -0.0113 [-0.0121, -0.0105] (p < 1e-04), ...; better with p < 0.05 in 3 of 3
    seeds, worse in 0"`` from each seed's rows ``ours``, ``theirs``; ``""`` when
    some row lacks the per-sequence scores."""
    key = f"test_{metric}_per_sequence"
    if not all(key in row for row in ours + theirs):
        return ""
    sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
    texts, better, worse = [], 0, 0
    for a, b in zip(ours, theirs):
        test = paired_bootstrap(unpack(a[key]), unpack(b[key]))
        significant = test.pvalue < ALPHA
        better += significant and sign * test.mean_difference > 0
        worse += significant and sign * test.mean_difference < 0
        texts.append(
            f"{test.mean_difference:+.4f} [{test.low:+.4f}, {test.high:+.4f}] "
            f"({format_pvalue(test._asdict())})"
        )
    return (
        f"; paired bootstrap over {len(unpack(ours[0][key]))} test sequences, ConvLSTM minus it, "
        f"per seed: {', '.join(texts)}; better with p < {ALPHA:g} in {better} of "
        f"{len(ours)} seeds, worse in {worse}"
    )


def readme_lines(results: dict) -> list[str]:
    """Everything the page quotes from the results, in the experiments page's order."""
    return [table_row(results), ""] + per_frame_table(results) + [""] + verdicts(results)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m experiments.common.video_table RESULTS_JSON")
    print("\n".join(readme_lines(json.loads(pathlib.Path(argv[0]).read_text()))))


if __name__ == "__main__":
    main()
