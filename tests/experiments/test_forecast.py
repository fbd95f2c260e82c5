import pytest

from tests.experiments.experiment_module import load_experiment

forecast = load_experiment("forecast")


@pytest.mark.parametrize("mode", ["recursive", pytest.param("direct", marks=pytest.mark.slow)])
def test_quick_run_lowers_the_loss_and_scores_every_forecast(mode, tmp_path):
    cfg = forecast.Config(
        dataset="airline", mode=mode, quick=True, run_root=str(tmp_path), progress=False
    )
    summary = forecast.run(cfg)
    (seed,) = summary["per_seed"]
    assert seed["last_loss"] < seed["first_loss"]
    for scores in (seed, summary["seasonal_naive"], summary["arima"]):
        assert scores["mae"] > 0 and scores["rmse"] >= scores["mae"] and scores["mase"] > 0
    assert (tmp_path / "forecast" / "airline" / "forecast.png").exists()


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"dataset": "weather"}, "dataset"),
        ({"hidden_size": -1}, "hidden_size"),
        ({"horizon": -3}, "horizon"),
        ({"mode": "sideways"}, "mode"),
    ],
)
def test_malformed_config_is_rejected(changes, match):
    with pytest.raises(ValueError, match=match):
        forecast.Config(**changes)


def test_horizon_longer_than_the_series_fails_before_training(tmp_path):
    cfg = forecast.Config(dataset="airline", horizon=200, run_root=str(tmp_path), progress=False)
    with pytest.raises(ValueError, match="horizon"):
        forecast.run(cfg)
    assert not (tmp_path / "forecast").exists()
