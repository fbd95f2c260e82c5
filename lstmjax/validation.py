"""Trace-time checks of the arguments of the sequence functions.

Each raises ``TypeError`` or ``ValueError`` with a message that names the
argument, what was expected and what came. All checks read static shapes and
dtypes; ``lengths`` values are checked only when they are concrete (outside
``jax.jit``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def check_inputs(xs, input_size: int, *, time_major: bool) -> tuple[int, tuple[int, ...]]:
    """Checks ``xs`` and returns ``(num_steps, batch_shape)``."""
    if not hasattr(xs, "shape") or not hasattr(xs, "dtype"):
        raise TypeError(f"xs: expected an array, got {type(xs).__name__}")
    if not jnp.issubdtype(xs.dtype, jnp.floating):
        raise TypeError(f"xs: expected a floating dtype, got {xs.dtype}")
    layout = "[T, ..., D]" if time_major else "[..., T, D]"
    if xs.ndim < 2:
        raise ValueError(f"xs: expected rank >= 2 {layout}, got shape {xs.shape}")
    if xs.shape[-1] != input_size:
        raise ValueError(
            f"xs: expected {input_size} features (the params' input size) in the last "
            f"axis of {layout}, got shape {xs.shape}"
        )
    if time_major:
        return xs.shape[0], tuple(xs.shape[1:-1])
    return xs.shape[-2], tuple(xs.shape[:-2])


def check_lengths(lengths, batch_shape: tuple[int, ...], num_steps: int) -> None:
    """Checks that ``lengths`` is an integer array of ``batch_shape`` in ``[0, T]``."""
    if lengths is None:
        return
    if not hasattr(lengths, "shape") or not hasattr(lengths, "dtype"):
        raise TypeError(f"lengths: expected an integer array, got {type(lengths).__name__}")
    if not jnp.issubdtype(lengths.dtype, jnp.integer):
        raise TypeError(f"lengths: expected an integer dtype, got {lengths.dtype}")
    if tuple(lengths.shape) != batch_shape:
        raise ValueError(
            f"lengths: expected shape {batch_shape} (the batch shape of xs), got {lengths.shape}"
        )
    try:
        values = np.asarray(lengths)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        return
    if values.size and (values.min() < 0 or values.max() > num_steps):
        raise ValueError(
            f"lengths: expected values in [0, {num_steps}] (T), got min {values.min()} "
            f"and max {values.max()}"
        )


def check_carry(carry, expected, argname: str = "initial_carry") -> None:
    """Checks that ``carry`` has the tree structure and shapes of ``expected``."""
    if carry is None:
        return
    want, got = jax.tree.structure(expected), jax.tree.structure(carry)
    if want != got:
        raise TypeError(f"{argname}: expected a pytree like {want}, got {got}")
    for w, g in zip(jax.tree.leaves(expected), jax.tree.leaves(carry)):
        if tuple(w.shape) != tuple(g.shape):
            raise ValueError(
                f"{argname}: expected leaf shapes {[x.shape for x in jax.tree.leaves(expected)]}, "
                f"got {[jnp.shape(x) for x in jax.tree.leaves(carry)]}"
            )
