"""The experiments page's grapheme-to-phoneme lines, generated from a committed ``g2p.json``.

    python -m experiments.common.g2p_table experiments/results/g2p.json

prints the results-table row of ``experiments/g2p.py`` (the BiLSTM + attention
model's test PER and WER with beam search and greedy decoding, ``mean +-
sample std`` over seeds; the nearest-neighbour baseline's) and one sentence
per goal (WER <= 25%, stretch <= 22%) saying whether the beam-search mean
meets it, and by how much it misses; where the results keep which test
words each gets wrong, McNemar's test per seed of beam search against the
baseline; paste them into docs/guides/experiments.md.
``tests/experiments/test_g2p.py`` fails when the page's lines differ from what
the committed results give.
"""

from __future__ import annotations

import json
import pathlib
import sys

from experiments.common.item_scores import unpack
from experiments.common.mcnemar import mcnemar

ALPHA = 0.05
GOALS = (("goal", 0.25), ("stretch goal", 0.22))
DECODERS = {"beam": "beam {k}", "greedy": "greedy"}


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _spread(model: dict, key: str) -> str:
    """``"24.1% +- 0.3%"`` (mean +- sample std over seeds), or the mean alone for one seed."""
    mean, std = model[f"{key}_mean"], model[f"{key}_std"]
    return _pct(mean) if std is None else f"{_pct(mean)} +- {_pct(std)}"


def _model_cell(results: dict) -> str:
    model, cfg = results["model"], results["config"]
    parts = [
        f"{label.format(k=cfg['beam_size'])}: WER {_spread(model, f'{decoder}_test_wer')}, "
        f"PER {_spread(model, f'{decoder}_test_per')}"
        for decoder, label in DECODERS.items()
    ]
    size = f"BiLSTM {cfg['encoder_size']}x2 + attention LSTM {cfg['decoder_size']}"
    return f"{size}, " + "; ".join(parts)


def table_row(results: dict) -> str:
    """``| task | command | seeds | model | baselines | wall |``."""
    data = results["data"]
    seeds = results["config"]["seeds"]
    task = (
        f"grapheme-to-phoneme (CMUdict, {data['words']:,} words, {data['test_words']:,} test "
        "words; test WER / PER, any listed pronunciation counts)"
    )
    base = results["baselines"]["nearest_neighbour"]
    baseline = (
        f"nearest neighbour by spelling: WER {_pct(base['test_wer'])}, PER {_pct(base['test_per'])}"
    )
    wall = f"{results['wall_s'] / 60:.0f} min"
    command = "`python experiments/g2p.py`"
    return (
        f"| {task} | {command} | {','.join(map(str, seeds))} | {_model_cell(results)} "
        f"| {baseline} | {wall} |"
    )


def verdicts(results: dict) -> list[str]:
    """Per goal: does the beam-search mean test WER meet it (or miss, by how many points)?"""
    wer = results["model"]["beam_test_wer_mean"]
    lines = []
    for label, target in GOALS:
        if wer <= target:
            verdict = "meets it"
        else:
            verdict = f"misses it by {100 * (wer - target):.1f} points"
        goal = f"test WER <= {_pct(target)}"
        lines.append(f"- The {label}, {goal}: the beam-search mean {_pct(wer)} {verdict}.")
    return lines


def paired_lines(results: dict) -> list[str]:
    """McNemar's test per seed, beam search against the nearest neighbour, on which
    test words each gets wrong; no line when the results did not keep them."""
    baseline = results["baselines"]["nearest_neighbour"]
    seeds = results["model"]["per_seed"]
    kept = seeds and all("beam_test_words_wrong" in s for s in seeds)
    if not kept or "test_words_wrong" not in baseline:
        return []
    theirs = unpack(baseline["test_words_wrong"]) == 0
    texts, better, worse = [], 0, 0
    for row in seeds:
        test = mcnemar(unpack(row["beam_test_words_wrong"]) == 0, theirs)
        better += test.pvalue < ALPHA and test.b > test.c
        worse += test.pvalue < ALPHA and test.b < test.c
        texts.append(f"seed {row['seed']} {test.b:,}/{test.c:,}, p {test.pvalue:.2g}")
    return [
        f"- Beam search against the nearest neighbour by spelling, McNemar on the "
        f"{len(theirs):,} test words (model right and neighbour wrong / the reverse, p): "
        + "; ".join(texts)
        + f"; the model is right more often with p < {ALPHA:g} in {better} of "
        f"{len(seeds)} seeds, less often in {worse}."
    ]


def readme_lines(results: dict) -> list[str]:
    """Everything the page quotes from the results, in the page's order."""
    return [table_row(results), ""] + verdicts(results) + paired_lines(results)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m experiments.common.g2p_table RESULTS_JSON")
    print("\n".join(readme_lines(json.loads(pathlib.Path(argv[0]).read_text()))))


if __name__ == "__main__":
    main()
