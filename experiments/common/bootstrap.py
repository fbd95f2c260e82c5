"""Paired bootstrap of a mean difference, i.i.d. or in moving blocks.

Two systems are scored on the same ``n`` items (or positions of a stream):
``a_i`` and ``b_i``, with differences ``d_i = a_i - b_i`` and mean ``d_bar``.
Pairing keeps each item's two scores together, so what the items share
(their difficulty) cancels in ``d_i``.

A resample draws ``ceil(n / L)`` blocks of ``L`` consecutive differences,
each starting uniformly at one of ``0 .. n - L``, concatenates them and keeps
the first ``n`` (the moving block bootstrap, Kunsch 1989): ``L = 1`` is the
ordinary i.i.d. bootstrap over items; ``L > 1`` keeps the dependence between
neighbouring positions (e.g. per-character losses of a text, where
``L`` should span the dependence). Over ``R`` resamples with means
``d*_1 .. d*_R``:

    interval = the (alpha/2, 1 - alpha/2) quantiles of d*        (percentile)
    pvalue   = min(1, 2 * min(#{d*_r <= 0}, #{d*_r >= 0}) / R)

the p-value being the smallest ``alpha`` whose percentile interval excludes 0
(two-sided).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class PairedBootstrap(NamedTuple):
    """``mean_difference`` (d_bar of a - b), its percentile interval, two-sided ``pvalue``
    (0 means below ``1 / n_resamples``)."""

    mean_difference: float
    low: float
    high: float
    pvalue: float
    n_resamples: int


def resampled_means(
    differences, *, block_length: int = 1, n_resamples: int = 10_000, seed: int = 0
) -> np.ndarray:
    """``[n_resamples]`` means of moving-block resamples of ``differences [n]``."""
    d = np.asarray(differences, dtype=np.float64)
    n = d.size
    if d.ndim != 1 or n < 2:
        raise ValueError(f"differences: expected a 1-d array of >= 2 values, got shape {d.shape}")
    if not 1 <= block_length <= n:
        raise ValueError(f"block_length: expected 1 <= block_length <= {n}, got {block_length}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples: expected >= 1, got {n_resamples}")
    blocks = -(-n // block_length)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n - block_length + 1, size=(n_resamples, blocks))
    index = (starts[:, :, None] + np.arange(block_length)).reshape(n_resamples, -1)[:, :n]
    return d[index].mean(axis=1)


def paired_bootstrap(
    a,
    b,
    *,
    block_length: int = 1,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> PairedBootstrap:
    """The paired (block) bootstrap of ``mean(a - b)`` for ``a [n]``, ``b [n]``."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a, b: expected equal shapes, got {a.shape}, {b.shape}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: expected 0 < confidence < 1, got {confidence}")
    means = resampled_means(a - b, block_length=block_length, n_resamples=n_resamples, seed=seed)
    low, high = np.quantile(means, [(1 - confidence) / 2, (1 + confidence) / 2])
    tail = min(np.sum(means <= 0), np.sum(means >= 0)) / n_resamples
    return PairedBootstrap(
        float(np.mean(a - b)), float(low), float(high), min(1.0, 2 * tail), n_resamples
    )


def format_pvalue(test: dict) -> str:
    """``"p 0.031"``, or ``"p < 1e-04"`` when no resample crossed 0, for a
    ``PairedBootstrap._asdict()`` (as a results file holds it)."""
    if test["pvalue"] == 0:
        return f"p < {1 / test['n_resamples']:.0e}"
    return f"p {test['pvalue']:.2g}"
