import numpy as np
import pytest

from experiments.common import classic_forecasters as classic
from experiments.common.forecast_metrics import mape, smape
from experiments.common.relative_errors import geometric_relative, owa
from experiments.common.rolling_origin import rolling_origins, split_at


def test_smape_and_mape_by_hand():
    actual, forecast = np.array([100.0, 200.0]), np.array([110.0, 180.0])
    assert smape(actual, forecast) == pytest.approx(100 * (10 / 210 + 20 / 380))
    assert mape(actual, forecast) == pytest.approx(50 * (0.1 + 0.1))
    assert smape(actual, actual) == 0.0
    assert smape([1.0], [-1.0]) == pytest.approx(200.0)


def test_owa_is_the_mean_of_ratios_of_means():
    out = owa([1.0, 3.0], [10.0, 30.0], [2.0, 2.0], [40.0, 40.0])
    assert out == pytest.approx({"rel_mase": 1.0, "rel_smape": 0.5, "owa": 0.75})


def test_geometric_relative_averages_log_ratios_of_series_means():
    errors = [[1.0, 3.0], [1.0, 1.0]]
    ref = [[4.0, 4.0], [0.5, 0.5]]
    assert geometric_relative(errors, ref) == pytest.approx(np.sqrt(0.5 * 2.0))
    with pytest.raises(ValueError, match="series, origins"):
        geometric_relative([1.0], [1.0])


@pytest.mark.parametrize(("length", "horizon", "step"), [(72, 12, 3), (84, 8, 2), (486, 12, 3)])
def test_origins_leak_nothing(length, horizon, step):
    val, test = rolling_origins(length, horizon, step, n_test=5, n_val=3)
    assert len(val) == 3 and len(test) == 5 and test[-1] == length - horizon
    assert np.all(np.diff(val) == step) and np.all(np.diff(test) == step)
    values = np.arange(length, dtype=float)
    for origin in val:
        history, target = split_at(values, origin, horizon)
        # every training value ends before its own validation origin, and every
        # validation target before the first test origin
        assert history.max() < origin <= target.min() and target.max() < test[0]
    for origin in test:
        history, target = split_at(values, origin, horizon)
        assert history.max() < origin == target.min() and target.max() < length


def test_too_short_series_is_rejected():
    with pytest.raises(ValueError, match="before the first origin"):
        rolling_origins(60, 12, 3, n_test=5, n_val=3)


def test_seasonal_strength_separates_a_season_from_noise():
    rng = np.random.default_rng(0)
    t = np.arange(96)
    seasonal = 10 + np.sin(2 * np.pi * t / 12) + 0.05 * rng.standard_normal(96)
    noise = 10 + 0.5 * rng.standard_normal(96)
    assert classic.seasonal_strength(seasonal, 12, log=True) > classic.SEASONAL_THRESHOLD
    assert classic.seasonal_strength(noise, 12, log=True) < classic.SEASONAL_THRESHOLD


def test_classic_forecasters_follow_a_seasonal_trend():
    t = np.arange(72)
    values = np.exp(0.01 * t + 0.2 * np.sin(2 * np.pi * t / 12))
    history, target = values[:60], values[60:]
    assert len(classic.sarima_grid(12, True)) == 16 and len(classic.sarima_grid(12, False)) == 18
    for forecast in (
        classic.ets_forecast(history, 12, 12, True, True),
        classic.theta_forecast(history, 12, 12, True, True),
    ):
        assert mape(target, forecast) < 5
    spec = classic.SarimaSpec((0, 1, 1), (0, 1, 1, 12), "n")
    assert mape(target, classic.sarima_forecast(history, 12, spec, log=True)) < 5
