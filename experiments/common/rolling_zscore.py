"""The rolling z-score anomaly detector.

The score of step ``t`` is how many standard deviations ``y_t`` lies from the
mean of the ``w`` steps before it::

    z_t = |y_t - mean(y_(t-w) .. y_(t-1))| / std(y_(t-w) .. y_(t-1))

The first ``w`` steps have no full window and score 0.
"""

from __future__ import annotations

import numpy as np


def rolling_zscore(values: np.ndarray, window: int) -> np.ndarray:
    """``[N] -> [N]`` non-negative scores (zero for the first ``window`` steps)."""
    values = np.asarray(values, dtype=np.float64)
    if not 2 <= window < len(values):
        raise ValueError(f"window: expected 2 <= window < {len(values)}, got {window}")
    past = np.lib.stride_tricks.sliding_window_view(values[:-1], window)
    mean, std = past.mean(axis=1), past.std(axis=1)
    scores = np.zeros_like(values)
    scores[window:] = np.abs(values[window:] - mean) / np.maximum(std, 1e-8)
    return scores
