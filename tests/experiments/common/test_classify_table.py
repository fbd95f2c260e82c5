import json
import pathlib

import pytest

from experiments.common.classify_table import (
    readme_lines,
    row,
    summary_row,
    tables,
    verdicts,
)

ROOT = pathlib.Path(__file__).resolve().parents[3]
RESULTS = ROOT / "experiments" / "results" / "classify.json"


def dataset(kind, std, minirocket_tests, dtw_tests):
    return {
        "kind": kind,
        "num_classes": 4,
        "num_train": 40,
        "num_test": 40,
        "num_channels": 6,
        "max_length": 100,
        "grid": [{}, {}],
        "chosen": {"hidden_size": 32, "learning_rate": 0.01},
        "test_accuracy_mean": 0.9,
        "test_accuracy_std": std,
        "minirocket": {"test_accuracy": 1.0},
        "dtw_1nn": {"test_accuracy": 0.85},
        "mcnemar": {"minirocket": minirocket_tests, "dtw_1nn": dtw_tests},
        "wall_s": 90.0,
    }


def fake_results():
    loses = [{"b": 0, "c": 4, "pvalue": 0.125}, {"b": 0, "c": 8, "pvalue": 0.0078}]
    wins = [{"b": 9, "c": 0, "pvalue": 0.0039}, {"b": 3, "c": 1, "pvalue": 0.62}]
    return {
        "config": {"seeds": [0, 1]},
        "wall_s": 600.0,
        "datasets": {
            "BasicMotions": dataset("multivariate", 0.02, loses, wins),
            "GunPoint": dataset("univariate", None, loses[:1], wins[:1]),
        },
    }


def test_row_shows_the_choice_the_spread_and_pvalues_per_seed():
    assert row("BasicMotions", fake_results()["datasets"]["BasicMotions"]) == (
        "| BasicMotions (4, 40/40, 6 x 100) | 32, 0.01 (of 2) | **0.900 +- 0.020** | 1.000 "
        "| 0.850 | 0.12, 0.0078 | 0.0039, 0.62 | 1.5 min |"
    )
    assert "| **0.900** |" in row("GunPoint", fake_results()["datasets"]["GunPoint"])


def test_summary_row_lists_each_set_for_each_model():
    assert summary_row(fake_results()) == (
        "| classification, test accuracy (BasicMotions, GunPoint; tables below) | "
        "`python experiments/classify.py --seeds 0 1` | 0,1 | "
        "BiLSTM BasicMotions **0.900**; GunPoint **0.900** | "
        "MiniRocket: 1.000, 1.000; 1-NN DTW: 0.850, 0.850 | 10 min |"
    )


def test_tables_split_multivariate_from_univariate():
    lines = tables(fake_results())
    assert lines[0] == "Multivariate sets:" and "Univariate sets:" in lines
    assert sum(line.startswith("| BasicMotions") for line in lines) == 1


def test_verdicts_count_significant_wins_and_losses():
    minirocket, dtw = verdicts(fake_results())[:2]
    assert minirocket == (
        "- BasicMotions: the LSTM does NOT beat MiniRocket with McNemar p < 0.05 "
        "(0 of 2 seeds; MiniRocket is significantly better in 1)."
    )
    assert dtw.startswith("- BasicMotions: the LSTM beats 1-NN DTW") and "(1 of 2 seeds;" in dtw


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed classification results")
def test_the_experiments_page_holds_the_lines_the_committed_results_give():
    results = json.loads(RESULTS.read_text())
    readme = (ROOT / "docs/guides/experiments.md").read_text().splitlines()
    for line in readme_lines(results):
        assert not line or line in readme
