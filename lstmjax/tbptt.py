"""Truncated backpropagation through time over one long sequence, in one jitted call.

The sequence is cut into ``K`` windows of ``w`` steps. The carry passes
from each window to the next, but its gradient is stopped at every
boundary, so the backward pass of window ``k`` reaches back ``w`` steps at
most and memory is that of one window (Williams & Peng 1990; the k1 = k2
scheme)::

    carry_0 = initial carry
    (l_k, c'_k) = loss_fn(params, stop_gradient(carry_{k-1}), batch_k)
    carry_k = c'_k
    loss = mean_k l_k,   grads = mean_k d l_k / d params

One optimizer step per call. For an update after every window instead
(one window per train step, the carry kept between steps), see
``lstmjax.models.stateful_step``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import jax
import jax.numpy as jnp


def truncated_bptt(
    loss_fn: Callable, params, carry, batch, *, window: int, time_axis: int = 1, has_aux=False
):
    """Loss and gradient of ``loss_fn`` over ``batch`` by truncated BPTT (module doc).

    Args:
      loss_fn: ``(params, carry, window_batch) -> (loss, new_carry)`` (or
        ``(loss, (new_carry, aux))`` with ``has_aux``), a scalar loss of one window.
      params: the params to differentiate.
      carry: the carry entering the first window.
      batch: a pytree of arrays, each with time on ``time_axis`` (e.g. inputs
        ``[B, T, D]`` and targets ``[B, T]``), ``T`` a multiple of ``window``.
      window: steps per window, ``w``.
      time_axis: the time axis of every leaf of ``batch``.
      has_aux: ``loss_fn`` also returns per-window ``aux``, stacked ``[K, ...]``.

    Returns:
      ``(loss, grads, final_carry)``, or ``(loss, grads, final_carry, aux)``
      with ``has_aux``: the mean over windows of the loss and of its gradient,
      and the carry after the last window (its gradient stopped).

    >>> import jax, jax.numpy as jnp, lstmjax as lj
    >>> cell = lj.lstm(4)
    >>> params = cell.init(jax.random.key(0), 3)
    >>> def loss_fn(params, carry, batch):
    ...     ys, carry = lj.rnn(cell, params, batch["x"], initial_carry=carry)
    ...     return jnp.mean((ys[..., 0] - batch["y"]) ** 2), carry
    >>> batch = {"x": jnp.ones((2, 12, 3)), "y": jnp.zeros((2, 12))}   # [B, T, D], [B, T]
    >>> loss, grads, final = lj.truncated_bptt(
    ...     loss_fn, params, cell.initial_carry((2,)), batch, window=4)  # 3 windows
    >>> loss.shape, final.h.shape
    ((), (2, 4))
    >>> jax.tree.structure(grads) == jax.tree.structure(params)
    True
    """
    if isinstance(window, bool) or not isinstance(window, numbers.Integral) or window < 1:
        raise ValueError(f"window: expected a positive int, got {window!r}")
    leaves = jax.tree.leaves(batch)
    if not leaves:
        raise ValueError("batch: expected at least one array, got none")
    lengths = {leaf.shape[time_axis] for leaf in leaves}
    if len(lengths) != 1:
        raise ValueError(f"batch: expected one length T on axis {time_axis}, got {sorted(lengths)}")
    (num_steps,) = lengths
    if num_steps % window:
        raise ValueError(f"window: expected a divisor of T = {num_steps}, got {window}")
    num_windows = num_steps // window

    def windows(x):
        x = jnp.moveaxis(x, time_axis, 0)
        x = x.reshape((num_windows, window) + x.shape[1:])
        return jnp.moveaxis(x, 1, time_axis + 1)

    def one_window(state, window_batch):
        carry, grads, total = state

        def loss(p):
            value, out = loss_fn(p, jax.lax.stop_gradient(carry), window_batch)
            return value, out

        (value, out), g = jax.value_and_grad(loss, has_aux=True)(params)
        new_carry, aux = out if has_aux else (out, None)
        grads = jax.tree.map(jnp.add, grads, g)
        return (new_carry, grads, total + value), aux

    zeros = jax.tree.map(jnp.zeros_like, params)
    init = (carry, zeros, jnp.zeros((), jnp.float32))
    (final, grads, total), aux = jax.lax.scan(one_window, init, jax.tree.map(windows, batch))
    grads = jax.tree.map(lambda g: g / num_windows, grads)
    final = jax.lax.stop_gradient(final)
    loss = total / num_windows
    return (loss, grads, final, aux) if has_aux else (loss, grads, final)
