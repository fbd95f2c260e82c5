"""Gradient checkpointing of a recurrence in chunks: activation memory O(sqrt T).

Backpropagation through a scan of ``T`` steps keeps every step's
activations, ``O(T)`` memory. Split into ``n = ceil(T / c)`` chunks of ``c``
steps, with each chunk's scan under ``jax.checkpoint``: the forward pass keeps
only the carry entering each chunk (``n`` carries), and the backward pass
recomputes one chunk's activations at a time (``c`` steps), so the memory is
``O(n + c)``, smallest at ``c = sqrt(T)``, for one extra forward pass of
compute (Chen et al. 2016, "Training deep nets with sublinear memory cost")::

    carry_0 -> [chunk 1: c steps] -> carry_c -> [chunk 2] -> ... -> carry_T
                 recomputed in the backward pass; only carry_k c is stored

A ``T`` that is not a multiple of ``c`` is padded with masked steps (carry
held, output zero), so results are those of the unchunked scan.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import jax
import jax.numpy as jnp


def check_remat(remat, num_steps) -> int | None:
    """The chunk length for ``remat`` (None, ``"sqrt"`` or a positive int), or None.

    ``"sqrt"`` is ``ceil(sqrt(T))``; an int longer than ``T`` is ``T`` (one chunk).
    """
    if remat is None:
        return None
    if jax.export.is_symbolic_dim(num_steps):
        raise ValueError(
            f"remat: chunking needs a known sequence length, got the symbolic {num_steps}"
        )
    if remat == "sqrt":
        return max(1, math.isqrt(max(num_steps - 1, 0)) + 1)
    if isinstance(remat, bool) or not isinstance(remat, numbers.Integral) or remat < 1:
        raise ValueError(f'remat: expected None, "sqrt" or a positive int (chunk), got {remat!r}')
    return max(1, min(int(remat), num_steps))


def chunked_scan(run: Callable, xs: jax.Array, carry, mask: jax.Array | None, chunk: int):
    """``run`` over ``xs`` in checkpointed chunks of ``chunk`` steps.

    Args:
      run: ``(xs [c, B, D], carry, mask [c, B] or None) -> (ys [c, B, O], carry)``,
        a masked recurrence (carry held and output zero where the mask is False).
      xs: ``[T, B, D]``.
      carry: leaves ``[B, ...]``.
      mask: ``[T, B]`` booleans or None.
      chunk: steps per chunk (``check_remat``).

    Returns:
      ``(ys [T, B, O], final_carry)``, equal to ``run(xs, carry, mask)``.
    """
    num_steps, batch = xs.shape[0], xs.shape[1]
    n = -(-num_steps // chunk)
    pad = n * chunk - num_steps
    if pad:
        xs = jnp.pad(xs, ((0, pad),) + ((0, 0),) * (xs.ndim - 1))
        mask = jnp.ones((num_steps, batch), bool) if mask is None else mask
        mask = jnp.pad(mask, ((0, pad), (0, 0)))
    xs_c = xs.reshape((n, chunk) + xs.shape[1:])
    mask_c = None if mask is None else mask.reshape(n, chunk, batch)

    @jax.checkpoint
    def one_chunk(carry, inputs):
        x, m = inputs
        ys, carry = run(x, carry, m)
        return carry, ys

    final, ys = jax.lax.scan(one_chunk, carry, (xs_c, mask_c))
    ys = ys.reshape((n * chunk,) + ys.shape[2:])
    return ys[:num_steps], final
