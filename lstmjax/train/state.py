"""The train state: everything that changes from one training step to the next.

``TrainState`` is a NamedTuple pytree, so it passes through ``jax.jit``,
checkpoints with Orbax as one tree, and compares leaf by leaf in tests:

>>> import jax, jax.numpy as jnp, optax
>>> from lstmjax.train import create_state
>>> params = {"w": jnp.zeros((3, 2))}
>>> state = create_state(params, optax.adam(1e-3), key=jax.random.key(0))
>>> state.params["w"].shape            # the model's pytree
(3, 2)
>>> type(state.opt_state[0]).__name__  # optimizer.init(params)
'ScaleByAdamState'
>>> state.step.dtype, state.step.shape, int(state.step)   # the number of updates applied
(dtype('int32'), (), 0)
>>> state.key.dtype                    # PRNG key, split once per step (dropout, sampling)
key<fry>
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax


class TrainState(NamedTuple):
    """Params, optimizer state, step count and PRNG key (see module doc)."""

    params: Any
    opt_state: Any
    step: jax.Array
    key: jax.Array


def create_state(params, optimizer: optax.GradientTransformation, *, key: jax.Array) -> TrainState:
    """The state at step 0: ``optimizer.init(params)``, ``step = 0`` (int32 array).

    ``step`` is an array, not a Python int, so the jitted train step sees the
    same types on every call and compiles once.
    """
    return TrainState(
        params=params,
        opt_state=optimizer.init(params),
        step=jnp.zeros((), jnp.int32),
        key=key,
    )
