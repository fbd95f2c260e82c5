import json
import pathlib

import numpy as np
import pytest

from experiments.common.char_lm_table import (
    NON_ADAPTIVE,
    paired_test,
    readme_lines,
    static_against_ngram,
    table_row,
    verdict,
)
from experiments.common.text_baselines import block_bounds

ROOT = pathlib.Path(__file__).resolve().parents[3]
RESULTS = ROOT / "experiments" / "results" / "char_lm.json"

CHARS = 9000  # 5 blocks: 4 of 2000 characters and one of 1000


def fake_results(lstm_bpc=(1.5, 1.6), ppmd_bpc=1.62):
    lengths = np.array([b - a for a, b in block_bounds(CHARS)], dtype=float)
    noise = np.array([0.05, -0.05, 0.02, -0.02, 0.0])

    def blocks(bpc):
        return ((bpc + noise) * lengths).tolist()

    seeds = {
        str(i): {
            "test_bpc": b + 0.05,
            "test_block_bits": blocks(b + 0.05),
            "dynamic": {"test_bpc": b, "test_block_bits": blocks(b)},
            "train_wall_s": 3000.0,
        }
        for i, b in enumerate(lstm_bpc)
    }
    return {
        "config": {
            "num_layers": 2, "hidden_size": 256, "num_steps": 6000,
            "schedule": "cosine", "learning_rate": 3e-3,
        },
        "split": {"text": "kjv", "chars": {"train": 90000, "valid": 5000, "test": CHARS}},
        "seeds": seeds,
        "baselines": {
            "ppmd": {"order": 8, "test_bpc": ppmd_bpc, "test_block_bits": blocks(ppmd_bpc)},
            "kneser-ney": {"order": 7, "test_bpc": 1.83, "test_block_bits": blocks(1.83)},
            "xz -9e": {"test_bpc": 1.97},
        },
    }  # fmt: skip


def test_row_names_the_seeds_and_every_baseline_best_first():
    row = table_row(fake_results())
    assert (
        "| 0,1 | static **1.600 ± 0.071 (n=2)**; dynamic evaluation **1.550 ± 0.071 (n=2)** ("
        in row
    )
    assert "(2x256 LSTM, 6000 steps, cosine lr 0.003)" in row
    assert "same data: PPMd var. I, order 8 1.620; Kneser-Ney 7-gram 1.830; `xz -9e` 1.970 |" in row
    assert row.endswith("| 50 min per seed |")


def test_the_paired_test_uses_the_seed_mean_against_the_strongest_block_scored_baseline():
    best, test = paired_test(fake_results(), "dynamic")
    assert best == "ppmd" and test["blocks"] == 5
    # every block differs by the same 0.07 bits per char (the noise is shared)
    assert test["mean_difference"] == pytest.approx(-0.07)
    assert test["low"] == pytest.approx(-0.07) and test["high"] == pytest.approx(-0.07)


def test_the_verdict_says_plainly_whether_the_goal_is_met():
    missed = verdict(fake_results(), "dynamic")
    assert (
        missed.startswith("- LSTM, dynamic evaluation (2 seeds,") and "-0.070 bits/char" in missed
    )
    assert missed.endswith("is NOT met: the LSTM is 0.070 bits/char better.")
    worse = verdict(fake_results(lstm_bpc=(1.7,)), "static")
    assert worse.startswith("- LSTM, static (1 seed,") and worse.endswith("0.130 bits/char worse.")
    met = verdict(fake_results(lstm_bpc=(1.4, 1.45)), "dynamic")
    assert met.endswith("p < 0.01) is met.")


def test_the_experiments_page_holds_the_lines_the_committed_results_give():
    page = (ROOT / "docs/guides/experiments.md").read_text().splitlines()
    for line in readme_lines(json.loads(RESULTS.read_text())):
        assert not line or line in page


def test_static_scoring_is_also_tested_against_the_strongest_ngram():
    results = fake_results()
    best, test = paired_test(results, "static", among=NON_ADAPTIVE)
    # static scoring: seeds 1.55 and 1.65 bits per char, mean 1.6; the 7-gram 1.83
    assert best == "kneser-ney" and test["mean_difference"] == pytest.approx(-0.23)
    line = static_against_ngram(results)
    assert line.startswith("- LSTM, static minus Kneser-Ney 7-gram, the strongest baseline")
    assert line.endswith("-0.230 bits/char [-0.230, -0.230] (p < 1e-04).")
