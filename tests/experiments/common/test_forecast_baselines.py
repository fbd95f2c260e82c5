import numpy as np
import pytest

from experiments.common.forecast_metrics import mae, mase, rmse
from experiments.common.seasonal_naive import seasonal_naive


def test_seasonal_naive_repeats_the_last_season():
    history = np.array([1.0, 2, 3, 4, 10, 20, 30, 40])
    np.testing.assert_array_equal(seasonal_naive(history, 6, 4), [10, 20, 30, 40, 10, 20])
    np.testing.assert_array_equal(seasonal_naive(history, 3, 1), [40, 40, 40])


def test_seasonal_naive_is_exact_on_a_purely_seasonal_series():
    season = np.array([5.0, 1.0, 7.0])
    series = np.tile(season, 6)
    history, tail = series[:-5], series[-5:]
    forecast = seasonal_naive(history, 5, 3)
    np.testing.assert_array_equal(forecast, tail)
    assert mase(tail, forecast, history + np.arange(len(history)) % 2, 3) == 0.0


def test_seasonal_naive_rejects_bad_sizes():
    with pytest.raises(ValueError, match="period"):
        seasonal_naive(np.ones(5), 3, 0)
    with pytest.raises(ValueError, match="history"):
        seasonal_naive(np.ones(2), 3, 4)


def test_errors_on_hand_made_numbers():
    actual, forecast = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 1.0, 4.0])
    assert mae(actual, forecast) == pytest.approx(0.75)
    assert rmse(actual, forecast) == pytest.approx(np.sqrt(5 / 4))
    history = np.array([0.0, 2.0, 0.0, 2.0])  # in-sample naive (m=1) error: 2 each step
    assert mase(actual, forecast, history, 1) == pytest.approx(0.375)


def test_mase_needs_more_history_than_a_period():
    with pytest.raises(ValueError, match="history"):
        mase(np.ones(2), np.ones(2), np.ones(3), 3)
