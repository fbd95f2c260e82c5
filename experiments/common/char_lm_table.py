"""The experiments page's character-LM lines, generated from a committed ``char_lm.json``.

    python -m experiments.common.char_lm_table experiments/results/char_lm.json

prints the results-table row of ``experiments/char_lm.py`` (the LSTM's test
bits per character, static and with dynamic evaluation, ``mean +- sample
std`` over the seeds done; every same-data baseline's) and the verdicts: the
paired bootstrap over test blocks of each LSTM variant (per-block bits
averaged over seeds) against the strongest block-scored baseline, and
whether it meets the goal of beating the best baseline by ``GOAL_MARGIN``
bits per char at ``p < GOAL_P``; and the same test of static scoring against
the strongest n-gram, the baselines that, like static scoring, do not adapt
to the test text as they read it (PPMd and the compressors do, as dynamic
evaluation does). Paste them into
docs/guides/experiments.md; ``tests/experiments/common/test_char_lm_table.py``
fails when the page differs from what the committed results give.
"""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np

from experiments.common.bootstrap import format_pvalue, paired_bootstrap
from experiments.common.summary import format_mean_std
from experiments.common.text_baselines import block_bounds

GOAL_MARGIN = 0.1
GOAL_P = 0.01
LABELS = {
    "ppmd": "PPMd var. I",
    "kneser-ney": "Kneser-Ney",
    "witten-bell": "Witten-Bell",
    "xz -9e": "`xz -9e`",
    "xz -9": "`xz -9`",
    "bzip2 -9": "`bzip2 -9`",
}


def _label(name: str, stats: dict) -> str:
    """``Kneser-Ney 7-gram``, ``PPMd var. I, order 8``, ```xz -9e```."""
    if name in ("kneser-ney", "witten-bell"):
        return f"{LABELS[name]} {stats['order']}-gram"
    if "order" in stats:
        return f"{LABELS[name]}, order {stats['order']}"
    return LABELS[name]


VARIANTS = {"static": "static", "dynamic": "dynamic evaluation"}
# Counted on the training block and then fixed: the fair peers of static scoring.
NON_ADAPTIVE = ("kneser-ney", "witten-bell")


def _variant(seed: dict, variant: str) -> dict:
    """A seed's scores of one variant: ``test_bpc`` and ``test_block_bits``."""
    return seed if variant == "static" else seed[variant]


def seed_bpcs(results: dict, variant: str = "static") -> list[float]:
    seeds = sorted(results["seeds"], key=int)
    return [_variant(results["seeds"][s], variant)["test_bpc"] for s in seeds]


def table_row(results: dict) -> str:
    """``| task | command | seeds | LSTM | baselines | wall |``."""
    cfg, seeds = results["config"], sorted(results["seeds"], key=int)
    model = (
        f"{cfg['num_layers']}x{cfg['hidden_size']} LSTM, {cfg['num_steps']} steps, "
        f"{cfg['schedule']} lr {cfg['learning_rate']:g}"
    )
    baselines = sorted(results["baselines"].items(), key=lambda kv: kv[1]["test_bpc"])
    cells = "; ".join(f"{_label(n, s)} {s['test_bpc']:.3f}" for n, s in baselines)
    wall = np.mean([results["seeds"][s]["train_wall_s"] for s in seeds]) / 60
    return (
        f"| character LM (KJV Bible, Debian `bible-kjv`; test = last 5%, bits/char) "
        f"| `python experiments/char_lm.py --num_steps {cfg['num_steps']} --schedule "
        f"{cfg['schedule']} --learning_rate {cfg['learning_rate']:g} --seed N` "
        f"| {','.join(seeds)} | static **{format_mean_std(seed_bpcs(results))}**; "
        f"dynamic evaluation **{format_mean_std(seed_bpcs(results, 'dynamic'))}** ({model}) "
        f"| same data: {cells} | {wall:.0f} min per seed |"
    )


def paired_test(
    results: dict, variant: str = "static", among: tuple | None = None
) -> tuple[str, dict]:
    """The strongest block-scored baseline (of ``among``, default all) and the
    paired bootstrap over test blocks of the LSTM's (``variant``'s) seed-mean
    per-block bits per char minus its."""
    blocks = block_bounds(results["split"]["chars"]["test"])
    lengths = np.array([b - a for a, b in blocks], dtype=np.float64)
    scored = {
        n: s
        for n, s in results["baselines"].items()
        if "test_block_bits" in s and (among is None or n in among)
    }
    best = min(scored, key=lambda n: scored[n]["test_bpc"])
    seeds = results["seeds"].values()
    ours = np.mean([_variant(s, variant)["test_block_bits"] for s in seeds], axis=0)
    test = paired_bootstrap(ours / lengths, np.asarray(scored[best]["test_block_bits"]) / lengths)
    return best, test._asdict() | {"blocks": len(blocks)}


def _difference(test: dict) -> str:
    """``+0.201 bits/char [+0.183, +0.218] (p < 1e-04)``."""
    return (
        f"{test['mean_difference']:+.3f} bits/char [{test['low']:+.3f}, {test['high']:+.3f}] "
        f"({format_pvalue(test)})"
    )


def verdict(results: dict, variant: str = "static") -> str:
    """One sentence: the paired test of ``variant`` and whether the goal is met."""
    best, test = paired_test(results, variant)
    overall = min(results["baselines"], key=lambda n: results["baselines"][n]["test_bpc"])
    margin = -test["mean_difference"]
    met = margin >= GOAL_MARGIN and test["pvalue"] < GOAL_P and overall == best
    n = len(results["seeds"])
    return (
        f"- LSTM, {VARIANTS[variant]} ({n} seed{'s' * (n > 1)}, per-block bits averaged "
        "over seeds) minus "
        f"{_label(best, results['baselines'][best])}, the strongest same-data baseline, "
        f"paired bootstrap over {test['blocks']} test blocks: {_difference(test)}. "
        + (
            f"The goal (beat it by >= {GOAL_MARGIN} bits/char, p < {GOAL_P}) is met."
            if met
            else f"The goal (beat it by >= {GOAL_MARGIN} bits/char, p < {GOAL_P}) is NOT met"
            + (
                f": the LSTM is {margin:.3f} bits/char better."
                if margin > 0
                else f": the LSTM is {-margin:.3f} bits/char worse."
            )
        )
    )


def static_against_ngram(results: dict) -> str:
    """One sentence: static scoring against the strongest non-adaptive baseline."""
    best, test = paired_test(results, "static", among=NON_ADAPTIVE)
    return (
        f"- LSTM, static minus {_label(best, results['baselines'][best])}, the strongest "
        "baseline that, like static scoring, does not adapt to the test text, same "
        f"paired bootstrap: {_difference(test)}."
    )


def readme_lines(results: dict) -> list[str]:
    """Everything the page quotes from the results, in the experiments page's order."""
    return (
        [table_row(results), ""]
        + [verdict(results, v) for v in VARIANTS]
        + [static_against_ngram(results)]
    )


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m experiments.common.char_lm_table RESULTS_JSON")
    print("\n".join(readme_lines(json.loads(pathlib.Path(argv[0]).read_text()))))


if __name__ == "__main__":
    main()
