"""Matrix-profile discords against the normal training part (stumpy's AB-join).

The subsequence of length ``m`` starting at ``i`` is ``T_(i,m) = y_i .. y_(i+m-1)``.
Its distance to the training part is the z-normalised Euclidean distance to
its nearest neighbour among the training part's subsequences::

    D_i = min_j || z(T_(i,m)) - z(R_(j,m)) ||,   z(x) = (x - mean x) / std x

with ``R = y_0 .. y_(train_end - 1)`` (``stumpy.stump(T_A=y, m, T_B=R,
ignore_trivial=False)``, column 0). A discord is a subsequence far from every
normal one. The score of step ``t`` is that of the subsequence centred on it,
``s_t = D_(t - m//2)`` (0 where no such subsequence exists). Subsequences of
the training part find themselves (``D = 0``), and those that straddle its
end nearly match a shifted one of it, so the first few steps after
``train_end`` score low; the maximum over a validation stretch after it,
which sets the threshold, is not lowered unless the stretch is short.

The window ``m`` is chosen on the training part alone (``dominant_period``):
the lag of the highest autocorrelation of its first difference (which
removes a trend) among the lags after the autocorrelation first turns
negative, within ``[min_lag, max_lag]``::

    r_k = sum_t (x_t - x_bar)(x_(t+k) - x_bar) / sum_t (x_t - x_bar)^2,
    x_t = y_(t+1) - y_t
"""

from __future__ import annotations

import numpy as np


def dominant_period(values, *, min_lag: int = 4, max_lag: int = 200) -> int:
    """The lag in ``[min_lag, max_lag]`` of the top autocorrelation after it first goes below 0."""
    x = np.diff(np.asarray(values, dtype=np.float64))
    if not 2 <= min_lag <= max_lag < len(x) // 2:
        raise ValueError(
            f"min_lag, max_lag: expected 2 <= min_lag <= max_lag < {len(x) // 2}, "
            f"got {min_lag}, {max_lag}"
        )
    x = x - x.mean()
    acf = np.array([np.dot(x[k:], x[: len(x) - k]) for k in range(max_lag + 1)]) / np.dot(x, x)
    negative = np.flatnonzero(acf < 0)
    if negative.size == 0:
        raise ValueError("values: the autocorrelation never turns negative; no period found")
    first = max(min_lag, int(negative[0]))
    if first > max_lag:
        raise ValueError(f"values: the autocorrelation turns negative only after max_lag={max_lag}")
    return first + int(np.argmax(acf[first : max_lag + 1]))


def nearest_normal_distances(values, train_end: int, window: int) -> np.ndarray:
    """``[N - m + 1]``: ``D_i``, each subsequence's distance to its nearest training one."""
    import stumpy

    values = np.asarray(values, dtype=np.float64)
    if not 3 <= window <= train_end // 2 or train_end > len(values):
        raise ValueError(
            f"window, train_end: expected 3 <= window <= train_end / 2, train_end <= "
            f"{len(values)}, got {window}, {train_end}"
        )
    profile = stumpy.stump(values, window, values[:train_end], ignore_trivial=False)
    return np.asarray(profile[:, 0], dtype=np.float64)


def centred_scores(distances, length: int, window: int) -> np.ndarray:
    """``[N]``: ``s_t = D_(t - m//2)`` from ``D [N - m + 1]``; 0 where undefined."""
    distances = np.asarray(distances, dtype=np.float64)
    if distances.shape != (length - window + 1,):
        raise ValueError(
            f"distances: expected shape ({length - window + 1},), got {distances.shape}"
        )
    scores = np.zeros(length)
    scores[window // 2 : window // 2 + len(distances)] = distances
    return scores


def discord_scores(values, train_end: int, window: int) -> np.ndarray:
    """``[N]`` matrix-profile discord scores of every step (see the module docstring)."""
    distances = nearest_normal_distances(values, train_end, window)
    return centred_scores(distances, len(values), window)
