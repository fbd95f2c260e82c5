import json

import numpy as np
import pytest

from experiments.common.benchmark_series import load_group
from experiments.common.rolling_origin import rolling_origins
from tests.experiments.experiment_module import load_experiment

bench = load_experiment("forecast_benchmark")


def test_quick_run_scores_every_method_and_resumes(tmp_path):
    cfg = bench.Config(quick=True, run_root=str(tmp_path), progress=False)
    summary = bench.run(cfg)
    assert [row["name"] for row in summary["series"]] == ["AirPassengers", "ldeaths"]
    for row in summary["series"]:
        assert set(row["errors"]) == {"lstm", "seasonal_naive", "ets", "theta", "sarima"}
        assert len(row["errors"]["lstm"]["mase"]) == 2
    agg = summary["aggregate"]["all"]
    assert agg["seasonal_naive"]["owa"] == pytest.approx(1.0)
    assert summary["strongest_baseline"] in bench.BASELINES
    assert summary["selection"]["monthly"]["chosen"] == "recursive-h8-c1x"
    air = summary["airline_1960"]
    assert air["n_history"] == 132 and 2.0 < air["airline_model"]["mape"] < 4.0
    path = tmp_path / "forecast_benchmark" / "results.json"
    assert json.loads(path.read_text())["paired"]["baseline"] == summary["strongest_baseline"]
    resumed = bench.run(
        bench.Config(quick=True, run_root=str(tmp_path), progress=False, resume=True)
    )
    assert resumed["aggregate"] == json.loads(json.dumps(summary["aggregate"]))


def test_lstm_histories_end_at_their_origins(monkeypatch, tmp_path):
    seen = []

    def fake_fit(cfg, mode, hidden, multiple, horizon, histories, seed):
        seen.append([len(h) for h in histories])
        return np.ones((len(histories), horizon)), 1.0, 0.5

    monkeypatch.setattr(bench, "fit_global", fake_fit)
    cfg = bench.Config(quick=True, run_root=str(tmp_path), progress=False)
    group = load_group("quarterly", ["UKgas", "austres"])
    origins = [rolling_origins(len(s.values), 8, 2, 2, 1) for s in group]
    units = bench.Units(tmp_path / "units.jsonl", cfg.resolved())
    runs = bench.lstm_runs(
        cfg, units, "quarterly", group, origins, (0,), [("direct", 8, 1)], "test"
    )
    assert seen == [[o.test[k] for o in origins] for k in range(2)]
    assert len(runs["direct-h8-c1x"][0]) == 2


def test_resume_refuses_another_configuration(tmp_path):
    bench.Units(tmp_path / "u.jsonl", bench.Config(num_steps=10))
    with pytest.raises(ValueError, match="another configuration"):
        bench.Units(tmp_path / "u.jsonl", bench.Config(num_steps=20, resume=True))


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"n_test": 0}, "n_test"),
        ({"modes": ("sideways",)}, "modes"),
        ({"frequencies": ("yearly",)}, "frequencies"),
        ({"seeds": ()}, "seed"),
    ],
)
def test_malformed_config_is_rejected(changes, match):
    with pytest.raises(ValueError, match=match):
        bench.Config(**changes)
