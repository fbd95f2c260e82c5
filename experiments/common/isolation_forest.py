"""Isolation Forest (Liu et al., 2008) on sliding windows of a series.

Step ``t`` is represented by the window ``x_t = (y_(t-m+1), .., y_t)`` of the
``m`` values ending at it. scikit-learn's ``IsolationForest`` is fitted on the
windows that lie wholly in the training part ``y_0 .. y_(train_end - 1)``;
its ``score_samples`` is minus the anomaly score ``2^(-E[h(x)] / c(psi))``
(``h``: the depth at which a random tree isolates ``x``, ``c(psi)``: the
mean depth for a sub-sample of ``psi`` points), so::

    s_t = -score_samples(x_t)   in (0, 1], higher = isolated sooner = more anomalous

The first ``m - 1`` steps have no full window and score 0.
"""

from __future__ import annotations

import numpy as np


def isolation_forest_scores(values, train_end: int, window: int, *, seed: int = 0) -> np.ndarray:
    """``[N] -> [N]`` scores from a forest of 100 trees fitted on the training windows."""
    from sklearn.ensemble import IsolationForest

    values = np.asarray(values, dtype=np.float64)
    if not 1 <= window <= train_end - 1 or train_end > len(values):
        raise ValueError(
            f"window, train_end: expected 1 <= window < train_end <= {len(values)}, "
            f"got {window}, {train_end}"
        )
    windows = np.lib.stride_tricks.sliding_window_view(values, window)
    forest = IsolationForest(n_estimators=100, random_state=seed)
    forest.fit(windows[: train_end - window + 1])
    scores = np.zeros_like(values)
    scores[window - 1 :] = -forest.score_samples(windows)
    return scores
