"""Variable-length sequence sets: padding, validation splits, standardisation.

A ``SequenceSet`` holds ``N`` sequences zero-padded to a common length ``T``
with their true ``lengths``, ready for ``lstmjax.rnn(..., lengths=lengths)``:
``xs [N, T, D]``, ``lengths [N]``, ``labels [N]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


class SequenceSet(NamedTuple):
    """``xs [N, T, D]`` float32 (zero past each length), ``lengths [N]``, ``labels [N]``."""

    xs: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray


def pad_sequences(sequences: Sequence[np.ndarray], num_steps: int | None = None):
    """Stacks ``[T_i, D]`` arrays into ``([N, T, D], lengths [N])``, zero-padded.

    ``num_steps`` defaults to the longest length; a shorter one raises.
    """
    if not sequences:
        raise ValueError("sequences: expected at least one sequence, got none")
    lengths = np.array([len(s) for s in sequences], dtype=np.int32)
    features = {np.shape(s)[1] for s in sequences}
    if len(features) != 1 or any(np.ndim(s) != 2 for s in sequences):
        raise ValueError(f"sequences: expected [T_i, D] arrays with one D, got D in {features}")
    num_steps = int(lengths.max()) if num_steps is None else num_steps
    if lengths.max() > num_steps:
        raise ValueError(
            f"num_steps: expected >= the longest length {lengths.max()}, got {num_steps}"
        )
    xs = np.zeros((len(sequences), num_steps, features.pop()), dtype=np.float32)
    for i, s in enumerate(sequences):
        xs[i, : len(s)] = s
    return xs, lengths


def subset(data: SequenceSet, index: np.ndarray) -> SequenceSet:
    """The sequences at ``index`` (``[M]`` ints): a ``SequenceSet`` with ``xs [M, T, D]``."""
    return SequenceSet(data.xs[index], data.lengths[index], data.labels[index])


def split_validation(data: SequenceSet, fraction: float, *, seed: int):
    """Holds a stratified ``fraction`` of ``data`` out as a validation set.

    Each class gives ``round(fraction * count)`` of its sequences (at least one
    when ``fraction > 0``), chosen at random with ``seed``.

    Returns:
      ``(train, valid)``, disjoint, together all of ``data``.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction: expected a value in [0, 1), got {fraction}")
    rng = np.random.default_rng(seed)
    held = []
    for label in np.unique(data.labels):
        members = np.flatnonzero(data.labels == label)
        count = max(1, round(fraction * len(members))) if fraction > 0 else 0
        held.extend(rng.choice(members, size=min(count, len(members) - 1), replace=False))
    valid_mask = np.zeros(len(data.labels), dtype=bool)
    valid_mask[np.asarray(held, dtype=np.int64)] = True
    return subset(data, np.flatnonzero(~valid_mask)), subset(data, np.flatnonzero(valid_mask))


def channel_stats(data: SequenceSet):
    """Per-channel mean and standard deviation over valid steps only: ``([D], [D])``."""
    mask = np.arange(data.xs.shape[1])[None, :] < data.lengths[:, None]
    values = data.xs[mask]
    return values.mean(axis=0), values.std(axis=0) + 1e-8


def standardise(data: SequenceSet, mean: np.ndarray, std: np.ndarray) -> SequenceSet:
    """``(x - mean) / std`` on valid steps; padding stays zero.

    ``mean`` and ``std`` broadcast against ``xs [N, T, D]``: ``[D]`` per feature
    (or scalars).
    """
    mask = np.arange(data.xs.shape[1])[None, :, None] < data.lengths[:, None, None]
    xs = np.where(mask, (data.xs - mean) / std, 0.0).astype(np.float32)
    return SequenceSet(xs, data.lengths, data.labels)
