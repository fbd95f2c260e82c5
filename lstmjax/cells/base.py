"""The interface every cell implements, and the checks cells share.

A cell is a NamedTuple of pure functions (optax style) plus its static sizes.
The sequence functions (``lstmjax.rnn`` and friends) only ever call these:

- ``init(key, input_size) -> params``: a NamedTuple pytree of arrays.
- ``initial_carry(batch_shape=(), dtype=float32) -> carry``: zeros.
- ``input_projection(params, xs) -> xp``: ``[..., D] -> [..., G*H]``, the
  part of the pre-activations that depends on the input only (``x W_ih + b``).
  The sequence functions call it ONCE on all ``T`` steps before the scan.
- ``recurrent_step(params, carry, xp_t) -> (carry, y_t)``: the part that
  depends on the previous carry; the body of the scan.
- ``step(params, carry, x_t) -> (carry, y_t)``: one whole time step, i.e.
  ``recurrent_step(params, carry, input_projection(params, x_t))``.
- ``check_params(params, argname="params")``: raises ``TypeError`` or
  ``ValueError`` naming ``argname`` when the params are not this cell's.

Running a cell by hand over a sequence ``xs [T, B, D]``::

    carry = cell.initial_carry(batch_shape=(B,))
    step = lambda carry, x_t: cell.step(params, carry, x_t)
    final, ys = jax.lax.scan(step, carry, xs)        # ys [T, B, output_size]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp


class Cell(NamedTuple):
    """A recurrent cell: static sizes plus pure functions (see module doc)."""

    name: str
    hidden_size: int
    output_size: int
    compute_dtype: Any
    init: Callable
    initial_carry: Callable
    input_projection: Callable
    recurrent_step: Callable
    step: Callable
    check_params: Callable


def make_cell(
    name: str,
    hidden_size: int,
    output_size: int,
    compute_dtype,
    *,
    init: Callable,
    initial_carry: Callable,
    input_projection: Callable,
    recurrent_step: Callable,
    check_params: Callable,
) -> Cell:
    """Assembles a ``Cell``; ``step`` is the input projection then the recurrence."""

    def step(params, carry, x_t):
        return recurrent_step(params, carry, input_projection(params, x_t))

    return Cell(
        name=name,
        hidden_size=hidden_size,
        output_size=output_size,
        compute_dtype=compute_dtype,
        init=init,
        initial_carry=initial_carry,
        input_projection=input_projection,
        recurrent_step=recurrent_step,
        step=step,
        check_params=check_params,
    )


class LayerNormParams(NamedTuple):
    """Gain and shift of a layer normalisation over the last axis, ``[N]`` each."""

    scale: jax.Array
    bias: jax.Array


def apply_layer_norm(x: jax.Array, params: LayerNormParams, eps: float = 1e-5) -> jax.Array:
    """``(x - mean(x)) / sqrt(var(x) + eps) * scale + bias`` over the last axis.

    Overflow-safe: rows are first divided by ``s = max(1, max|x|)`` (a constant
    for autodiff), which leaves the result unchanged when ``eps`` becomes
    ``eps / s**2``; so the variance of a row at |x| = 1e30 never overflows and
    values and gradients stay finite in float32 and bfloat16. Rows with
    ``max|x| <= 1`` compute exactly as the plain two-pass formula. The
    ``eps / s**2`` term is floored at the dtype's smallest normal so a constant
    huge row gives 0, not 0 * inf.
    """
    scale = jax.lax.stop_gradient(
        jnp.maximum(jnp.max(jnp.abs(x), axis=-1, keepdims=True), jnp.ones((), x.dtype))
    )
    y = x / scale
    mean = jnp.mean(y, axis=-1, keepdims=True)
    var = jnp.mean(jnp.square(y - mean), axis=-1, keepdims=True)
    tiny = jnp.finfo(x.dtype).tiny if jnp.issubdtype(x.dtype, jnp.floating) else 0.0
    eps_scaled = jnp.maximum(eps / jnp.square(scale.astype(jnp.float32)), tiny).astype(var.dtype)
    return (y - mean) * jax.lax.rsqrt(var + eps_scaled) * params.scale + params.bias


def layer_norm_init(size: int) -> LayerNormParams:
    return LayerNormParams(jnp.ones((size,), jnp.float32), jnp.zeros((size,), jnp.float32))


def check_positive_int(value, argname: str) -> int:
    """Returns ``value`` if it is a positive int, else raises naming ``argname``."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{argname}: expected a positive int, got {value!r}")
    return value


def check_params_type(params, expected: type, cell_name: str, argname: str) -> None:
    if not isinstance(params, expected):
        raise TypeError(
            f"{argname}: expected {expected.__name__} for this {cell_name} cell, "
            f"got {type(params).__name__}"
        )


def check_shape(array, expected: tuple, argname: str) -> None:
    """Raises ``ValueError`` unless ``array.shape == expected`` (None matches any)."""
    shape = getattr(array, "shape", None)
    if (
        shape is None
        or len(shape) != len(expected)
        or any(e is not None and s != e for s, e in zip(shape, expected))
    ):
        want = "(" + ", ".join("*" if e is None else str(e) for e in expected) + ")"
        raise ValueError(f"{argname}: expected shape {want}, got {shape}")


def split_gates(z: jax.Array, num_gates: int) -> list[jax.Array]:
    """Splits ``[..., G*H]`` into G arrays ``[..., H]`` (static slices)."""
    return jnp.split(z, num_gates, axis=-1)
