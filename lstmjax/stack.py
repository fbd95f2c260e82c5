"""Deep recurrent networks: layers stacked in depth.

Layer ``l`` reads the outputs of layer ``l - 1``; each layer is a cell (run
forward with ``lstmjax.rnn``) or a ``Bidirectional`` layer, and sizes may
differ from layer to layer. Between layers (never after the last) an
inverted dropout with rate ``dropout`` is applied when ``train=True``, with an
explicit ``dropout_key``. With ``residual=True`` every layer after the first
adds its input to its output (Wu et al. 2016), which needs equal sizes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp

from lstmjax.bidirectional import Bidirectional
from lstmjax.cells.base import Cell
from lstmjax.rnn import rnn


class Stack(NamedTuple):
    """A stacked network: ``init(key, input_size)`` and ``apply(params, xs, ...)``."""

    layers: tuple
    dropout: float
    residual: bool
    output_size: int
    init: Callable
    apply: Callable


def _apply_layer(layer, params, xs, *, lengths, initial_carry, time_major, unroll):
    if isinstance(layer, Bidirectional):
        return layer.apply(
            params,
            xs,
            lengths=lengths,
            initial_carry=initial_carry,
            time_major=time_major,
            unroll=unroll,
        )
    return rnn(
        layer,
        params,
        xs,
        lengths=lengths,
        initial_carry=initial_carry,
        time_major=time_major,
        unroll=unroll,
    )


def _dropout(key: jax.Array, xs: jax.Array, rate: float) -> jax.Array:
    keep = jax.random.bernoulli(key, 1.0 - rate, xs.shape)
    return jnp.where(keep, xs / (1.0 - rate), jnp.zeros_like(xs))


def stack(
    layers: Sequence[Cell | Bidirectional], *, dropout: float = 0.0, residual: bool = False
) -> Stack:
    """Builds a stacked network.

    Args:
      layers: cells and/or ``Bidirectional`` layers, bottom first.
      dropout: rate of the dropout between consecutive layers, in ``[0, 1)``.
      residual: add each layer's input to its output, from the second layer on.

    Returns:
      A ``Stack`` with

      - ``init(key, input_size) -> params``, a tuple of per-layer params;
      - ``apply(params, xs, *, lengths=None, initial_carry=None,
        time_major=False, unroll=None, train=False, dropout_key=None)
        -> (ys, final_carries)``: ``ys [..., T, O_last]`` and a tuple of each
        layer's final carry. ``initial_carry`` is None or a sequence with
        one entry (or None) per layer.
    """
    layers = tuple(layers)
    if not layers:
        raise ValueError("layers: expected at least one layer, got none")
    for i, layer in enumerate(layers):
        if not isinstance(layer, (Cell, Bidirectional)):
            raise TypeError(
                f"layers[{i}]: expected a Cell or Bidirectional, got {type(layer).__name__}"
            )
        if isinstance(layer, Bidirectional) and layer.merge == "none":
            raise ValueError(f'layers[{i}]: merge="none" returns a tuple; a stack needs a merge')
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout: expected a rate in [0, 1), got {dropout}")
    if residual:
        for i in range(1, len(layers)):
            if layers[i].output_size != layers[i - 1].output_size:
                raise ValueError(
                    f"layers[{i}]: residual=True needs each layer's output size to equal its "
                    f"input size, got {layers[i - 1].output_size} -> {layers[i].output_size}"
                )

    def init(key: jax.Array, input_size: int):
        keys = jax.random.split(key, len(layers))
        sizes = [input_size] + [layer.output_size for layer in layers[:-1]]
        return tuple(layer.init(k, d) for layer, k, d in zip(layers, keys, sizes))

    def apply(
        params,
        xs: jax.Array,
        *,
        lengths: jax.Array | None = None,
        initial_carry=None,
        time_major: bool = False,
        unroll: int | None = None,
        train: bool = False,
        dropout_key: jax.Array | None = None,
    ):
        if not isinstance(params, (tuple, list)) or len(params) != len(layers):
            got = f"{len(params)} entries" if isinstance(params, (tuple, list)) else "no sequence"
            raise ValueError(
                f"params: expected a sequence of {len(layers)} per-layer params, got "
                f"{type(params).__name__} with {got}"
            )
        if initial_carry is None:
            initial_carry = (None,) * len(layers)
        elif len(initial_carry) != len(layers):
            raise ValueError(
                f"initial_carry: expected {len(layers)} entries (one per layer), "
                f"got {len(initial_carry)}"
            )
        use_dropout = train and dropout > 0.0 and len(layers) > 1
        if use_dropout and dropout_key is None:
            raise ValueError("dropout_key: expected a PRNG key when train=True and dropout > 0")
        keys = jax.random.split(dropout_key, len(layers) - 1) if use_dropout else None
        finals = []
        for i, (layer, p, c) in enumerate(zip(layers, params, initial_carry)):
            inputs = _dropout(keys[i - 1], xs, dropout) if i > 0 and use_dropout else xs
            ys, final = _apply_layer(
                layer,
                p,
                inputs,
                lengths=lengths,
                initial_carry=c,
                time_major=time_major,
                unroll=unroll,
            )
            xs = ys + xs if residual and i > 0 else ys
            finals.append(final)
        return xs, tuple(finals)

    return Stack(
        layers=layers,
        dropout=dropout,
        residual=residual,
        output_size=layers[-1].output_size,
        init=init,
        apply=apply,
    )
