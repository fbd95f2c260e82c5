"""Variable-length batches: lengths to masks, reversal inside each length.

Sequences of a padded batch ``xs [B, T, D]`` occupy the first ``lengths[b]``
steps; steps ``t >= lengths[b]`` are padding. These helpers work time-major
(``[T, B, ...]``), the layout the scan runs in.

Every helper is safe for any integer lengths, in range or not (traced
lengths inside ``jax.jit`` cannot be checked): a length above ``T`` acts
as ``T`` and a negative one as 0, so no index leaves the array.
"""

from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp


def length_mask(lengths: jax.Array, num_steps: int) -> jax.Array:
    """``mask[t, b] = t < lengths[b]``: ``[B] -> [T, B]`` booleans.

    >>> import jax.numpy as jnp
    >>> from lstmjax.masking import length_mask
    >>> length_mask(jnp.array([3, 1]), 4).astype(int).tolist()
    [[1, 1], [1, 0], [1, 0], [0, 0]]
    """
    return jnp.arange(num_steps)[:, None] < lengths[None, :]


def reverse_indices(lengths: jax.Array, num_steps: int) -> jax.Array:
    """Time indices that reverse each sequence inside its own length, ``[T, B]``.

    ``idx[t, b] = lengths[b] - 1 - t`` for ``t < lengths[b]`` and ``t``
    otherwise, so padding stays where it is. The map is its own inverse.
    Lengths are clipped into ``[0, T]`` first, so every index is in range.
    """
    lengths = jnp.clip(lengths, 0, num_steps)
    t = jnp.arange(num_steps)[:, None]
    return jnp.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)


def reverse_in_length(xs: jax.Array, lengths: jax.Array | None) -> jax.Array:
    """Reverses ``xs [T, B, ...]`` along time inside each sequence's length.

    With ``lengths=None`` every sequence is full and this is a plain flip.

    >>> import jax.numpy as jnp
    >>> from lstmjax.masking import reverse_in_length
    >>> xs = jnp.arange(8).reshape(4, 2)                  # [T, B]: column b is sequence b
    >>> reverse_in_length(xs, jnp.array([3, 1])).tolist() # padding stays in place
    [[4, 1], [2, 3], [0, 5], [6, 7]]
    """
    if lengths is None:
        return jnp.flip(xs, axis=0)
    idx = reverse_indices(lengths, xs.shape[0])
    idx = idx.reshape(idx.shape + (1,) * (xs.ndim - 2))
    return jnp.take_along_axis(xs, idx, axis=0)


def last_valid(ys: jax.Array, lengths: jax.Array, *, time_axis: int = 1) -> jax.Array:
    """Each sequence's output at its last valid step; zeros for length 0.

    Args:
      ys: ``[B, T, ...]`` with time on ``time_axis`` (e.g. ``[B, T, H]``, ``[B, T]``
        for one value per step, or ``[T, B, H]`` with ``time_axis=0``); the
        batch axis is the first of the others.
      lengths: ``[B]`` integers; values above ``T`` act as ``T``.
      time_axis: the time axis of ``ys``.

    Returns:
      ``ys`` without its time axis, batch first: ``[B, H]`` for ``[B, T, H]``.

    >>> import jax.numpy as jnp
    >>> from lstmjax.masking import last_valid
    >>> ys = jnp.arange(8.0).reshape(2, 4)                # [B, T]
    >>> last_valid(ys, jnp.array([3, 0])).tolist()        # ys[0, 2]; zeros for length 0
    [2.0, 0.0]
    """
    _check_last_valid(ys, lengths, time_axis)
    ys = jnp.moveaxis(ys, time_axis, 1)
    idx = jnp.clip(lengths - 1, 0, ys.shape[1] - 1)
    picked = jnp.take_along_axis(ys, idx.reshape(-1, 1, *([1] * (ys.ndim - 2))), axis=1)[:, 0]
    keep = (lengths > 0).reshape(-1, *([1] * (picked.ndim - 1)))
    return jnp.where(keep, picked, jnp.zeros_like(picked))


def _check_last_valid(ys, lengths, time_axis) -> None:
    if not hasattr(ys, "shape") or not hasattr(ys, "dtype"):
        raise TypeError(f"ys: expected an array, got {type(ys).__name__}")
    if ys.ndim < 2:
        raise ValueError(f"ys: expected rank >= 2 [B, T, ...], got shape {ys.shape}")
    if (
        isinstance(time_axis, bool)
        or not isinstance(time_axis, numbers.Integral)
        or not -ys.ndim <= time_axis < ys.ndim
    ):
        raise ValueError(f"time_axis: expected an axis of ys (shape {ys.shape}), got {time_axis!r}")
    dtype = getattr(lengths, "dtype", None)
    if dtype is None or not hasattr(lengths, "shape") or not jnp.issubdtype(dtype, jnp.integer):
        got = dtype if dtype is not None else type(lengths).__name__
        raise TypeError(f"lengths: expected an integer array, got {got}")
    batch = jnp.moveaxis(ys, time_axis, 1).shape[:1]
    if tuple(lengths.shape) != batch:
        raise ValueError(
            f"lengths: expected shape {batch} (the batch axis of ys), got {lengths.shape}"
        )
