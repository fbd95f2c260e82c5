"""Next-frame baselines that learn nothing: copy the last frame; shift it by the last motion.

From the context frames ``x_1 .. x_t`` ``[N, t, H, W]``, predictions
``[N, horizon, H, W]`` of ``x_{t+1} .. x_{t+horizon}``:

- copy last: ``x_{t+k} = x_t``;
- shift extrapolation: the integer translation ``(dy, dx)`` in
  ``[-max_shift, max_shift]^2`` that best maps ``x_{t-1}`` onto ``x_t``
  (least squares; ties to the smallest ``|dy| + |dx|``), continued at
  constant velocity: ``x_{t+k} = shift(x_t, k dy, k dx)``, where
  ``shift(x, a, b)[i, j] = x[i - a, j - b]`` and pixels shifted in from
  outside the frame are 0. One translation per sequence, so two digits moving
  apart are matched as a compromise.
"""

from __future__ import annotations

import numpy as np


def _check_context(context: np.ndarray, min_frames: int) -> None:
    if context.ndim != 4 or context.shape[1] < min_frames:
        raise ValueError(
            f"context: expected [N, T, H, W] with T >= {min_frames}, got shape {context.shape}"
        )


def copy_last(context: np.ndarray, horizon: int) -> np.ndarray:
    """``[N, horizon, H, W]``: the last context frame, repeated."""
    _check_context(context, 1)
    return np.repeat(context[:, -1:], horizon, axis=1)


def shift(images: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """``images [N, H, W]`` translated by ``(dy[n], dx[n])``, zero-filled."""
    n, height, width = images.shape
    rows = np.arange(height)[None, :] - np.asarray(dy)[:, None]  # [N, H] source rows
    cols = np.arange(width)[None, :] - np.asarray(dx)[:, None]  # [N, W] source columns
    inside = ((rows >= 0) & (rows < height))[:, :, None] & ((cols >= 0) & (cols < width))[:, None]
    picked = images[
        np.arange(n)[:, None, None],
        np.clip(rows, 0, height - 1)[:, :, None],
        np.clip(cols, 0, width - 1)[:, None, :],
    ]
    return np.where(inside, picked, 0.0).astype(images.dtype)


def estimate_shift(previous: np.ndarray, last: np.ndarray, max_shift: int):
    """``(dy [N], dx [N])``: per pair, the integer translation of ``previous`` closest to
    ``last`` in squared error (module doc)."""
    candidates = sorted(
        (
            (a, b)
            for a in range(-max_shift, max_shift + 1)
            for b in range(-max_shift, max_shift + 1)
        ),
        key=lambda ab: abs(ab[0]) + abs(ab[1]),
    )
    n = len(previous)
    errors = np.stack(
        [
            ((shift(previous, np.full(n, a), np.full(n, b)) - last) ** 2).sum(axis=(1, 2))
            for a, b in candidates
        ],
        axis=1,
    )  # [N, candidates]
    best = np.asarray(candidates)[np.argmin(errors, axis=1)]  # first minimum: smallest shift
    return best[:, 0], best[:, 1]


def shift_extrapolation(context: np.ndarray, horizon: int, max_shift: int = 3) -> np.ndarray:
    """``[N, horizon, H, W]``: the last frame moved on by the last frames' translation."""
    _check_context(context, 2)
    if max_shift < 0:
        raise ValueError(f"max_shift: expected >= 0, got {max_shift}")
    dy, dx = estimate_shift(context[:, -2], context[:, -1], max_shift)
    return np.stack([shift(context[:, -1], k * dy, k * dx) for k in range(1, horizon + 1)], axis=1)
