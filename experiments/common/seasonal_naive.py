"""The seasonal-naive forecast: repeat the last observed season.

With period ``m`` and history ``y_1 .. y_n``, the forecast ``h`` steps ahead is
``y_hat(n + h) = y(n + h - m * ceil(h / m))``; with ``m = 1`` it is the plain
naive forecast (the last value, repeated).
"""

from __future__ import annotations

import numpy as np


def seasonal_naive(history: np.ndarray, horizon: int, period: int) -> np.ndarray:
    """``[N] -> [horizon]``: the last ``period`` values of ``history``, tiled."""
    if period < 1 or horizon < 1:
        raise ValueError(f"period, horizon: expected >= 1, got {period}, {horizon}")
    if len(history) < period:
        raise ValueError(f"history: expected at least one period ({period}), got {len(history)}")
    season = np.asarray(history)[-period:]
    return np.resize(season, horizon)
