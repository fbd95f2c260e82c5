r"""Convolutional recurrent cells: ConvLSTM (Shi et al. 2015) and ConvGRU (Ballas et al. 2016).

Each step reads a frame ``X_t [height, width, C]`` and keeps a state of the
same spatial size with ``F`` channels; the matrix products of the dense
cells become 2-D convolutions ``*`` ("same" padding, stride 1), so each
pixel's gates see a ``k x k`` neighbourhood of the input and of the state.
ConvLSTM, gate order ``i, f, g, o`` as in ``lstmjax.lstm`` (no peepholes)::

    Z   = W_x * X_t + b + W_h * H_{t-1}                       [height, width, 4F]
    i, f, o = sigmoid(Z_i), sigmoid(Z_f), sigmoid(Z_o);  g = tanh(Z_g)
    C_t = f . C_{t-1} + i . g;    H_t = o . tanh(C_t)

ConvGRU, gate order ``r, z, n``, the reset gate applied before the
recurrent convolution as in Ballas et al.::

    A   = W_x * X_t + b                                       [height, width, 3F]
    r, z = sigmoid(A_r + U_r * H), sigmoid(A_z + U_z * H)
    n   = tanh(A_n + U_n * (r . H));    H_t = (1 - z) . n + z . H

Both are cells of the layer protocol with ``feature_ndim = 3``: sequences
are ``xs [..., T, height, width, C]``, and lengths, ``reverse``,
bidirectional layers, stacks and ``step`` work as for the dense cells. The
input convolution ``W_x * X_t + b`` is the ``input_projection``, run ONCE on
all ``T`` frames before the scan; only the state convolutions run per step.
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
    check_real,
    check_shape,
    exportable,
    make_cell,
    split_gates,
)
from lstmjax.cells.lstm import LSTMState
from lstmjax.kernels import tuning
from lstmjax.kernels.conv_patches import conv2d_as_matmul
from lstmjax.precision import canonical_compute_dtype, state_dtype
from lstmjax.validation import check_key


@exportable
class ConvParams(NamedTuple):
    """``w_x [k, k, C, G F]`` (input), ``w_h [k, k, F, G F]`` (state), ``b [G F]``."""

    w_x: jax.Array
    w_h: jax.Array
    b: jax.Array


@dataclasses.dataclass(frozen=True)
class ConvLSTMConfig:
    """A ConvLSTM's static configuration: ``conv_lstm(**asdict(config))`` rebuilds it."""

    filters: int
    spatial_shape: tuple
    kernel_size: int = 3
    forget_bias: float = 1.0
    compute_dtype: Any = None


@dataclasses.dataclass(frozen=True)
class ConvGRUConfig:
    """A ConvGRU's static configuration: ``conv_gru(**asdict(config))`` rebuilds it."""

    filters: int
    spatial_shape: tuple
    kernel_size: int = 3
    compute_dtype: Any = None


def conv2d(x: jax.Array, w: jax.Array, compute_dtype=None, *, as_matmul=None) -> jax.Array:
    """A "same"-padded, stride-1 convolution: ``x [..., height, width, C]``, ``w [k, k, C, N]``.

    Any leading axes are flattened into one batch for the convolution.
    Returns ``[..., height, width, N]`` in float32 or wider. ``as_matmul``
    picks the implementation: XLA's convolution (False) or one matrix
    product over patches (True, ``lstmjax.kernels.conv_patches``; the same
    numbers up to the order of the sums); None: the backend's measured
    choice (``tuning.CONV_AS_MATMUL``: patches on CPU).
    """
    out_dtype = state_dtype(x.dtype, w.dtype)
    if compute_dtype is not None:
        x, w = x.astype(compute_dtype), w.astype(compute_dtype)
    lead = x.shape[:-3]
    flat = x.reshape((-1,) + x.shape[-3:])
    if tuning.conv_as_matmul() if as_matmul is None else as_matmul:
        y = conv2d_as_matmul(flat, w, out_dtype)
    else:
        y = jax.lax.conv_general_dilated(
            flat,
            w,
            window_strides=(1, 1),
            padding="SAME",
            dimension_numbers=("NHWC", "HWIO", "NHWC"),
            preferred_element_type=out_dtype,
        )
    return y.reshape(lead + y.shape[1:]).astype(out_dtype)


def _spatial_shape(value) -> tuple:
    try:
        shape = tuple(value)
    except TypeError as err:
        raise TypeError(f"spatial_shape: expected (height, width), got {value!r}") from err
    if len(shape) != 2:
        raise ValueError(f"spatial_shape: expected (height, width), got {value!r}")
    return tuple(check_positive_int(d, "spatial_shape") for d in shape)


def _conv_cell(name, num_gates, filters, spatial_shape, kernel_size, compute_dtype, bias):
    """What ConvLSTM and ConvGRU share: ``(make_cell arguments, zero state)``.

    The arguments are ``init``, ``check_params``, ``input_projection`` (the
    input convolution plus bias), ``input_size`` and ``feature_ndim``; the zero
    state is ``(batch_shape, dtype) -> [*batch_shape, height, width, F]``.
    """
    F = check_positive_int(filters, "filters")
    k = check_positive_int(kernel_size, "kernel_size")
    if k % 2 == 0:
        raise ValueError(f"kernel_size: expected an odd size (centred 'same' padding), got {k}")
    height, width = _spatial_shape(spatial_shape)
    G = num_gates

    def init(key: jax.Array, input_size: int) -> ConvParams:
        check_key(key)
        C = check_positive_int(input_size, "input_size")
        k_x, k_h = jax.random.split(key)
        w_x = initializers.gate_matrix(k_x, k * k * C, F, G, "glorot_uniform")
        w_h = initializers.gate_matrix(k_h, k * k * F, F, G, "orthogonal")
        return ConvParams(
            w_x=w_x.reshape(k, k, C, G * F), w_h=w_h.reshape(k, k, F, G * F), b=bias()
        )

    def check_params(params, argname: str = "params") -> None:
        check_params_type(params, ConvParams, name, argname)
        check_shape(params.w_x, (k, k, None, G * F), f"{argname}.w_x")
        check_shape(params.w_h, (k, k, F, G * F), f"{argname}.w_h")
        check_shape(params.b, (G * F,), f"{argname}.b")

    def input_projection(params: ConvParams, xs: jax.Array) -> jax.Array:
        if tuple(xs.shape[-3:-1]) != (height, width):
            raise ValueError(
                f"xs: expected frames of spatial shape {(height, width)} (the cell's "
                f"spatial_shape), got {tuple(xs.shape[-3:-1])} in shape {xs.shape}"
            )
        return conv2d(xs, params.w_x, compute_dtype) + params.b

    def zeros(batch_shape=(), dtype=jnp.float32):
        return jnp.zeros(as_batch_shape(batch_shape) + (height, width, F), dtype)

    return (
        dict(
            init=init,
            check_params=check_params,
            input_projection=input_projection,
            input_size=lambda params: params.w_x.shape[2],
            feature_ndim=3,
        ),
        zeros,
    )


def conv_lstm(
    filters: int,
    *,
    spatial_shape,
    kernel_size: int = 3,
    forget_bias: float = 1.0,
    compute_dtype=None,
) -> Cell:
    """A ConvLSTM cell (module doc): frames ``[..., height, width, C -> F]``.

    Args:
      filters: ``F``, channels of the state and of each output frame.
      spatial_shape: ``(height, width)`` of the frames (the state has the same).
      kernel_size: odd ``k`` of the ``k x k`` input and state convolutions.
      forget_bias: initial bias of the forget gate.
      compute_dtype: convolution operand dtype (e.g. ``jnp.bfloat16``), or None.

    Returns:
      A ``Cell`` with ``LSTMState(h, c)`` carries, leaves ``[..., height, width, F]``.
    """
    compute_dtype = canonical_compute_dtype(compute_dtype)
    forget_bias = check_real(forget_bias, "forget_bias")
    F = check_positive_int(filters, "filters")
    shape = _spatial_shape(spatial_shape)
    config = ConvLSTMConfig(F, shape, kernel_size, forget_bias, compute_dtype)

    def bias():
        return jnp.zeros((4, F), jnp.float32).at[1].set(forget_bias).reshape(4 * F)

    def recurrent_step(params: ConvParams, carry: LSTMState, xp_t: jax.Array):
        h, c = carry
        z_i, z_f, z_g, z_o = split_gates(xp_t + conv2d(h, params.w_h, compute_dtype), 4)
        c_new = jax.nn.sigmoid(z_f) * c + jax.nn.sigmoid(z_i) * jnp.tanh(z_g)
        h_new = (jax.nn.sigmoid(z_o) * jnp.tanh(c_new)).astype(h.dtype)
        return LSTMState(h_new, c_new.astype(c.dtype)), h_new

    parts, zeros = _conv_cell("ConvLSTM", 4, F, shape, kernel_size, compute_dtype, bias)
    return make_cell(
        "ConvLSTM",
        F,
        F,
        compute_dtype,
        initial_carry=lambda batch_shape=(), dtype=jnp.float32: LSTMState(
            zeros(batch_shape, dtype), zeros(batch_shape, dtype)
        ),
        recurrent_step=recurrent_step,
        config=config,
        **parts,
    )


def conv_gru(filters: int, *, spatial_shape, kernel_size: int = 3, compute_dtype=None) -> Cell:
    """A ConvGRU cell (module doc): frames ``[..., height, width, C -> F]``.

    Args:
      filters, spatial_shape, kernel_size, compute_dtype: as for ``conv_lstm``.

    Returns:
      A ``Cell`` whose carry is the state ``[..., height, width, F]``.
    """
    compute_dtype = canonical_compute_dtype(compute_dtype)
    F = check_positive_int(filters, "filters")
    config = ConvGRUConfig(F, _spatial_shape(spatial_shape), kernel_size, compute_dtype)

    def bias():
        return jnp.zeros((3 * F,), jnp.float32)

    def recurrent_step(params: ConvParams, h: jax.Array, xp_t: jax.Array):
        a_r, a_z, a_n = split_gates(xp_t, 3)
        u_r, u_z = split_gates(conv2d(h, params.w_h[..., : 2 * F], compute_dtype), 2)
        r = jax.nn.sigmoid(a_r + u_r)
        z = jax.nn.sigmoid(a_z + u_z)
        n = jnp.tanh(a_n + conv2d(r * h, params.w_h[..., 2 * F :], compute_dtype))
        h_new = ((1.0 - z) * n + z * h).astype(h.dtype)
        return h_new, h_new

    parts, zeros = _conv_cell(
        "ConvGRU", 3, F, config.spatial_shape, kernel_size, compute_dtype, bias
    )
    return make_cell(
        "ConvGRU",
        F,
        F,
        compute_dtype,
        initial_carry=zeros,
        recurrent_step=recurrent_step,
        config=config,
        **parts,
    )
