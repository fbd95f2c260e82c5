"""The experiments page's forecasting rows and verdicts, from a committed ``results.json``.

    python -m experiments.common.forecast_table experiments/results/forecast_benchmark.json

prints the experiments page's two forecasting rows (the rolling-origin benchmark, the
airline 1960 holdout) and the lines under them: the hyper-parameter choice per
frequency, OWA per frequency, and whether the LSTM beats the strongest
baseline under the paired bootstrap. ``tests/experiments/common/
test_forecast_table.py`` fails when the experiments page's lines differ from what the
committed results give.

Verdict: the LSTM "beats" the strongest baseline when its OWA is lower and the
bootstrap interval of its mean MASE difference lies below 0; "is not
distinguishable from" it when the OWA is lower but the interval holds 0;
otherwise it "does NOT beat" it.
"""

from __future__ import annotations

import json
import pathlib
import sys

from experiments.common.bootstrap import format_pvalue

LABELS = {
    "lstm": "LSTM",
    "seasonal_naive": "seasonal naive",
    "ets": "ETS",
    "theta": "Theta",
    "sarima": "(S)ARIMA",
    "airline_model": "airline model SARIMA(0,1,1)(0,1,1)12 on logs",
}
BASELINES = ("seasonal_naive", "ets", "theta", "sarima")


def _command(results: dict) -> str:
    seeds = " ".join(map(str, results["config"]["seeds"]))
    return f"`python experiments/forecast_benchmark.py --seeds {seeds}`"


def _owa(stats: dict) -> str:
    return (
        f"OWA {stats['owa']:.3f} (rel. MASE {stats['rel_mase']:.3f}, "
        f"rel. sMAPE {stats['rel_smape']:.3f}, geo. rel. MASE {stats['geo_rel_mase']:.3f})"
    )


def rows(results: dict) -> list[str]:
    """Table rows ``| task | command | seeds | LSTM | baselines | wall |``."""
    agg = results["aggregate"]["all"]
    n_by = {f: results["aggregate"][f]["n_series"] for f in results["selection"]}
    seeds = ",".join(map(str, results["config"]["seeds"]))
    spread = agg["lstm_seed_spread"]
    std = spread["owa_std"]
    lstm_owa = f"{spread['owa_mean']:.3f}" + ("" if std is None else f" +- {std:.3f}")
    lstm = f"OWA over seeds **{lstm_owa}**; seed-mean errors: {_owa(agg['lstm'])}"
    baselines = "; ".join(f"{LABELS[b]}: {_owa(agg[b])}" for b in BASELINES)
    horizons = ", ".join(f"{n_by[f]} {f} h={s['horizon']}" for f, s in results["selection"].items())
    n_test = results["config"]["n_test"]
    task = (
        f"forecast, rolling origin ({agg['n_series']} series: {horizons}; "
        f"{n_test} test origins each)"
    )
    wall = f"{results['wall_s'] / 60:.0f} min"
    first = f"| {task} | {_command(results)} | {seeds} | {lstm} | {baselines} | {wall} |"
    air = results["airline_1960"]
    mean, std = air["lstm"]["mape_mean"], air["lstm"]["mape_std"]
    lstm_air = f"MAPE **{mean:.2f}%" + ("**" if std is None else f" +- {std:.2f}**")
    others = "; ".join(
        f"{LABELS[b]}: MAPE {air[b]['mape']:.2f}%" for b in BASELINES + ("airline_model",)
    )
    task = "forecast, airline 1960 holdout (AirPassengers, history to Dec 1959, h=12)"
    second = f"| {task} | {_command(results)} | {seeds} | {lstm_air} | {others} | same run |"
    return [first, second]


def _verdict(owa_lstm: float, owa_base: float, mase_test: dict) -> str:
    if owa_lstm < owa_base and mase_test["high"] < 0:
        return "beats"
    if owa_lstm < owa_base:
        return "is not distinguishable from"
    return "does NOT beat"


def _difference(name: str, test: dict) -> str:
    return (
        f"{name} {test['mean_difference']:+.3f} [{test['low']:+.3f}, {test['high']:+.3f}] "
        f"({format_pvalue(test)}; LSTM lower on {test['lstm_wins']} of {test['n_series']} series)"
    )


def verdict_lines(results: dict) -> list[str]:
    """The choice per frequency, OWA per frequency, and the paired verdict."""
    lines = []
    for frequency, sel in results["selection"].items():
        scores = ", ".join(f"{k} {v:.3f}" for k, v in sel["validation_mase"].items())
        lines.append(
            f"- {frequency}: validation MASE per configuration (mode-hidden-context in "
            f"horizons) {scores}; chosen {sel['chosen']} (context {sel['context']})."
        )
    for group, agg in results["aggregate"].items():
        cells = ", ".join(f"{LABELS[m]} {agg[m]['owa']:.3f}" for m in ("lstm",) + BASELINES)
        lines.append(f"- OWA, {group} ({agg['n_series']} series): {cells}.")
    best = results["strongest_baseline"]
    paired = results["paired"]
    agg = results["aggregate"]["all"]
    verdict = _verdict(agg["lstm"]["owa"], agg[best]["owa"], paired["mase"])
    lines.append(
        f"- Verdict: the LSTM (OWA {agg['lstm']['owa']:.3f}) {verdict} the strongest "
        f"baseline, {LABELS[best]} (OWA {agg[best]['owa']:.3f}). Paired bootstrap over "
        f"series of the per-series mean difference, LSTM minus {LABELS[best]}: "
        f"{_difference('MASE', paired['mase'])}, {_difference('sMAPE', paired['smape'])}."
    )
    air = results["airline_1960"]
    best_air = min(BASELINES + ("airline_model",), key=lambda b: air[b]["mape"])
    lines.append(
        f"- Airline 1960: the LSTM's MAPE {air['lstm']['mape_mean']:.2f}% (seeds: "
        + ", ".join(f"{m:.2f}%" for m in air["lstm"]["mape_per_seed"])
        + f"); lowest baseline: {LABELS[best_air]} {air[best_air]['mape']:.2f}%."
    )
    return lines


def readme_lines(results: dict) -> list[str]:
    """Everything the page quotes from the results, in the experiments page's order."""
    return rows(results) + [""] + verdict_lines(results)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m experiments.common.forecast_table RESULTS_JSON")
    results = json.loads(pathlib.Path(argv[0]).read_text())
    print("\n".join(readme_lines(results)))


if __name__ == "__main__":
    main()
