"""Deep recurrent networks: layers stacked in depth.

Layer ``l`` reads the outputs of layer ``l - 1``; a layer is anything that
follows the layer protocol (a cell, a ``Bidirectional`` layer, another
``Stack``), and sizes may differ from layer to layer. Between layers (never
after the last) an inverted dropout with rate ``dropout`` is applied when
``train=True``, with an explicit ``dropout_key``. With ``residual=True`` every
layer after the first adds its input to its output (Wu et al. 2016), which
needs equal sizes::

    y^0 = x;   y^l = layer_l(drop(y^{l-1})) (+ y^{l-1} if residual and l > 0)

A stack of layers that all have a ``step`` (cells, unidirectional stacks)
has one too: the same network one time step at a time (dropout off), for
decoding and streaming.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp

from lstmjax.validation import check_flag, check_key, check_layer


def _dropout(key: jax.Array, xs: jax.Array, rate: float) -> jax.Array:
    """Inverted dropout; the mask is drawn with ``xs``'s sharding where a mesh types it."""
    spec = getattr(getattr(jax.typeof(xs), "sharding", None), "spec", None)
    sharded = spec is not None and any(axis is not None for axis in spec)
    keep = jax.random.bernoulli(key, 1.0 - rate, xs.shape, out_sharding=spec if sharded else None)
    return jnp.where(keep, xs / (1.0 - rate), jnp.zeros_like(xs))


class Stack(NamedTuple):
    """A stacked network following the layer protocol (module docstring).

    Params and carries are tuples with one entry per layer.
    """

    layers: tuple
    dropout: float = 0.0
    residual: bool = False

    @property
    def output_size(self) -> int:
        return self.layers[-1].output_size

    @property
    def causal(self) -> bool:
        """Whether every layer is (then the stack has a ``step``)."""
        return all(layer.causal for layer in self.layers)

    def init(self, key: jax.Array, input_size: int):
        """A tuple of per-layer params; layer ``l`` reads ``layers[l-1].output_size`` features."""
        keys = jax.random.split(check_key(key), len(self.layers))
        sizes = [input_size] + [layer.output_size for layer in self.layers[:-1]]
        return tuple(layer.init(k, d) for layer, k, d in zip(self.layers, keys, sizes))

    def initial_carry(self, batch_shape=(), dtype=jnp.float32):
        """A tuple of the layers' zero carries, each with leaves ``[*lead, *batch_shape, F]``."""
        return tuple(layer.initial_carry(batch_shape, dtype) for layer in self.layers)

    def check_params(self, params, argname: str = "params") -> None:
        if not isinstance(params, (tuple, list)) or len(params) != len(self.layers):
            got = f"{len(params)} entries" if isinstance(params, (tuple, list)) else "no sequence"
            raise ValueError(
                f"{argname}: expected a sequence of {len(self.layers)} per-layer params, got "
                f"{type(params).__name__} with {got}"
            )
        for i, (layer, p) in enumerate(zip(self.layers, params)):
            layer.check_params(p, f"{argname}[{i}]")

    def _carries(self, initial_carry):
        if initial_carry is None:
            return (None,) * len(self.layers)
        if not isinstance(initial_carry, (tuple, list)) or len(initial_carry) != len(self.layers):
            got = len(initial_carry) if isinstance(initial_carry, (tuple, list)) else "no"
            raise ValueError(
                f"initial_carry: expected {len(self.layers)} entries (one per layer), got {got}"
            )
        return tuple(initial_carry)

    def apply(
        self,
        params,
        xs: jax.Array,
        *,
        lengths: jax.Array | None = None,
        initial_carry=None,
        time_major: bool = False,
        unroll: int | None = None,
        implementation: str = "auto",
        remat: int | str | None = None,
        train: bool = False,
        dropout_key: jax.Array | None = None,
    ):
        """Runs the layers over ``xs [..., T, D]`` bottom to top.

        Args:
          params: per-layer params (``init``).
          xs, lengths, time_major, unroll, implementation, remat: as for
            ``lstmjax.rnn``, passed to every layer (``remat`` only when set:
            a layer whose ``apply`` lacks it still stacks without remat).
          initial_carry: None or a sequence with one entry (or None) per layer.
          train: apply the between-layer dropout (needs ``dropout_key``).
          dropout_key: PRNG key of the dropout masks, split per layer.

        Returns:
          ``(ys [..., T, output_size], finals)``, ``finals`` a tuple of each
          layer's final carry.
        """
        self.check_params(params)
        carries = self._carries(initial_carry)
        use_dropout = check_flag(train, "train") and self.dropout > 0.0 and len(self.layers) > 1
        if use_dropout and dropout_key is None:
            raise ValueError("dropout_key: expected a PRNG key when train=True and dropout > 0")
        if use_dropout:
            check_key(dropout_key, "dropout_key")
        keys = (
            jax.random.split(dropout_key, len(self.layers)) if train else [None] * len(self.layers)
        )
        finals = []
        for i, (layer, p, c) in enumerate(zip(self.layers, params, carries)):
            inputs = _dropout(keys[i - 1], xs, self.dropout) if i > 0 and use_dropout else xs
            ys, final = layer.apply(
                p,
                inputs,
                lengths=lengths,
                initial_carry=c,
                time_major=time_major,
                unroll=unroll,
                implementation=implementation,
                train=train,
                dropout_key=keys[i] if train else None,
                **({} if remat is None else {"remat": remat}),
            )
            xs = ys + xs if self.residual and i > 0 else ys
            finals.append(final)
        return xs, tuple(finals)

    def step(self, params, carry, x_t: jax.Array, **step_inputs):
        """One time step through every layer: ``x_t [..., D]`` -> ``(carries, y_t [..., O])``.

        Equals ``apply`` on the whole sequence step by step (dropout off, as at
        inference). Every layer must have a step (no bidirectional layer).
        """
        for i, layer in enumerate(self.layers):
            if not layer.causal:
                raise ValueError(
                    f"layers[{i}]: a {type(layer).__name__} layer has no step (a "
                    "bidirectional layer needs the whole sequence); step a stack of "
                    "unidirectional layers"
                )
        self.check_params(params)
        carries = self._carries(carry)
        new = []
        for i, (layer, p, c) in enumerate(zip(self.layers, params, carries)):
            c, y = layer.step(p, c, x_t, **step_inputs)
            x_t = y + x_t if self.residual and i > 0 else y
            new.append(c)
        return tuple(new), x_t


def stack(layers: Sequence, *, dropout: float = 0.0, residual: bool = False) -> Stack:
    """Builds a stacked network.

    Args:
      layers: layers of the protocol (cells, ``Bidirectional``, ``Stack``), bottom first.
      dropout: rate of the dropout between consecutive layers, in ``[0, 1)``.
      residual: add each layer's input to its output, from the second layer on.

    Returns:
      A ``Stack`` (``init``, ``apply``, ``initial_carry``, ``step``).

    >>> import jax, jax.numpy as jnp, lstmjax as lj
    >>> net = lj.stack([lj.bidirectional(lj.lstm(8)), lj.lstm(4)], dropout=0.1)
    >>> params = net.init(jax.random.key(0), 3)
    >>> xs, lengths = jnp.ones((2, 5, 3)), jnp.array([5, 2])     # [B, T, D], [B]
    >>> ys, finals = net.apply(params, xs, lengths=lengths)      # no dropout
    >>> ys.shape, len(finals)                                     # [B, T, O], a carry per layer
    ((2, 5, 4), 2)
    >>> ys, _ = net.apply(params, xs, lengths=lengths, train=True, dropout_key=jax.random.key(1))
    """
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise TypeError(f"layers: expected a sequence of layers, got {type(layers).__name__}")
    layers = tuple(layers)
    if not layers:
        raise ValueError("layers: expected at least one layer, got none")
    for i, layer in enumerate(layers):
        check_layer(layer, f"layers[{i}]")
        if getattr(layer, "merge", None) == "none":
            raise ValueError(f'layers[{i}]: merge="none" returns a tuple; a stack needs a merge')
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
        raise TypeError(f"dropout: expected a rate in [0, 1), got {dropout!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout: expected a rate in [0, 1), got {dropout}")
    residual = check_flag(residual, "residual")
    if residual:
        for i in range(1, len(layers)):
            if layers[i].output_size != layers[i - 1].output_size:
                raise ValueError(
                    f"layers[{i}]: residual=True needs each layer's output size to equal its "
                    f"input size, got {layers[i - 1].output_size} -> {layers[i].output_size}"
                )
    return Stack(layers=layers, dropout=float(dropout), residual=residual)
