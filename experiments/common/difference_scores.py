"""Trivial anomaly scores: the absolute first and second difference.

    order 1:  s_t = |y_t - y_(t-1)|
    order 2:  s_t = |y_t - 2 y_(t-1) + y_(t-2)|

(the ``order``-th finite difference ``Delta^k y_t``, the error of predicting
``y_t`` by holding the last value, or by extrapolating the last slope). The
first ``order`` steps have no difference and score 0. Such one-line
detectors are the bar a learned detector must clear on series whose anomaly
is a local change of shape (Wu & Keogh, 2021).
"""

from __future__ import annotations

import numpy as np


def abs_difference(values, order: int) -> np.ndarray:
    """``[N] -> [N]``: ``|Delta^order y_t|``, zero for ``t < order``."""
    values = np.asarray(values, dtype=np.float64)
    if order not in (1, 2):
        raise ValueError(f"order: expected 1 or 2, got {order}")
    if values.ndim != 1 or len(values) <= order:
        raise ValueError(f"values: expected a 1-d series longer than {order}, got {values.shape}")
    scores = np.zeros_like(values)
    scores[order:] = np.abs(np.diff(values, n=order))
    return scores
