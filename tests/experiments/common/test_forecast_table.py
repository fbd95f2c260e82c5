import json
import pathlib

import pytest

from experiments.common.forecast_table import readme_lines, rows, verdict_lines

ROOT = pathlib.Path(__file__).resolve().parents[3]
RESULTS = ROOT / "experiments" / "results" / "forecast_benchmark.json"
METHODS = ("lstm", "seasonal_naive", "ets", "theta", "sarima")


def stats(owa):
    return {"owa": owa, "rel_mase": owa, "rel_smape": owa, "geo_rel_mase": owa}


def fake_results(lstm_owa=0.9, high=0.1):
    agg = {m: stats(v) for m, v in zip(METHODS, (lstm_owa, 1.0, 0.8, 0.85, 0.95))}
    spread = {"owa_mean": lstm_owa, "owa_std": 0.01}
    test = {"mean_difference": 0.05, "low": -0.02, "high": high, "pvalue": 0.3}
    test |= {"n_resamples": 1000, "lstm_wins": 1, "n_series": 2}
    air = {m: {"mape": v} for m, v in zip(METHODS[1:], (9.0, 5.0, 6.0, 3.0))}
    air |= {"airline_model": {"mape": 2.9}}
    air["lstm"] = {"mape_mean": 7.0, "mape_std": 1.0, "mape_per_seed": [6.0, 8.0]}
    return {
        "config": {"seeds": [0, 1], "n_test": 5},
        "selection": {
            "monthly": {
                "horizon": 12,
                "context": 12,
                "chosen": "direct-h8-c1x",
                "validation_mase": {"direct-h8-c1x": 1.2, "recursive-h8-c1x": 1.5},
            }
        },
        "aggregate": {
            "all": agg | {"n_series": 2, "lstm_seed_spread": spread},
            "monthly": agg | {"n_series": 2},
        },
        "strongest_baseline": "ets",
        "paired": {"baseline": "ets", "mase": test, "smape": test},
        "airline_1960": air,
        "wall_s": 1200.0,
    }


def test_rows_hold_the_owa_of_every_method_and_the_airline_mape():
    bench, airline = rows(fake_results())
    assert bench.startswith(
        "| forecast, rolling origin (2 series: 2 monthly h=12; 5 test origins each) | "
        "`python experiments/forecast_benchmark.py --seeds 0 1` | 0,1 | "
        "OWA over seeds **0.900 +- 0.010**"
    )
    assert "ETS: OWA 0.800 (rel. MASE 0.800" in bench and bench.endswith("| 20 min |")
    assert "MAPE **7.00% +- 1.00**" in airline
    assert "airline model SARIMA(0,1,1)(0,1,1)12 on logs: MAPE 2.90%" in airline


@pytest.mark.parametrize(
    ("lstm_owa", "high", "verdict"),
    [(0.9, 0.1, "does NOT beat"), (0.7, 0.1, "is not distinguishable from"), (0.7, -0.01, "beats")],
)
def test_verdict_needs_a_lower_owa_and_an_interval_below_zero(lstm_owa, high, verdict):
    lines = verdict_lines(fake_results(lstm_owa, high))
    assert lines[0].startswith("- monthly: validation MASE per configuration")
    assert lines[1].startswith("- OWA, all (2 series): LSTM")
    assert lines[2].startswith("- OWA, monthly (2 series): LSTM")
    assert f"the LSTM (OWA {lstm_owa:.3f}) {verdict} the strongest baseline, ETS" in lines[3]
    assert "LSTM lower on 1 of 2 series" in lines[3]
    assert lines[4].endswith("lowest baseline: airline model SARIMA(0,1,1)(0,1,1)12 on logs 2.90%.")


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed forecasting benchmark results")
def test_the_experiments_page_holds_the_lines_the_committed_results_give():
    results = json.loads(RESULTS.read_text())
    readme = (ROOT / "docs/guides/experiments.md").read_text().splitlines()
    for line in readme_lines(results):
        assert not line or line in readme
