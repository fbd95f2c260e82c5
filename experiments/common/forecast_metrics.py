"""Forecast errors: MAE, RMSE, MASE, sMAPE and MAPE.

``MASE = mean|y - y_hat| / mean_t |y_t - y_(t-m)|``, the denominator taken over
the training history: the in-sample error of the seasonal-naive forecast with
period ``m`` (Hyndman & Koehler 2006). Below 1 beats that one-step in-sample
benchmark; comparing two forecasts' MASE on the same tail compares their MAE.
Over ``h`` steps, in percent (the M4 competition's sMAPE)::

    sMAPE = (200 / h) sum_t |y_t - y_hat_t| / (|y_t| + |y_hat_t|)
    MAPE  = (100 / h) sum_t |y_t - y_hat_t| / |y_t|
"""

from __future__ import annotations

import numpy as np


def mae(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(np.asarray(actual) - np.asarray(forecast))))


def rmse(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Root mean squared error."""
    return float(np.sqrt(np.mean((np.asarray(actual) - np.asarray(forecast)) ** 2)))


def mase(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, period: int) -> float:
    """Mean absolute scaled error against the in-sample seasonal-naive error of ``history``."""
    history = np.asarray(history, dtype=np.float64)
    if len(history) <= period:
        raise ValueError(f"history: expected more than {period} values, got {len(history)}")
    scale = np.mean(np.abs(history[period:] - history[:-period]))
    return mae(actual, forecast) / scale


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric mean absolute percentage error (0-200), M4's definition."""
    actual, forecast = np.asarray(actual, np.float64), np.asarray(forecast, np.float64)
    return float(200 * np.mean(np.abs(actual - forecast) / (np.abs(actual) + np.abs(forecast))))


def mape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean absolute percentage error (percent of ``|actual|``)."""
    actual, forecast = np.asarray(actual, np.float64), np.asarray(forecast, np.float64)
    return float(100 * np.mean(np.abs(actual - forecast) / np.abs(actual)))
