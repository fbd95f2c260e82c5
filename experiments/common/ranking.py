"""Top-K metrics of next-item prediction over the full item set.

Each user has one target item ``t`` and a score per item ``s_j``; items in an
``exclude`` mask (the padding index and the user's history) are not ranked.
The target's rank counts ties against it (pessimistic, so a constant score
ranks the target last among its ties)::

    rank = 1 + #{j not excluded, j != t : s_j >= s_t}

    Recall@K = mean_u [rank_u <= K]                 (one target: the hit rate)
    NDCG@K   = mean_u [rank_u <= K] / log2(rank_u + 1)
    MRR@K    = mean_u [rank_u <= K] / rank_u

Baselines whose scores tie often (counts) break ties with a second score via
``lexicographic``, so no method is scored on arbitrary tie order.
"""

from __future__ import annotations

import numpy as np

METRICS = ("recall10", "recall20", "ndcg10", "mrr20")


def target_ranks(scores, targets, exclude) -> np.ndarray:
    """``[U]`` int ranks (1 = top) of ``targets [U]`` in ``scores [U, N]``.

    ``exclude [U, N]`` bool: items not ranked; a target must not be excluded.
    """
    scores, targets, exclude = np.asarray(scores), np.asarray(targets), np.asarray(exclude)
    rows = np.arange(len(targets))
    if exclude[rows, targets].any():
        raise ValueError("targets: a target item is excluded from its user's ranking")
    target_scores = scores[rows, targets][:, None]
    ahead = (scores >= target_scores) & ~exclude
    ahead[rows, targets] = False
    return 1 + ahead.sum(axis=1)


def per_user(ranks) -> dict[str, np.ndarray]:
    """``{metric: [U] float}`` for the metrics of the module doc."""
    ranks = np.asarray(ranks, dtype=np.float64)
    return {
        "recall10": (ranks <= 10).astype(np.float64),
        "recall20": (ranks <= 20).astype(np.float64),
        "ndcg10": np.where(ranks <= 10, 1.0 / np.log2(ranks + 1), 0.0),
        "mrr20": np.where(ranks <= 20, 1.0 / ranks, 0.0),
    }


def metrics(ranks) -> dict[str, float]:
    """``{metric: mean over users}``."""
    return {name: float(values.mean()) for name, values in per_user(ranks).items()}


def lexicographic(primary, secondary) -> np.ndarray:
    """``[U, N]`` scores ordering items by ``primary``, then ``secondary``, then index.

    ``primary [U, N]``, ``secondary [N]`` or ``[U, N]``; the result is each item's
    position in the ascending order (distinct per row, so nothing ties).
    """
    primary = np.asarray(primary)
    secondary = np.broadcast_to(np.asarray(secondary), primary.shape)
    index = np.broadcast_to(np.arange(primary.shape[1]), primary.shape)
    order = np.lexsort((index, secondary, primary), axis=-1)
    positions = np.empty_like(order)
    np.put_along_axis(positions, order, np.arange(primary.shape[1]), axis=-1)
    return positions.astype(np.float64)
