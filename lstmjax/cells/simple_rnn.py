r"""The plain (Elman) recurrent cell, the baseline the LSTM improves on.

With ``x_t [D]`` and the previous state ``h [H]``::

    h' = tanh(x_t W_ih + b + h W_hh)        (relu instead of tanh if asked)

Its gradient through time is a product of ``diag(1 - h'^2) W_hh^T`` factors,
which shrinks (or grows) geometrically with the distance between two steps:
the vanishing-gradient problem that the LSTM's additive cell state avoids.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from lstmjax import init as initializers
from lstmjax.cells.base import (
    Cell,
    as_batch_shape,
    check_params_type,
    check_positive_int,
    check_shape,
    exportable,
    make_cell,
    mask_hidden,
)
from lstmjax.precision import canonical_compute_dtype, matmul
from lstmjax.validation import check_key

_NONLINEARITIES = {"tanh": jnp.tanh, "relu": jax.nn.relu}


@exportable
class SimpleRNNParams(NamedTuple):
    """Elman RNN parameters: ``w_ih [D, H]``, ``w_hh [H, H]``, ``b [H]``."""

    w_ih: jax.Array
    w_hh: jax.Array
    b: jax.Array


@dataclasses.dataclass(frozen=True)
class SimpleRNNConfig:
    """The static configuration of a plain RNN cell: ``simple_rnn(**asdict(config))``."""

    hidden_size: int
    nonlinearity: str = "tanh"
    input_init: str = "glorot_uniform"
    recurrent_init: str = "orthogonal"
    compute_dtype: Any = None


def simple_rnn(
    hidden_size: int,
    *,
    nonlinearity: str = "tanh",
    input_init: str = "glorot_uniform",
    recurrent_init: str = "orthogonal",
    compute_dtype=None,
) -> Cell:
    """Builds a plain tanh (or relu) RNN cell.

    Args:
      hidden_size: H.
      nonlinearity: ``"tanh"`` or ``"relu"``.
      input_init: initialiser of ``w_ih`` (see ``lstmjax.init``).
      recurrent_init: initialiser of ``w_hh``.
      compute_dtype: matmul operand dtype, None for the params' own dtype.

    Returns:
      A ``Cell`` whose carry and output are ``h [..., H]`` and whose
      ``config`` is a ``SimpleRNNConfig``.
    """
    H = check_positive_int(hidden_size, "hidden_size")
    if nonlinearity not in _NONLINEARITIES:
        raise ValueError(
            f"nonlinearity: expected one of {sorted(_NONLINEARITIES)}, got {nonlinearity!r}"
        )
    activation = _NONLINEARITIES[nonlinearity]
    compute_dtype = canonical_compute_dtype(compute_dtype)
    config = SimpleRNNConfig(H, nonlinearity, input_init, recurrent_init, compute_dtype)

    def init(key: jax.Array, input_size: int) -> SimpleRNNParams:
        check_key(key)
        check_positive_int(input_size, "input_size")
        k_ih, k_hh = jax.random.split(key)
        return SimpleRNNParams(
            w_ih=initializers.gate_matrix(k_ih, input_size, H, 1, input_init),
            w_hh=initializers.gate_matrix(k_hh, H, H, 1, recurrent_init),
            b=jnp.zeros((H,), jnp.float32),
        )

    def initial_carry(batch_shape=(), dtype=jnp.float32) -> jax.Array:
        return jnp.zeros(as_batch_shape(batch_shape) + (H,), dtype)

    def check_params(params, argname: str = "params") -> None:
        check_params_type(params, SimpleRNNParams, "SimpleRNN", argname)
        check_shape(params.w_ih, (None, H), f"{argname}.w_ih")
        check_shape(params.w_hh, (H, H), f"{argname}.w_hh")
        check_shape(params.b, (H,), f"{argname}.b")

    def input_projection(params: SimpleRNNParams, xs: jax.Array) -> jax.Array:
        return matmul(xs, params.w_ih, compute_dtype) + params.b

    def recurrent_step(params: SimpleRNNParams, h: jax.Array, xp_t: jax.Array, *, hidden_mask=None):
        zh = matmul(mask_hidden(h, hidden_mask), params.w_hh, compute_dtype)
        h_new = activation(xp_t + zh).astype(h.dtype)
        return h_new, h_new

    return make_cell(
        "SimpleRNN",
        H,
        H,
        compute_dtype,
        init=init,
        initial_carry=initial_carry,
        input_projection=input_projection,
        recurrent_step=recurrent_step,
        check_params=check_params,
        input_size=lambda params: params.w_ih.shape[-2],
        config=config,
    )
