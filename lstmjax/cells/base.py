"""The cell protocol: what every recurrent cell is, and the checks cells share.

A cell is a NamedTuple (optax style) of its static sizes, its static
``config`` and pure functions. The sequence functions (``lstmjax.rnn``,
``lstmjax.bidirectional``, ``lstmjax.stack``) only ever call these:

- ``init(key, input_size) -> params``: a pytree of arrays (any structure;
  no field names are required).
- ``initial_carry(batch_shape=(), dtype=float32) -> carry``: a pytree of
  zeros whose leaves are ``[*batch_shape, F]``.
- ``input_projection(params, xs) -> xp``: ``[..., D] -> [..., K]``, the part
  of the pre-activations that depends on the input only (``x W_ih + b``).
  The sequence functions call it ONCE on all ``T`` steps before the scan.
- ``recurrent_step(params, carry, xp_t, **step_inputs) -> (carry, y_t)``: the
  part that depends on the previous carry; the body of the scan. Per-step
  randomness enters through keyword ``step_inputs`` (the built-in cells take
  ``hidden_mask``, a ``[..., P]`` multiplier of the hidden state where it
  enters the recurrent product: variational recurrent dropout's mask, drawn
  once per sequence); a cell ignores none it is given.
- ``check_params(params, argname="params")``: raises ``TypeError`` or
  ``ValueError`` naming ``argname`` when the params are not this cell's.
- ``input_size(params) -> int`` (optional): the ``D`` the params expect, so
  a wrong ``xs`` gets an error that names it; without it, ``xs`` is checked
  by tracing ``input_projection``.

Methods every cell has: ``step(params, carry, x_t)`` (one whole time step,
``recurrent_step(params, carry, input_projection(params, x_t))``) and
``apply(params, xs, ...)`` (``lstmjax.rnn`` over a sequence), the layer
protocol shared with bidirectional layers and stacks.

A cell built by a factory (``lstmjax.lstm`` ...) may carry a ``fused``
implementation: a kernel that computes exactly its ``input_projection`` and
``recurrent_step`` over a whole sequence, faster. The kernel is used only
while the cell still holds those very functions: a cell derived with
``cell._replace(recurrent_step=...)`` or built by ``make_cell`` runs the
reference scan of its own functions.

A new cell, here a minimal gated unit ``h' = (1 - f) h + f tanh(x W + u)``
with ``H = 4`` hidden units:

>>> import jax, jax.numpy as jnp, lstmjax as lj
>>> H = 4
>>> def init(key, input_size):
...     return {"w": jax.random.normal(key, (input_size, 2 * H)) * 0.1,
...             "u": jnp.zeros((H, 2 * H))}
>>> def initial_carry(batch_shape=(), dtype=jnp.float32):
...     return jnp.zeros((*batch_shape, H), dtype)
>>> def input_projection(params, xs):                # [..., D] -> [..., 2H]
...     return xs @ params["w"]
>>> def recurrent_step(params, h, xp_t):
...     z_f, z_c = jnp.split(xp_t + h @ params["u"], 2, axis=-1)
...     f = jax.nn.sigmoid(z_f)
...     h = (1 - f) * h + f * jnp.tanh(z_c)
...     return h, h
>>> cell = lj.make_cell("MGU", H, H, init=init, initial_carry=initial_carry,
...                     input_projection=input_projection, recurrent_step=recurrent_step)
>>> params = cell.init(jax.random.key(0), 3)
>>> xs = jnp.ones((2, 5, 3))                         # [B, T, D]
>>> ys, final = cell.apply(params, xs, lengths=jnp.array([5, 3]))
>>> ys.shape, final.shape                            # [B, T, H], [B, H]
((2, 5, 4), (2, 4))

Running a cell by hand over a sequence ``xs [T, B, D]`` gives what
``cell.apply`` gives:

>>> xs_tm = jnp.swapaxes(xs, 0, 1)                   # [T, B, D]
>>> carry = cell.initial_carry(batch_shape=(2,))
>>> step = lambda carry, x_t: cell.step(params, carry, x_t)
>>> last, ys_tm = jax.lax.scan(step, carry, xs_tm)
>>> ys_tm.shape                                      # [T, B, output_size]
(5, 2, 4)
>>> bool(jnp.allclose(jnp.swapaxes(ys_tm, 0, 1), cell.apply(params, xs)[0], atol=1e-5))
True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Hashable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from lstmjax.validation import check_step


def exportable(cls: type) -> type:
    """Registers a NamedTuple of params or carries for ``jax.export`` serialization.

    A function exported with these pytrees in its signature serializes under
    the stable name ``lstmjax.<ClassName>``.
    """
    jax.export.register_namedtuple_serialization(cls, serialized_name=f"lstmjax.{cls.__name__}")
    return cls


class Fused(NamedTuple):
    """A fused implementation of a cell and the functions it computes.

    Attributes:
      scan: ``(params, xs, carries, mask, unroll) -> (ys, finals)``; every
        argument but ``mask [T, B]`` (False on padding, or None) and
        ``unroll`` is a tuple with one entry per direction (each direction's
        params, ``xs [T, B, D]`` and carry with leaves ``[B, F]``; the
        backward direction's inputs already reversed in length). Returns
        tuples of ``ys [T, B, O]`` (zero where masked) and final carries.
      input_projection, recurrent_step: the very functions of the cell the
        kernel stands in for; it is used only while the cell holds them.
    """

    scan: Callable
    input_projection: Callable
    recurrent_step: Callable


class Cell(NamedTuple):
    """A recurrent cell: static sizes and config plus pure functions (module doc).

    Attributes:
      name: the cell's kind, for messages (``"LSTM"``, ``"GRU"``, ...).
      hidden_size: H, the size of the state.
      output_size: O, the features of each output ``y_t``.
      compute_dtype: the matmul operand dtype, or None.
      init, initial_carry, input_projection, recurrent_step, check_params,
      input_size: the protocol's functions (module doc).
      config: the factory's static, hashable configuration (e.g.
        ``LSTMConfig``), read by converters; None for a custom cell.
      fused: the fused implementation, or None.
      feature_ndim: trailing axes of one step's input, output and carry
        leaves: 1 for ``[..., D]`` (dense cells), 3 for frames
        ``[..., height, width, channels]`` (convolutional cells).
    """

    name: str
    hidden_size: int
    output_size: int
    compute_dtype: Any
    init: Callable
    initial_carry: Callable
    input_projection: Callable
    recurrent_step: Callable
    check_params: Callable
    input_size: Callable | None = None
    config: Hashable = None
    fused: Fused | None = None
    feature_ndim: int = 1

    @property
    def causal(self) -> bool:
        """Always True, as ``y_t`` depends on ``x_0 .. x_t`` only (so the cell has a ``step``)."""
        return True

    def step(self, params, carry, x_t: jax.Array, **step_inputs):
        """One time step: ``x_t [..., D]``, carry leaves ``[..., F]`` -> ``(carry, y_t [..., O])``.

        ``recurrent_step(params, carry, input_projection(params, x_t), **step_inputs)``
        after checking the arguments (``step_inputs``: e.g. ``hidden_mask``).
        """
        carry = check_step(self, params, carry, x_t)
        return self.recurrent_step(params, carry, self.input_projection(params, x_t), **step_inputs)

    def apply(self, params, xs: jax.Array, *, train: bool = False, dropout_key=None, **kwargs):
        """``lstmjax.rnn(self, params, xs, **kwargs)``: the layer protocol's ``apply``.

        ``xs [B, T, D]`` -> ``(ys [B, T, O], final carry with leaves [B, F])``.

        ``train`` and ``dropout_key`` are accepted for the protocol's sake; a
        cell has no dropout of its own.
        """
        from lstmjax._rnn import rnn

        return rnn(self, params, xs, **kwargs)

    def fused_scan(self) -> Callable | None:
        """The fused kernel, if this cell still computes exactly what it stands in for."""
        f = self.fused
        if (
            f is None
            or f.input_projection is not self.input_projection
            or f.recurrent_step is not self.recurrent_step
        ):
            return None
        return f.scan


def _accept_any(params, argname: str = "params") -> None:
    """The ``check_params`` of a custom cell that gives none: checks nothing."""


def make_cell(
    name: str,
    hidden_size: int,
    output_size: int,
    compute_dtype=None,
    *,
    init: Callable,
    initial_carry: Callable,
    input_projection: Callable,
    recurrent_step: Callable,
    check_params: Callable | None = None,
    input_size: Callable | None = None,
    config: Hashable = None,
    fused: Fused | None = None,
    feature_ndim: int = 1,
) -> Cell:
    """Builds a cell from its pure functions (the protocol in the module docstring).

    A cell made here runs everywhere a built-in one does: ``lstmjax.rnn``
    with lengths and ``reverse``, ``bidirectional``, ``stack`` (with dropout
    and residuals), its ``step`` for decoding, and the Flax modules.

    Args:
      name: the cell's kind, used in messages.
      hidden_size: H, the size of the state.
      output_size: O, the features of each output.
      compute_dtype: matmul operand dtype the functions use, or None.
      init: ``(key, input_size) -> params``.
      initial_carry: ``(batch_shape=(), dtype=float32) -> carry``.
      input_projection: ``(params, xs [..., D]) -> xp [..., K]``.
      recurrent_step: ``(params, carry, xp_t [..., K]) -> (carry, y_t [..., O])``.
      check_params: ``(params, argname="params") -> None``, raising on params
        that are not this cell's; None checks nothing.
      input_size: ``params -> D``; None to check ``xs`` by tracing instead.
      config: a hashable static description (for a factory's converters).
      fused: a ``Fused`` kernel for exactly these functions, or None.
      feature_ndim: trailing axes of a step's input ``x_t``, output and carry
        leaves (1: ``[..., D]``; 3: frames ``[..., height, width, C]``);
        the time axis of ``xs`` is the one before them.

    Returns:
      A ``Cell``.
    """
    if not isinstance(name, str):
        raise TypeError(f"name: expected a str, got {type(name).__name__}")
    hidden_size = check_positive_int(hidden_size, "hidden_size")
    output_size = check_positive_int(output_size, "output_size")
    functions = dict(
        init=init,
        initial_carry=initial_carry,
        input_projection=input_projection,
        recurrent_step=recurrent_step,
    )
    optional = dict(check_params=check_params, input_size=input_size)
    for argname, fn in list(functions.items()) + list(optional.items()):
        if not (fn is None and argname in optional) and not callable(fn):
            raise TypeError(f"{argname}: expected a function, got {type(fn).__name__}")
    try:
        hash(config)
    except TypeError as err:
        raise TypeError(f"config: expected a hashable value, got {type(config).__name__}") from err
    if fused is not None and not isinstance(fused, Fused):
        raise TypeError(f"fused: expected a Fused or None, got {type(fused).__name__}")
    feature_ndim = check_positive_int(feature_ndim, "feature_ndim")
    return Cell(
        name=name,
        hidden_size=hidden_size,
        output_size=output_size,
        compute_dtype=compute_dtype,
        check_params=_accept_any if check_params is None else check_params,
        input_size=input_size,
        config=config,
        fused=fused,
        feature_ndim=feature_ndim,
        **functions,
    )


@exportable
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
    """Returns ``value`` as an int if it is a positive integer (NumPy's too), else raises."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{argname}: expected a positive int, got {value!r}")
    if value <= 0:
        raise ValueError(f"{argname}: expected a positive int, got {value!r}")
    return int(value)


def check_real(value, argname: str, *, optional: bool = False) -> float | None:
    """Returns ``value`` as a float if it is a finite real number (None if ``optional``)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argname}: expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{argname}: expected a finite number, got {value!r}")
    return float(value)


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


def mask_hidden(h: jax.Array, hidden_mask: jax.Array | None) -> jax.Array:
    """``h * hidden_mask`` (the hidden state as the recurrent product sees it), or ``h``."""
    return h if hidden_mask is None else h * hidden_mask.astype(h.dtype)


def as_batch_shape(batch_shape) -> tuple:
    """``batch_shape`` as a tuple of non-negative ints (an int ``B`` means ``(B,)``).

    Symbolic dimensions (``jax.export.symbolic_shape``) pass through, so a
    function exported with a symbolic batch size builds its carries.
    """
    if is_dimension(batch_shape):
        batch_shape = (batch_shape,)
    try:
        dims = tuple(batch_shape)
    except TypeError:
        dims = None
    if dims is None or not all(is_dimension(d) for d in dims):
        raise TypeError(
            f"batch_shape: expected a tuple of non-negative ints such as (8,), got {batch_shape!r}"
        )
    return tuple(d if jax.export.is_symbolic_dim(d) else int(d) for d in dims)


def is_dimension(d) -> bool:
    """A non-negative int (NumPy's too, not a bool) or a symbolic dimension."""
    if jax.export.is_symbolic_dim(d):
        return True
    return isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 0
