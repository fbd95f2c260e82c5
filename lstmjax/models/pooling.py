"""Summaries of a variable-length sequence of outputs, ``[B, T, H] -> [B, H]``.

- ``"mean"``: the mean over each sequence's valid steps,
  ``p_b = sum_(t < L_b) y_(b,t) / max(L_b, 1)``; a bidirectional layer's
  forward and backward halves both see the whole sequence in it.
- ``"last"``: the output at each sequence's last valid step
  (``lstmjax.last_valid``), the usual summary of a forward-only encoder.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from lstmjax.masking import last_valid

POOLS = ("mean", "last")


def masked_mean(ys: jax.Array, lengths: jax.Array) -> jax.Array:
    """``ys [B, T, H]``, ``lengths [B]`` -> ``[B, H]``: the mean over valid steps (0 if none)."""
    mask = (jnp.arange(ys.shape[1])[None, :] < lengths[:, None]).astype(ys.dtype)
    total = jnp.einsum("bth,bt->bh", ys, mask)
    return total / jnp.maximum(lengths, 1).astype(ys.dtype)[:, None]


def pool(ys: jax.Array, lengths: jax.Array, how: str) -> jax.Array:
    """One of ``POOLS`` over the time axis of ``ys [B, T, H]``."""
    if how == "mean":
        return masked_mean(ys, lengths)
    if how == "last":
        return last_valid(ys, lengths)
    raise ValueError(f"how: expected one of {POOLS}, got {how!r}")
