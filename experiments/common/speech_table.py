"""The experiments page's speech-recognition lines, generated from a committed ``speech.json``.

    python -m experiments.common.speech_table experiments/results/speech.json

prints the results-table row of ``experiments/speech.py`` (the BiLSTM-CTC
model's test CER and WER with prefix beam search and greedy decoding, ``mean
+- sample std`` over seeds; the unidirectional LSTM and the context MLP of the
same run as baselines) and one sentence per baseline saying by how much the
BiLSTM's mean beam-search test CER beats it, or not, with the paired
bootstrap over test utterances in each seed whose results keep every
utterance's edits (``beam_test_char_edits``): the difference in beam-search
CER, BiLSTM minus baseline, is ``sum_b (e_b - e'_b) / sum_b len(ref_b)``,
resampled over utterances (10,000 resamples, 95% percentile interval); paste them into
docs/guides/experiments.md. ``tests/experiments/test_speech.py`` fails when the
page's lines differ from what the committed results give.
"""

from __future__ import annotations

import json
import pathlib
import sys

from experiments.common.bootstrap import format_pvalue, paired_bootstrap
from experiments.common.item_scores import unpack
from experiments.common.summary import mean_std

DECODERS = {"beam": "beam {k}", "greedy": "greedy"}
BASELINES = ("lstm", "mlp")
ALPHA = 0.05


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
            f"{model_label(results, name).split(',')[0]}'s {_pct(other)}{paired(results, name)}."
        )
    return lines


def paired(results: dict, name: str) -> str:
    """``"; paired bootstrap over the 300 test utterances, BiLSTM minus it, per seed:
    seed 0 -8.2 points [-10.1, -6.4] (p < 1e-04); ...; the BiLSTM lower with p < 0.05
    in 3 of 3 seeds, higher in 0"``; ``""`` when no seed kept the utterances' edits."""
    seeds = [
        s
        for s, rows in results["seeds"].items()
        if all("beam_test_char_edits" in rows[m] for m in ("bilstm", name))
    ]
    if not seeds:
        return ""
    texts, lower, higher = [], 0, 0
    for s in seeds:
        ours, theirs = (results["seeds"][s][m] for m in ("bilstm", name))
        a, b = unpack(ours["beam_test_char_edits"]), unpack(theirs["beam_test_char_edits"])
        scale = len(a) / ours["test_ref_chars"]
        test = paired_bootstrap(scale * a, scale * b)
        significant = test.pvalue < ALPHA
        lower += significant and test.mean_difference < 0
        higher += significant and test.mean_difference > 0
        texts.append(
            f"seed {s} {100 * test.mean_difference:+.1f} points [{100 * test.low:+.1f}, "
            f"{100 * test.high:+.1f}] ({format_pvalue(test._asdict())})"
        )
    n = len(a)
    return (
        f"; paired bootstrap over the {n} test utterances, BiLSTM minus it, per seed: "
        + "; ".join(texts)
        + f"; the BiLSTM lower with p < {ALPHA:g} in {lower} of {len(seeds)} seeds, "
        f"higher in {higher}"
    )


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
