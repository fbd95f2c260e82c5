"""Stateful training: the recurrent carry passes from one batch to the next.

The training toolkit's ``TrainState`` holds params, optimizer state, step and
key; truncated backpropagation through time over one long stream also needs
the carry at the end of the previous window. ``StatefulState`` adds it, and
the step resets it where the batch says so (at an epoch's first window)::

    carry  = initial_carry if batch.reset else state.carry
    loss, (metrics, carry') = loss_fn(params, batch, carry, key)
    state' = (params - update, ..., carry = stop_gradient(carry'))

Gradients flow through each window only (the truncation); the carry is part
of the checkpointed state, so a resumed run continues bitwise. The state has
the fields ``lstmjax.train.fit`` reads (``params``, ``step``), so ``fit``
drives it unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lstmjax.train.mesh import keep_replicated, split_rows


class StatefulState(NamedTuple):
    """``lstmjax.train.TrainState``'s fields plus the carry between batches (leaves ``[B, F]``)."""

    params: Any
    opt_state: Any
    step: jax.Array
    key: jax.Array
    carry: Any


class StreamBatch(NamedTuple):
    """``inputs [B, S]``, ``targets [B, S]``; ``reset``: start from the initial carry."""

    inputs: Any
    targets: Any
    reset: Any


def create_stateful_state(params, optimizer, *, key: jax.Array, carry) -> StatefulState:
    """The state at step 0 with ``carry`` (usually zeros, leaves ``[B, F]``) as running carry."""
    return StatefulState(params, optimizer.init(params), jnp.zeros((), jnp.int32), key, carry)


def make_stateful_train_step(
    loss_fn: Callable, optimizer: optax.GradientTransformation, initial_carry, *, mesh=None
) -> Callable:
    """Builds the jitted ``step(state, batch) -> (state, metrics)``.

    Args:
      loss_fn: ``(params, batch, carry, key) -> (loss, (metrics, new_carry))``.
      optimizer: any Optax transformation (``lstmjax.train.with_clipping`` for clipping).
      initial_carry: the carry a reset starts from, leaves ``[B, F]`` as the state's.
      mesh: a mesh with a ``"data"`` axis (``lstmjax.train.data_mesh``) for
        data parallelism: the batch rows and the carry's rows split over it,
        the rest of the state replicated; None for one device.
    """

    def step(state: StatefulState, batch: StreamBatch):
        key, step_key = jax.random.split(state.key)
        carry = jax.tree.map(
            lambda init, c: jnp.where(batch.reset, init, c), initial_carry, state.carry
        )
        (loss, (metrics, new_carry)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            state.params, batch, carry, step_key
        )
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        metrics = {"loss": loss, "grad_norm": optax.tree.norm(grads), **metrics}
        metrics = {k: jnp.asarray(v, jnp.float32) for k, v in metrics.items()}
        new_carry = jax.lax.stop_gradient(new_carry)
        return StatefulState(params, opt_state, state.step + 1, key, new_carry), metrics

    if mesh is None:
        return jax.jit(step)

    def sharded_step(state: StatefulState, batch: StreamBatch):
        state = keep_replicated(state._replace(carry=None), mesh)._replace(
            carry=split_rows(state.carry, mesh)
        )
        state, metrics = step(state, split_rows(batch, mesh))
        rows = split_rows(state.carry, mesh)
        return keep_replicated(state._replace(carry=None), mesh)._replace(carry=rows), (
            keep_replicated(metrics, mesh)
        )

    return jax.jit(sharded_step)
