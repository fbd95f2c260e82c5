"""Carries a stateful model needs: learned initial states, broadcasting, resets.

A carry is a pytree whose leaves are ``[*lead, *batch_shape, F]`` (``lead`` is
``()`` for a cell, ``(2,)`` for a bidirectional layer; a stack's carry is a
tuple of its layers'). A **learned initial state** is such a pytree without
the batch dimensions, ``[*lead, F]``, trained with the other params and
broadcast over the batch (here a bidirectional GRU, ``lead = (2,)``):

>>> import jax, jax.numpy as jnp, lstmjax as lj
>>> layer = lj.bidirectional(lj.gru(4))
>>> h0 = lj.learned_initial_carry(layer)          # zeros, leaves [*lead, F]
>>> h0.shape
(2, 4)
>>> params = {"rnn": layer.init(jax.random.key(0), 3), "h0": h0}
>>> xs = jnp.ones((2, 5, 3))                      # [B, T, D]
>>> ys, final = layer.apply(
...     params["rnn"], xs, initial_carry=lj.broadcast_carry(layer, params["h0"], (2,))
... )
>>> ys.shape, final.shape                         # [B, T, 2H], [*lead, B, F]
((2, 5, 8), (2, 2, 4))

Resetting rows of a carry passed between batches, where a new document
starts (``reset[b]`` True):

>>> reset = jnp.array([True, False])              # [B]
>>> carry = lj.reset_carry(final, reset, layer.initial_carry((2,)))
>>> bool(jnp.all(carry[:, 0] == 0)), bool(jnp.all(carry[:, 1] == final[:, 1]))
(True, True)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from lstmjax.cells.base import as_batch_shape
from lstmjax.validation import check_layer


def learned_initial_carry(layer, dtype=jnp.float32):
    """Zeros in the layer's carry structure without batch dimensions: leaves ``[*lead, F]``."""
    check_layer(layer)
    return layer.initial_carry((), dtype)


def broadcast_carry(layer, carry, batch_shape):
    """``carry`` (leaves ``[*lead, F]``) repeated over ``batch_shape``: ``[*lead, *batch, F]``.

    Differentiable: the gradient of each learned leaf is the sum over the batch.
    """
    check_layer(layer)
    batch_shape = as_batch_shape(batch_shape)
    target = jax.eval_shape(lambda: layer.initial_carry(batch_shape))
    want, got = jax.tree.structure(target), jax.tree.structure(carry)
    if want != got:
        raise TypeError(f"carry: expected a pytree like {want}, got {got}")
    k = len(batch_shape)

    def expand(leaf, like):
        leaf = jnp.asarray(leaf)
        if leaf.ndim + k != like.ndim or leaf.shape[-1] != like.shape[-1]:
            raise ValueError(
                f"carry: expected leaves of shape {like.shape[: -1 - k] + like.shape[-1:]} "
                f"(no batch dimensions), got {leaf.shape}"
            )
        lead = leaf.shape[:-1]
        leaf = leaf.reshape(lead + (1,) * k + leaf.shape[-1:])
        return jnp.broadcast_to(leaf, like.shape).astype(like.dtype)

    return jax.tree.map(expand, carry, target)


def reset_carry(carry, reset: jax.Array, initial):
    """``initial`` where ``reset[b]`` is True, ``carry`` elsewhere (per batch row).

    Args:
      carry: leaves ``[*lead, B, F]``.
      reset: ``[B]`` booleans (e.g. a document starts in row ``b``).
      initial: the carry to restart from, in ``carry``'s structure and shapes
        (``layer.initial_carry((B,))`` or a broadcast learned state).

    Returns:
      The carry, each leaf ``where(reset[:, None], initial, carry)``.
    """
    reset = jnp.asarray(reset)
    if reset.dtype != jnp.bool_ or reset.ndim != 1:
        raise TypeError(
            f"reset: expected a [B] boolean array, got {reset.dtype}{list(reset.shape)}"
        )
    if jax.tree.structure(carry) != jax.tree.structure(initial):
        raise TypeError(
            f"initial: expected the structure of carry {jax.tree.structure(carry)}, "
            f"got {jax.tree.structure(initial)}"
        )

    def pick(c, i):
        if c.shape != i.shape or c.ndim < 2 or c.shape[-2] != reset.shape[0]:
            raise ValueError(
                f"reset: expected carry leaves [..., {reset.shape[0]}, F] matching initial, "
                f"got {c.shape} and {i.shape}"
            )
        return jnp.where(reset[:, None], i, c)

    return jax.tree.map(pick, carry, initial)
