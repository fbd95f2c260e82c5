"""Phoneme and word error rates of grapheme-to-phoneme output, with several references.

A word may have several correct pronunciations ``r_1 .. r_k``; a hypothesis
``h`` is scored against the closest one::

    d_w   = min_j ED(r_j, h)              (ED: Levenshtein over phonemes)
    r*_w  = the first r_j reaching d_w
    PER   = sum_w d_w / sum_w |r*_w|
    WER   = (1 / W) sum_w [d_w > 0]       (a word is right iff h equals some r_j)

Distances come from ``lstmjax.ctc.edit_distance`` (batched, jitted) in
fixed-size chunks, so a few shapes compile.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from lstmjax.ctc import edit_distance

CHUNK = 8192
_distances = jax.jit(edit_distance)


def _pad(seqs: Sequence[Sequence[int]], width: int) -> tuple[np.ndarray, np.ndarray]:
    ids = np.zeros((len(seqs), width), np.int32)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = s
    return ids, np.array([len(s) for s in seqs], np.int32)


def pair_distances(refs: Sequence[Sequence[int]], hyps: Sequence[Sequence[int]]) -> np.ndarray:
    """``[P]`` Levenshtein distances of ``refs[p]`` and ``hyps[p]`` (int token sequences)."""
    if len(refs) != len(hyps):
        raise ValueError(f"hyps: expected {len(refs)} sequences (one per ref), got {len(hyps)}")
    if not refs:
        return np.zeros((0,), np.int32)
    n = 8 * (max(len(s) for s in refs) // 8 + 1)
    m = 8 * (max(len(s) for s in hyps) // 8 + 1)
    out = []
    for start in range(0, len(refs), CHUNK):
        r, rl = _pad(refs[start : start + CHUNK], n)
        h, hl = _pad(hyps[start : start + CHUNK], m)
        short = CHUNK - len(r) if len(refs) > CHUNK else 0
        if short:
            r, rl, h, hl = (
                np.pad(x, [(0, short)] + [(0, 0)] * (x.ndim - 1)) for x in (r, rl, h, hl)
            )
        d = _distances(jnp.asarray(r), jnp.asarray(rl), jnp.asarray(h), jnp.asarray(hl))
        out.append(np.asarray(d)[: CHUNK - short])
    return np.concatenate(out)


def word_errors(references: Sequence[Sequence[Sequence]], hypotheses: Sequence[Sequence]):
    """``(d [W], ref_lengths [W])``: the module doc's ``d_w`` and ``|r*_w|`` per word.

    Args:
      references: per word, its correct pronunciations (sequences of phonemes).
      hypotheses: per word, one predicted pronunciation.
    """
    if len(references) != len(hypotheses):
        raise ValueError(
            f"hypotheses: expected {len(references)} (one per word), got {len(hypotheses)}"
        )
    if any(len(refs) == 0 for refs in references):
        raise ValueError("references: expected at least one pronunciation per word")
    vocab: dict = {}
    ids = lambda seq: [vocab.setdefault(tok, len(vocab)) for tok in seq]
    owner, flat_refs, flat_hyps = [], [], []
    for w, (refs, hyp) in enumerate(zip(references, hypotheses)):
        h = ids(hyp)
        for ref in refs:
            owner.append(w)
            flat_refs.append(ids(ref))
            flat_hyps.append(h)
    dist = pair_distances(flat_refs, flat_hyps)
    d = np.full(len(references), np.iinfo(np.int32).max, np.int64)
    ref_len = np.zeros(len(references), np.int64)
    for w, dw, ref in zip(owner, dist.tolist(), flat_refs):
        if dw < d[w]:
            d[w], ref_len[w] = dw, len(ref)
    return d, ref_len


def error_rates(references, hypotheses) -> dict:
    """``{"per": PER, "wer": WER}`` of the module doc, and ``"wrong" [W]``: whether
    each word's pronunciation is wrong (``d_w > 0``; what a paired test compares)."""
    if not references:
        raise ValueError("references: expected at least one word, got none")
    d, ref_len = word_errors(references, hypotheses)
    return {"per": float(d.sum() / ref_len.sum()), "wer": float(np.mean(d > 0)), "wrong": d > 0}
