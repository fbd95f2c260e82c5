"""Character n-gram language models: interpolated Kneser-Ney and Witten-Bell.

The same-data baseline a character language model must beat: counts from the
training block only, the order chosen on the validation block. Ids lie in
``[0, V)``; ``h`` is the ``k - 1`` characters before ``w`` and ``h'`` is ``h``
without its oldest character. With ``P_0(w) = 1 / V`` and, for ``k = 1 .. n``
(Chen & Goodman 1998, "An empirical study of smoothing techniques"):

Witten-Bell, from the raw counts ``c``::

    P_k(w | h) = (c(h w) + N1+(h .) P_{k-1}(w | h')) / (c(h) + N1+(h .))

Interpolated Kneser-Ney, from ``a_k = c`` at the highest order ``n`` and the
continuation counts ``a_k(h w) = N1+(. h w)`` (how many distinct characters
precede ``h w``) below it::

    P_k(w | h) = max(a_k(h w) - D_k, 0) / a_k(h) + D_k N1+(h .) / a_k(h) P_{k-1}(w | h')
    D_k = n1 / (n1 + 2 n2)          (n_r: how many k-grams have a_k = r; 0.5 if n1 = 0)

where ``a_k(h) = sum_w a_k(h w)`` and ``N1+(h .)`` counts the ``w`` with
``a_k(h w) > 0``. A history never seen (``a_k(h) = 0``) passes
``P_{k-1}(w | h')`` through unchanged, so every ``P_n(. | h)`` sums to 1 over
the ``V`` ids and no id gets probability zero.

A k-gram is stored as the integer ``sum_j ids[j] V^(k-1-j)`` (so ``V^n`` must
fit in an int64); counts are sorted key arrays, looked up with
``searchsorted``: fitting and scoring are NumPy passes over the text.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

SMOOTHINGS = ("kneser-ney", "witten-bell")


class GramTable(NamedTuple):
    """One order's k-grams: sorted ``keys [G]`` with their counts ``[G]``, and
    their histories' sorted ``history_keys [H]`` with ``totals [H]`` (``a(h)``)
    and ``types [H]`` (``N1+(h .)``)."""

    keys: np.ndarray
    counts: np.ndarray
    history_keys: np.ndarray
    totals: np.ndarray
    types: np.ndarray

    @property
    def discount(self) -> float:
        """Kneser-Ney's ``D = n1 / (n1 + 2 n2)`` over this table's counts; 0.5
        when no k-gram has count 1 (the estimate, 0, would leave no mass for
        unseen characters)."""
        n1, n2 = np.sum(self.counts == 1), np.sum(self.counts == 2)
        return float(n1 / (n1 + 2 * n2)) if n1 > 0 else 0.5


class NGramCounts(NamedTuple):
    """The raw-count tables ``raw[k - 1]`` for ``k = 1 .. max_order`` and the
    continuation-count tables ``continuation[k - 1]`` for ``k = 1 .. max_order - 1``."""

    vocab_size: int
    raw: list
    continuation: list

    @property
    def max_order(self) -> int:
        return len(self.raw)


def gram_keys(ids: np.ndarray, k: int, vocab_size: int) -> np.ndarray:
    """``[N - k + 1]`` int64 keys of the k-grams of ``ids [N]``, entry ``i`` starting at ``i``."""
    n = len(ids) - k + 1
    keys = np.zeros(max(n, 0), dtype=np.int64)
    for j in range(k):
        keys = keys * vocab_size + ids[j : j + n]
    return keys


def _table(keys: np.ndarray, counts: np.ndarray, vocab_size: int) -> GramTable:
    """The table of sorted unique ``keys`` with ``counts``, grouped by history."""
    histories = keys // vocab_size
    starts = np.flatnonzero(np.r_[True, histories[1:] != histories[:-1]])
    return GramTable(
        keys,
        counts,
        histories[starts],
        np.add.reduceat(counts, starts) if len(keys) else counts,
        np.diff(np.r_[starts, len(keys)]),
    )


def fit_counts(ids, vocab_size: int, max_order: int) -> NGramCounts:
    """The count tables of ``ids [N]`` (ints in ``[0, vocab_size)``) up to ``max_order``."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or len(ids) < max_order:
        raise ValueError(f"ids: expected a 1-d array of >= max_order ids, got shape {ids.shape}")
    if ids.min() < 0 or ids.max() >= vocab_size:
        raise ValueError(f"ids: expected ids in [0, {vocab_size}), got [{ids.min()}, {ids.max()}]")
    if max_order < 1 or float(vocab_size) ** max_order >= 2.0**63:
        raise ValueError(
            f"max_order: expected 1 <= max_order with vocab_size**max_order < 2**63, "
            f"got {max_order} (vocab_size {vocab_size})"
        )
    raw, unique = [], []
    for k in range(1, max_order + 1):
        keys, counts = np.unique(gram_keys(ids, k, vocab_size), return_counts=True)
        raw.append(_table(keys, counts.astype(np.int64), vocab_size))
        unique.append(keys)
    continuation = []
    for k in range(1, max_order):
        suffixes = unique[k] % vocab_size**k  # the (k+1)-grams without their first id
        keys, counts = np.unique(suffixes, return_counts=True)
        continuation.append(_table(keys, counts.astype(np.int64), vocab_size))
    return NGramCounts(vocab_size, raw, continuation)


def _lookup(sorted_keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """``values`` at each query's position in ``sorted_keys``, 0 where absent."""
    at = np.minimum(np.searchsorted(sorted_keys, queries), max(len(sorted_keys) - 1, 0))
    found = (sorted_keys[at] == queries) if len(sorted_keys) else np.zeros(len(queries), bool)
    return np.where(found, values[at] if len(values) else 0, 0)


def log2_probs(
    counts: NGramCounts, ids, start: int, *, order: int, smoothing: str = "kneser-ney"
) -> np.ndarray:
    """``[N - start]`` values ``log2 P_order(ids[t] | ids[t - order + 1 : t])`` for
    ``t = start .. N - 1``: each target conditioned on the ids before it in
    ``ids [N]`` (so ``ids[:start]`` is context only; near ``t = 0`` the
    history is as long as there are ids)."""
    if smoothing not in SMOOTHINGS:
        raise ValueError(f"smoothing: expected one of {SMOOTHINGS}, got {smoothing!r}")
    if not 1 <= order <= counts.max_order:
        raise ValueError(f"order: expected 1 <= order <= {counts.max_order}, got {order}")
    ids = np.asarray(ids, dtype=np.int64)
    if not 0 <= start < len(ids):
        raise ValueError(f"start: expected 0 <= start < {len(ids)}, got {start}")
    if ids.min() < 0 or ids.max() >= counts.vocab_size:
        raise ValueError(f"ids: expected ids in [0, {counts.vocab_size})")
    V = counts.vocab_size
    targets = np.arange(start, len(ids))
    p = np.full(len(targets), 1.0 / V)
    for k in range(1, order + 1):
        if smoothing == "witten-bell" or k == order:
            table = counts.raw[k - 1]
        else:
            table = counts.continuation[k - 1]
        first = targets - (k - 1)  # where each target's k-gram starts
        valid = first >= 0
        if not valid.any():
            continue
        keys = gram_keys(ids, k, V)[np.maximum(first, 0)]
        gram = np.where(valid, _lookup(table.keys, table.counts, keys), 0)
        total = np.where(valid, _lookup(table.history_keys, table.totals, keys // V), 0)
        types = np.where(valid, _lookup(table.history_keys, table.types, keys // V), 0)
        seen = total > 0
        safe = np.maximum(total, 1)
        if smoothing == "witten-bell":
            mixed = (gram + types * p) / np.maximum(total + types, 1)
        else:
            d = table.discount
            mixed = np.maximum(gram - d, 0) / safe + d * types / safe * p
        p = np.where(seen, mixed, p)
    return np.log2(p)
