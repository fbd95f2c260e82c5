"""One-nearest-neighbour classification under dynamic time warping (DTW).

For sequences ``a [n, D]`` and ``b [m, D]`` with frame cost
``c(i, j) = ||a_i - b_j||^2``, DTW is the cheapest monotone alignment::

    R(i, j) = c(i, j) + min(R(i-1, j), R(i, j-1), R(i-1, j-1)),   R(0, 0) = c(0, 0)
    dtw(a, b) = R(n-1, m-1)

(the multivariate "dependent" DTW, full warping window). The recursion runs
over all pairs at once, one NumPy step per cell ``(i, j)``; on zero-padded
batches ``R(n_p-1, m_p-1)`` only reads the valid prefix, so padding never
enters a pair's distance.
"""

from __future__ import annotations

import numpy as np


def dtw_distances(
    a: np.ndarray,
    a_lengths: np.ndarray,
    b: np.ndarray,
    b_lengths: np.ndarray,
    *,
    chunk: int = 64,
) -> np.ndarray:
    """DTW between every sequence of ``a`` and every sequence of ``b``.

    Args:
      a: ``[N, T, D]`` zero-padded, with ``a_lengths [N]`` (each >= 1).
      b: ``[M, U, D]`` zero-padded, with ``b_lengths [M]`` (each >= 1).
      chunk: rows of ``a`` per vectorised block (bounds memory to
        ``chunk * M * T * U`` floats).

    Returns:
      ``[N, M]`` float64 distances.
    """
    if np.min(a_lengths) < 1 or np.min(b_lengths) < 1:
        raise ValueError("a_lengths, b_lengths: DTW needs every length >= 1")
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    out = np.empty((len(a), len(b)))
    for start in range(0, len(a), chunk):
        block = a[start : start + chunk]
        cost = squared_distances(block, b)
        acc = _accumulate(cost)
        rows = a_lengths[start : start + chunk, None] - 1
        cols = b_lengths[None, :] - 1
        out[start : start + chunk] = acc[
            rows, cols, np.arange(len(block))[:, None], np.arange(len(b))[None, :]
        ]
    return out


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``||a_i - b_j||^2`` for every frame pair: ``[N, T, D], [M, U, D] -> [T, U, N, M]``.

    Time axes lead so that the recursion's per-cell slices are contiguous.
    """
    cross = np.einsum("ntd,mud->tunm", a, b)
    a_sq = np.sum(a**2, axis=-1).T[:, None, :, None]
    b_sq = np.sum(b**2, axis=-1).T[None, :, None, :]
    return np.maximum(a_sq + b_sq - 2 * cross, 0.0)


def _accumulate(cost: np.ndarray) -> np.ndarray:
    """The DTW recursion ``R`` over the first two axes of ``cost [T, U, ...]``."""
    acc = np.empty_like(cost)
    acc[0] = np.cumsum(cost[0], axis=0)
    acc[:, 0] = np.cumsum(cost[:, 0], axis=0)
    for i in range(1, cost.shape[0]):
        for j in range(1, cost.shape[1]):
            best = np.minimum(np.minimum(acc[i - 1, j], acc[i, j - 1]), acc[i - 1, j - 1])
            acc[i, j] = cost[i, j] + best
    return acc


def nearest_neighbour_predict(distances: np.ndarray, train_labels: np.ndarray) -> np.ndarray:
    """Labels of the nearest training sequence: ``distances [N_test, N_train] -> [N_test]``."""
    return np.asarray(train_labels)[np.argmin(distances, axis=1)]
