"""The experiments page's speech-recognition lines, generated from a committed ``speech.json``.

    python -m experiments.common.speech_table experiments/results/speech.json

prints the results-table row of ``experiments/speech.py`` (the BiLSTM-CTC
model's test CER and WER with prefix beam search and greedy decoding, ``mean
+- sample std`` over seeds; the unidirectional LSTM and the context MLP of the
same run as baselines) and one sentence per baseline saying by how much the
BiLSTM's mean beam-search test CER beats it, or not; paste them into
docs/guides/experiments.md. ``tests/experiments/test_speech.py`` fails when the
page's lines differ from what the committed results give.
"""

from __future__ import annotations

import json
import pathlib
import sys

from experiments.common.summary import mean_std

DECODERS = {"beam": "beam {k}", "greedy": "greedy"}
BASELINES = ("lstm", "mlp")


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _spread(results: dict, name: str, key: str) -> str:
    """``"24.1% +- 0.3%"`` (mean +- sample std over seeds), or the mean alone for one seed."""
    mean, std = mean_std([seed[name][key] for seed in results["seeds"].values()])
    return _pct(mean) if std is None else f"{_pct(mean)} +- {_pct(std)}"


def model_label(results: dict, name: str) -> str:
    """``"BiLSTM 128x2 (219,164 params)"`` and alike."""
    cfg, params = results["config"], results["models"][name]["params"]
    label = {
        "bilstm": f"BiLSTM {cfg['bilstm_size']}x2",
        "lstm": f"LSTM {cfg['lstm_size']}",
        "mlp": f"context MLP 2x{cfg['mlp_size']} (+-{cfg['mlp_context']} steps)",
    }[name]
    return f"{label}, {params:,} params"


def model_cell(results: dict, name: str) -> str:
    """The model's label, then test CER and WER per decoder."""
    k = results["config"]["beam_size"]
    parts = [
        f"{label.format(k=k)}: CER {_spread(results, name, f'{decoder}_test_cer')}, "
        f"WER {_spread(results, name, f'{decoder}_test_wer')}"
        for decoder, label in DECODERS.items()
    ]
    return f"{model_label(results, name)}; " + "; ".join(parts)


def wall_minutes(results: dict) -> float:
    """Synthesis plus every seed's training and evaluation, in minutes."""
    seconds = results["data"]["synth_s"] + sum(
        row["wall_s"] for seed in results["seeds"].values() for row in seed.values()
    )
    return seconds / 60


def table_row(results: dict) -> str:
    """``| task | command | seeds | model | baselines | wall |``."""
    data = results["data"]
    sizes = "/".join(f"{data[s]['utterances']:,}" for s in ("train", "valid", "test"))
    task = (
        "speech recognition, CTC over characters (espeak-ng digit strings and command words "
        f"in white noise, {sizes} train/valid/test utterances; test voices and variants "
        "unseen in training; test CER / WER)"
    )
    seeds = ",".join(results["seeds"])
    baselines = "; ".join(model_cell(results, name) for name in BASELINES)
    command = "`python experiments/speech.py --resume`"
    return (
        f"| {task} | {command} | {seeds} | {model_cell(results, 'bilstm')} | {baselines} "
        f"| {wall_minutes(results):.0f} min |"
    )


def verdicts(results: dict) -> list[str]:
    """Per baseline: the BiLSTM's mean beam-search test CER against the baseline's."""
    k = results["config"]["beam_size"]

    def mean(name):
        return mean_std([seed[name]["beam_test_cer"] for seed in results["seeds"].values()])[0]

    bilstm = mean("bilstm")
    lines = []
    for name in BASELINES:
        other = mean(name)
        gap = f"{100 * abs(other - bilstm):.1f} points"
        if bilstm < other:
            verdict = f"{gap} lower than"
        elif bilstm > other:
            verdict = f"{gap} higher than"
        else:
            verdict = "equal to"
        lines.append(
            f"- Test CER with beam {k}: the BiLSTM's {_pct(bilstm)} is {verdict} the "
            f"{model_label(results, name).split(',')[0]}'s {_pct(other)}."
        )
    return lines


def readme_lines(results: dict) -> list[str]:
    """Everything the page quotes from the results, in the page's order."""
    return [table_row(results), ""] + verdicts(results)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m experiments.common.speech_table RESULTS_JSON")
    print("\n".join(readme_lines(json.loads(pathlib.Path(argv[0]).read_text()))))


if __name__ == "__main__":
    main()
