r"""The GRU cell (Cho et al. 2014), in the "reset after" form of cuDNN and PyTorch.

Gate order in every fused matrix and bias is ``r, z, n`` (reset, update,
candidate). With ``x_t [D]`` and the previous state ``h [H]``::

    a      = x_t W_ih + b                              a [3H]
    u      = h W_hh                                    u [3H]
    r      = sigmoid(a_r + u_r)                        reset gate
    z      = sigmoid(a_z + u_z)                        update gate
    n      = tanh(a_n + r * (u_n + b_hn))              candidate
    h'     = (1 - z) * n + z * h

Cho et al. apply the reset gate before the recurrent product,
``n = tanh(a_n + (r * h) W_hn)``; applying it after lets all three recurrent
products run as ONE fused ``[H, 3H]`` matmul, and is the form PyTorch,
cuDNN and Keras (``reset_after=True``) use, so their weights load unchanged.
``b`` is PyTorch's ``b_ih`` plus ``b_hh`` on the r and z blocks; the n block of
``b_hh`` stays separate as ``b_hn`` because it is multiplied by ``r``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from lstmjax import init as initializers
from lstmjax.cells.base import (
    Cell,
    Fused,
    as_batch_shape,
    check_params_type,
    check_positive_int,
    check_shape,
    exportable,
    make_cell,
    mask_hidden,
    split_gates,
)
from lstmjax.kernels.gru_scan import gru_directions
from lstmjax.precision import canonical_compute_dtype, matmul
from lstmjax.validation import check_key


@exportable
class GRUParams(NamedTuple):
    """GRU parameters: ``w_ih [D, 3H]``, ``w_hh [H, 3H]``, ``b [3H]``, ``b_hn [H]``."""

    w_ih: jax.Array
    w_hh: jax.Array
    b: jax.Array
    b_hn: jax.Array


@dataclasses.dataclass(frozen=True)
class GRUConfig:
    """The static configuration of a GRU cell: ``gru(**asdict(config))`` rebuilds it."""

    hidden_size: int
    input_init: str = "glorot_uniform"
    recurrent_init: str = "orthogonal"
    compute_dtype: Any = None


def _fused_scan(compute_dtype):
    """The GRU's ``Fused.scan`` (``lstmjax.kernels.gru_scan.gru_directions``)."""

    def scan(params, xs, carries, mask, unroll):
        return gru_directions(
            tuple(p.w_ih for p in params),
            tuple(p.b for p in params),
            tuple(p.w_hh for p in params),
            tuple(p.b_hn for p in params),
            tuple(xs),
            tuple(carries),
            mask,
            compute_dtype,
            unroll,
        )

    return scan


def gru(
    hidden_size: int,
    *,
    input_init: str = "glorot_uniform",
    recurrent_init: str = "orthogonal",
    compute_dtype=None,
) -> Cell:
    """Builds a GRU cell (equations in the module docstring).

    Args:
      hidden_size: H.
      input_init: initialiser of ``w_ih`` (see ``lstmjax.init``).
      recurrent_init: initialiser of ``w_hh``.
      compute_dtype: matmul operand dtype, None for the params' own dtype.

    Returns:
      A ``Cell`` whose carry and output are ``h [..., H]``, whose ``config``
      is a ``GRUConfig`` and which carries the fused kernel (every option
      of this factory is one the kernel computes).
    """
    H = check_positive_int(hidden_size, "hidden_size")
    compute_dtype = canonical_compute_dtype(compute_dtype)
    config = GRUConfig(H, input_init, recurrent_init, compute_dtype)

    def init(key: jax.Array, input_size: int) -> GRUParams:
        check_key(key)
        check_positive_int(input_size, "input_size")
        k_ih, k_hh = jax.random.split(key)
        return GRUParams(
            w_ih=initializers.gate_matrix(k_ih, input_size, H, 3, input_init),
            w_hh=initializers.gate_matrix(k_hh, H, H, 3, recurrent_init),
            b=jnp.zeros((3 * H,), jnp.float32),
            b_hn=jnp.zeros((H,), jnp.float32),
        )

    def initial_carry(batch_shape=(), dtype=jnp.float32) -> jax.Array:
        return jnp.zeros(as_batch_shape(batch_shape) + (H,), dtype)

    def check_params(params, argname: str = "params") -> None:
        check_params_type(params, GRUParams, "GRU", argname)
        check_shape(params.w_ih, (None, 3 * H), f"{argname}.w_ih")
        check_shape(params.w_hh, (H, 3 * H), f"{argname}.w_hh")
        check_shape(params.b, (3 * H,), f"{argname}.b")
        check_shape(params.b_hn, (H,), f"{argname}.b_hn")

    def input_projection(params: GRUParams, xs: jax.Array) -> jax.Array:
        return matmul(xs, params.w_ih, compute_dtype) + params.b

    def recurrent_step(params: GRUParams, h: jax.Array, xp_t: jax.Array, *, hidden_mask=None):
        a_r, a_z, a_n = split_gates(xp_t, 3)
        u_r, u_z, u_n = split_gates(
            matmul(mask_hidden(h, hidden_mask), params.w_hh, compute_dtype), 3
        )
        r = jax.nn.sigmoid(a_r + u_r)
        z = jax.nn.sigmoid(a_z + u_z)
        n = jnp.tanh(a_n + r * (u_n + params.b_hn))
        h_new = ((1.0 - z) * n + z * h).astype(h.dtype)
        return h_new, h_new

    return make_cell(
        "GRU",
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
        fused=Fused(_fused_scan(compute_dtype), input_projection, recurrent_step),
    )
