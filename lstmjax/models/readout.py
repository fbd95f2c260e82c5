r"""Linear readout heads: the map from a recurrent network's outputs to predictions.

``y = h W + b`` with ``W [H, O]``, ``b [O]``, in three shapes of use:

- ``linear_readout(O)``: any ``[..., H] -> [..., O]``;
- ``last_step_readout(O)``: ``ys [B, T, H]`` -> ``[B, O]`` from each
  sequence's last valid step (``lengths``) or the last step (``lengths=None``),
  for sequence-to-one tasks (the adding problem, classification);
- ``per_step_readout(O)``: ``ys [B, T, H]`` -> ``[B, T, O]``, zero past each
  length, for sequence-to-sequence tasks (copying, language models).

Each is a NamedTuple ``(output_size, init, apply)``, optax style:

>>> import jax, jax.numpy as jnp, lstmjax as lj
>>> from lstmjax.models.readout import last_step_readout, per_step_readout
>>> cell = lj.lstm(8)
>>> params = cell.init(jax.random.key(0), 2)
>>> xs, lengths = jnp.ones((3, 5, 2)), jnp.array([5, 4, 1])      # [B, T, D], [B]
>>> ys, _ = lj.rnn(cell, params, xs, lengths=lengths)             # [B, T, H]
>>> head = last_step_readout(1)
>>> head_params = head.init(jax.random.key(1), cell.output_size)
>>> head.apply(head_params, ys, lengths=lengths).shape            # [B, 1]
(3, 1)
>>> per_step = per_step_readout(4)
>>> per_step.apply(per_step.init(jax.random.key(1), 8), ys, lengths=lengths).shape  # [B, T, 4]
(3, 5, 4)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from lstmjax.cells.base import check_positive_int
from lstmjax.masking import last_valid


class ReadoutParams(NamedTuple):
    """``w [H, O]`` and ``b [O]``."""

    w: jax.Array
    b: jax.Array


class Readout(NamedTuple):
    """A readout head: ``init(key, input_size) -> ReadoutParams`` and ``apply``."""

    output_size: int
    init: Callable
    apply: Callable


def _init(output_size: int, bias: float):
    def init(key: jax.Array, input_size: int) -> ReadoutParams:
        """``w ~ U(-1/sqrt(H), 1/sqrt(H))`` (PyTorch's ``nn.Linear``), ``b = bias``."""
        check_positive_int(input_size, "input_size")
        limit = 1.0 / math.sqrt(input_size)
        w = jax.random.uniform(key, (input_size, output_size), jnp.float32, -limit, limit)
        return ReadoutParams(w, jnp.full((output_size,), bias, jnp.float32))

    return init


def _check_features(params: ReadoutParams, x: jax.Array, argname: str) -> None:
    if x.ndim < 1 or x.shape[-1] != params.w.shape[0]:
        raise ValueError(
            f"{argname}: expected last axis {params.w.shape[0]} (the readout's input size), "
            f"got shape {x.shape}"
        )


def _linear(params: ReadoutParams, x: jax.Array) -> jax.Array:
    return jnp.matmul(x, params.w.astype(x.dtype)) + params.b.astype(x.dtype)


def linear_readout(output_size: int, *, bias: float = 0.0) -> Readout:
    """``apply(params, x [..., H]) -> [..., O]``; ``bias`` is the initial ``b``."""
    check_positive_int(output_size, "output_size")

    def apply(params: ReadoutParams, x: jax.Array) -> jax.Array:
        _check_features(params, x, "x")
        return _linear(params, x)

    return Readout(output_size, _init(output_size, bias), apply)


def last_step_readout(output_size: int, *, bias: float = 0.0) -> Readout:
    """``apply(params, ys [B, T, H], lengths=None) -> [B, O]`` at each last valid step.

    A sequence of length 0 reads a zero hidden state, so its output is ``b``.
    """
    check_positive_int(output_size, "output_size")

    def apply(params: ReadoutParams, ys: jax.Array, lengths: jax.Array | None = None):
        _check_features(params, ys, "ys")
        if ys.ndim != 3:
            raise ValueError(f"ys: expected shape [B, T, H], got {ys.shape}")
        h = ys[:, -1] if lengths is None else last_valid(ys, lengths)
        return _linear(params, h)

    return Readout(output_size, _init(output_size, bias), apply)


def per_step_readout(output_size: int, *, bias: float = 0.0) -> Readout:
    """``apply(params, ys [B, T, H], lengths=None) -> [B, T, O]``, zero past each length."""
    check_positive_int(output_size, "output_size")

    def apply(params: ReadoutParams, ys: jax.Array, lengths: jax.Array | None = None):
        _check_features(params, ys, "ys")
        if ys.ndim != 3:
            raise ValueError(f"ys: expected shape [B, T, H], got {ys.shape}")
        out = _linear(params, ys)
        if lengths is None:
            return out
        valid = jnp.arange(ys.shape[1])[None, :, None] < lengths[:, None, None]
        return jnp.where(valid, out, jnp.zeros_like(out))

    return Readout(output_size, _init(output_size, bias), apply)
