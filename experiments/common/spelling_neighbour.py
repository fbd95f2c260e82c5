"""The nearest-neighbour G2P baseline: the pronunciation of the closest spelling.

For a query word ``q`` the candidates are the training words ``c`` that share
its first ``prefix`` letters and have ``| |c| - |q| | <= window`` (backing off
to ``prefix - 1``, ``prefix - 2``, ... shared letters while there are none), and
the answer is the first pronunciation of::

    c* = argmin_c ED(q, c)            (Levenshtein over letters; ties: first c alphabetically)

Restricting the candidates keeps the search small: for the 12,493 held-out
words of CMUdict, ``prefix = 2, window = 1`` gives about 5 million letter
alignments instead of 1.4 billion against every training word (a word's
first letters mostly fix its first phonemes).

The distances come from ``lstmjax.ctc.edit_distance`` over all (query,
candidate) pairs, grouped by padded width and cut into chunks of ``CHUNK``.
"""

from __future__ import annotations

from collections import defaultdict

import jax
import jax.numpy as jnp
import numpy as np

from experiments.common.cmudict_g2p import Lexicon, encode_words
from lstmjax.ctc import edit_distance

CHUNK = 1 << 15
_distances = jax.jit(edit_distance)


def candidates(train_words: list[str], word: str, prefix: int, window: int, index) -> list[int]:
    """Indices of ``train_words`` the module doc allows for ``word`` (backing off the prefix).

    ``index[k]`` maps a ``k``-letter prefix to the training indices with it (``candidate_index``).
    """
    for k in range(min(prefix, len(word)), -1, -1):
        pool = index[k].get(word[:k], [])
        found = [i for i in pool if abs(len(train_words[i]) - len(word)) <= window]
        if found:
            return found
    return index[0][""]


def candidate_index(train_words: list[str], prefix: int) -> list[dict]:
    """``[k] -> {first k letters: training indices in alphabetical order}``, ``k = 0 .. prefix``."""
    order = sorted(range(len(train_words)), key=lambda i: train_words[i])
    index = [defaultdict(list) for _ in range(prefix + 1)]
    for i in order:
        for k in range(prefix + 1):
            index[k][train_words[i][:k]].append(i)
    return index


def _pair_distances(queries, q_len, cands, c_len, q_idx, c_idx) -> np.ndarray:
    """``[P]`` distances of ``queries[q_idx[p]]`` and ``cands[c_idx[p]]`` (letter ids)."""
    out = np.empty(len(q_idx), np.int32)
    for start in range(0, len(q_idx), CHUNK):
        n = min(CHUNK, len(q_idx) - start)
        qi = np.resize(q_idx[start : start + n], CHUNK)
        ci = np.resize(c_idx[start : start + n], CHUNK)
        d = _distances(
            jnp.asarray(queries[qi]),
            jnp.asarray(q_len[qi]),
            jnp.asarray(cands[ci]),
            jnp.asarray(c_len[ci]),
        )
        out[start : start + n] = np.asarray(d)[:n]
    return out


def nearest_neighbour_prons(
    train: Lexicon, words: list[str], *, prefix: int = 2, window: int = 1
) -> list[tuple]:
    """Per word of ``words``, the first pronunciation of its nearest training word."""
    if prefix < 0 or window < 0:
        raise ValueError(f"prefix, window: expected >= 0, got {prefix} and {window}")
    if not train.words:
        raise ValueError("train: expected at least one training word, got none")
    index = candidate_index(train.words, prefix)
    rank = np.empty(len(train.words), np.int64)
    rank[index[0][""]] = np.arange(len(train.words))
    buckets = defaultdict(lambda: ([], []))  # padded width -> (query ids, candidate ids)
    for q, word in enumerate(words):
        cands = candidates(train.words, word, prefix, window, index)
        longest = max(len(word), max(len(train.words[i]) for i in cands))
        q_ids, c_ids = buckets[8 * ((longest + 7) // 8)]
        q_ids.append(np.full(len(cands), q))
        c_ids.append(np.asarray(cands))
    best = np.full(len(words), -1)
    for width, (q_ids, c_ids) in buckets.items():
        q_idx, c_idx = np.concatenate(q_ids), np.concatenate(c_ids)
        queries, q_len = encode_words([w if len(w) <= width else "" for w in words], width)
        cands, c_len = encode_words([w if len(w) <= width else "" for w in train.words], width)
        dist = _pair_distances(queries, q_len, cands, c_len, q_idx, c_idx)
        order = np.lexsort((rank[c_idx], dist, q_idx))  # per query: distance, then alphabet
        first = order[np.r_[True, q_idx[order][1:] != q_idx[order][:-1]]]
        best[q_idx[first]] = c_idx[first]  # each query lies in one bucket
    return [train.prons[b][0] for b in best]
