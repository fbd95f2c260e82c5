"""Next-item baselines fitted on training sequences; scores over the full item set.

Items are ``1 .. N`` (0 is padding, never scored high). From the training
sequences (one per user):

- most popular: ``pop_j`` = occurrences of item j in the training sequences;
  every user gets ``score_j = pop_j``.
- item-kNN on co-occurrence (the session-kNN of GRU4Rec's comparisons): with
  ``n_j`` the number of training sequences holding j and ``c_ij`` the number
  holding both i and j, the cosine ``sim_ij = c_ij / sqrt(n_i n_j)`` (i != j,
  0 on the diagonal); a history ``h`` scores ``score_j = sum_{i in w(h)} sim_ij``
  over its last ``window`` items ``w(h)`` (``window = 1``: the last item's
  neighbours), ties broken by popularity.
- first-order Markov chain: ``C_ij`` = times j directly follows i in a training
  sequence; ``score_j = C_{last(h), j}``, ties broken by popularity.
"""

from __future__ import annotations

import numpy as np

from experiments.common.ranking import lexicographic


def popularity(train: list[np.ndarray], num_items: int) -> np.ndarray:
    """``[N + 1]`` counts ``pop_j`` (index 0, padding, is 0)."""
    counts = np.bincount(np.concatenate(train), minlength=num_items + 1).astype(np.float64)
    counts[0] = 0.0
    return counts


def popularity_scores(train, num_items: int, num_users: int) -> np.ndarray:
    """``[U, N + 1]``: every user's row is ``pop``."""
    return np.broadcast_to(popularity(train, num_items), (num_users, num_items + 1)).copy()


def cosine_similarity(train: list[np.ndarray], num_items: int) -> np.ndarray:
    """``[N + 1, N + 1]`` ``sim_ij`` of the module doc (row and column 0 are 0)."""
    occurs = np.zeros((len(train), num_items + 1), dtype=np.float64)
    for u, sequence in enumerate(train):
        occurs[u, sequence] = 1.0
    occurs[:, 0] = 0.0
    together = occurs.T @ occurs
    norms = np.sqrt(np.diag(together))
    with np.errstate(divide="ignore", invalid="ignore"):
        sim = np.where(np.outer(norms, norms) > 0, together / np.outer(norms, norms), 0.0)
    np.fill_diagonal(sim, 0.0)
    return sim


def knn_scores(train, num_items: int, histories, window: int) -> np.ndarray:
    """``[U, N + 1]`` item-kNN scores of the last ``window`` items of each history."""
    if window < 1:
        raise ValueError(f"window: expected >= 1, got {window}")
    sim = cosine_similarity(train, num_items)
    primary = np.stack([sim[h[-window:]].sum(axis=0) for h in histories])
    return lexicographic(primary, popularity(train, num_items))


def transition_counts(train: list[np.ndarray], num_items: int) -> np.ndarray:
    """``[N + 1, N + 1]`` ``C_ij``: times item j directly follows item i."""
    counts = np.zeros((num_items + 1, num_items + 1), dtype=np.float64)
    for sequence in train:
        np.add.at(counts, (sequence[:-1], sequence[1:]), 1.0)
    return counts


def markov_scores(train, num_items: int, histories) -> np.ndarray:
    """``[U, N + 1]`` first-order Markov scores ``C_{last(h), j}``."""
    counts = transition_counts(train, num_items)
    primary = counts[np.array([h[-1] for h in histories])]
    return lexicographic(primary, popularity(train, num_items))
