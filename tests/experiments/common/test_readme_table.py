import json
import pathlib

import pytest

from experiments.common.readme_table import (
    anomaly_rows,
    kind_lines,
    paired_lines,
    readme_lines,
    verdicts,
)

ROOT = pathlib.Path(__file__).resolve().parents[3]
RESULTS = ROOT / "experiments" / "results" / "anomaly.json"


def stats(f1, auc, ucr, std=None, ci=None):
    out = {}
    for metric, value in (("f1", f1), ("roc_auc", auc), ("ucr", ucr)):
        out |= {f"{metric}_mean": value, f"{metric}_std": std, f"{metric}_ci95": ci}
    return out


def fake_results():
    one = {
        "series": ["s"],
        "lstm": stats(0.4, 0.99, 2 / 3),
        "abs_diff2": stats(0.5, 0.9, 1.0),
    }
    seed_spread = stats(0.4, 0.99, 2 / 3, std=0.05, ci=[0.3, 0.5])
    many = {
        "series": ["a", "b"],
        "lstm": stats(0.3, 0.8, 0.5, std=0.1, ci=[0.1, 0.5]),
        "abs_diff2": stats(0.2, 0.7, 0.5, std=0.2, ci=[0.0, 0.4]),
    }
    paired = {"mean_difference": 0.1, "low": -0.05, "high": 0.25, "pvalue": 0.2}
    zero = paired | {"pvalue": 0.0, "n_resamples": 10_000}
    return {
        "config": {"seeds": [0, 1, 2]},
        "groups": {"real": one, "injected": many},
        "series": [{"name": "s", "detectors": {"lstm": seed_spread}}],
        "injected_by_kind": {"spike": {"lstm": stats(0.3, 0.8, 0.5) | {"n_series": 2}}},
        "paired_injected": {
            "abs_diff2": {
                "f1": paired,
                "roc_auc": zero,
                "ucr_mcnemar": [{"pvalue": 1.0}, {"pvalue": 0.5}],
            }
        },
        "wall_s": 600.0,
    }


def test_rows_show_seed_spread_for_one_series_and_intervals_for_many():
    real, injected = anomaly_rows(fake_results())
    assert real == (
        "| anomaly detection (KDD-TSAD 135, real label, 1 event) | "
        "`python experiments/anomaly.py --seeds 0 1 2` | 0,1,2 | "
        "F1 **0.400 +- 0.050**, ROC-AUC 0.990 +- 0.050, UCR 2/3 | "
        "abs. 2nd difference: F1 0.500, ROC-AUC 0.900, UCR 1/1 | 10 min |"
    )
    assert "2 injected events" in injected and injected.endswith("| same run |")
    assert "F1 **0.300 +- 0.100 [0.100, 0.500]**" in injected
    assert "UCR 1/2" in injected


def test_verdicts_name_the_best_trivial_detector():
    real_f1, real_ucr, injected_f1, injected_ucr = verdicts(fake_results())
    assert real_ucr == (
        "- UCR score, real: the LSTM (0.667) does NOT beat the best trivial detector, "
        "abs. 2nd difference (1.000)."
    )
    assert "does NOT beat" in real_f1 and "beats" in injected_f1 and "only ties" in injected_ucr


def test_kind_and_paired_lines():
    assert kind_lines(fake_results()) == [
        "- spike (2 series), F1 / ROC-AUC / UCR: LSTM 0.30 / 0.80 / 0.50."
    ]
    (line,) = paired_lines(fake_results())
    assert line.startswith("- LSTM minus abs. 2nd difference: F1 +0.100 [-0.050, +0.250] (p 0.2)")
    assert "(p < 1e-04)" in line and line.endswith("p per seed: 1, 0.5.")


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed anomaly results")
def test_experiments_page_holds_the_lines_the_committed_results_give():
    results = json.loads(RESULTS.read_text())
    page = (ROOT / "docs/guides/experiments.md").read_text().splitlines()
    for line in readme_lines(results):
        assert not line or line in page
