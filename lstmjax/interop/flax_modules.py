"""Flax linen and NNX modules around lstmjax layers.

The modules only own parameters: the computation is the layer's own pure
``apply`` (the layer protocol: a cell, ``Bidirectional``, ``Stack`` or a
cell from ``lstmjax.make_cell``), so a Flax model and a pure-function model with the same
params compute the same numbers. The params are the layer's own pytree
(``LSTMParams`` and friends), under the name ``"rnn"``.

linen:

>>> import jax, jax.numpy as jnp, lstmjax as lj
>>> from lstmjax.interop.flax_modules import LinenRNN, NNXRNN
>>> xs, lengths = jnp.ones((2, 5, 3)), jnp.array([5, 3])        # [B, T, D], [B]
>>> net = lj.stack([lj.bidirectional(lj.lstm(8)), lj.lstm(4)], dropout=0.1)
>>> model = LinenRNN(net)
>>> variables = model.init(jax.random.key(0), xs)
>>> ys, finals = model.apply(variables, xs, lengths=lengths)
>>> ys.shape                                                     # [B, T, 4]
(2, 5, 4)
>>> ys, _ = model.apply(variables, xs, lengths=lengths, deterministic=False,
...                     rngs={"dropout": jax.random.key(1)})
>>> same, _ = net.apply(variables["params"]["rnn"], xs, lengths=lengths)  # the pure layer
>>> bool(jnp.allclose(same, model.apply(variables, xs, lengths=lengths)[0]))
True

NNX:

>>> from flax import nnx
>>> model = NNXRNN(lj.lstm(8), input_size=3, rngs=nnx.Rngs(0))
>>> ys, final = model(xs, lengths=lengths)
>>> ys.shape                                                     # [B, T, H]
(2, 5, 8)
>>> type(model.pure_params()).__name__
'LSTMParams'
"""

from __future__ import annotations

from typing import Any

import jax
from flax import linen as nn
from flax import nnx

from lstmjax.validation import check_implementation


def apply_layer(
    layer,
    params,
    xs: jax.Array,
    *,
    lengths=None,
    initial_carry=None,
    time_major: bool = False,
    unroll: int | None = None,
    implementation: str = "auto",
    dropout_key: jax.Array | None = None,
):
    """Runs any layer of the protocol on ``xs [B, T, D]`` -> ``(ys, final)``.

    ``dropout_key`` turns on the layer's dropout (training mode); a layer
    without dropout ignores it.
    """
    if not callable(getattr(layer, "apply", None)):
        raise TypeError(
            f"layer: expected a layer with apply (a cell, Bidirectional or Stack), "
            f"got {type(layer).__name__}"
        )
    return layer.apply(
        params,
        xs,
        lengths=lengths,
        initial_carry=initial_carry,
        time_major=time_major,
        unroll=unroll,
        implementation=check_implementation(implementation),
        train=dropout_key is not None,
        dropout_key=dropout_key,
    )


def _needs_dropout(layer) -> bool:
    return getattr(layer, "dropout", 0.0) > 0.0


class LinenRNN(nn.Module):
    """A linen module owning one lstmjax layer's params (see module doc).

    Attributes:
      layer: ``lstmjax.lstm(...)`` / ``gru`` / ``simple_rnn``, a
        ``Bidirectional`` or a ``Stack``.
      time_major: inputs ``[T, B, D]`` instead of ``[B, T, D]``.
      unroll: ``lax.scan`` steps per iteration; None for the backend default.
      implementation: ``"auto"``, ``"reference"`` or ``"fused"`` (``lstmjax.rnn``).
    """

    layer: Any
    time_major: bool = False
    unroll: int | None = None
    implementation: str = "auto"

    @nn.compact
    def __call__(self, xs, *, lengths=None, initial_carry=None, deterministic: bool = True):
        """``xs [B, T, D]`` -> ``(ys [B, T, O], final carry)``.

        With ``deterministic=False`` a stack with dropout draws its masks from
        the ``"dropout"`` rng stream.
        """
        params = self.param("rnn", lambda key: self.layer.init(key, xs.shape[-1]))
        use_dropout = not deterministic and _needs_dropout(self.layer)
        return apply_layer(
            self.layer,
            params,
            xs,
            lengths=lengths,
            initial_carry=initial_carry,
            time_major=self.time_major,
            unroll=self.unroll,
            implementation=self.implementation,
            dropout_key=self.make_rng("dropout") if use_dropout else None,
        )


def _is_variable(x) -> bool:
    return isinstance(x, nnx.Variable)


class NNXRNN(nnx.Module):
    """An NNX module owning one lstmjax layer's params as ``nnx.Param`` leaves.

    Args:
      layer: a cell, ``Bidirectional`` or ``Stack`` (static).
      input_size: D, the input features.
      rngs: ``nnx.Rngs``; its ``params`` stream initialises the layer.
      params: existing params for ``layer`` (e.g. from ``lstmjax.interop.torch``)
        to use instead of initialising.
      time_major, unroll, implementation: as for ``lstmjax.rnn``.
    """

    def __init__(
        self,
        layer,
        input_size: int,
        *,
        rngs: nnx.Rngs | None = None,
        params=None,
        time_major: bool = False,
        unroll: int | None = None,
        implementation: str = "auto",
    ):
        if params is None:
            if rngs is None:
                raise ValueError("rngs: expected nnx.Rngs to initialise the params, got None")
            params = layer.init(rngs.params(), input_size)
        self.layer = layer
        self.time_major = time_major
        self.unroll = unroll
        self.implementation = check_implementation(implementation)
        self.rnn = nnx.data(jax.tree.map(nnx.Param, params))

    def pure_params(self):
        """The params as the layer's own pytree of arrays."""
        return jax.tree.map(lambda v: v[...], self.rnn, is_leaf=_is_variable)

    def __call__(self, xs, *, lengths=None, initial_carry=None, rngs: nnx.Rngs | None = None):
        """``xs [B, T, D]`` -> ``(ys [B, T, O], final carry)``.

        Passing ``rngs`` (with a ``dropout`` stream) turns on a stack's dropout.
        """
        use_dropout = rngs is not None and _needs_dropout(self.layer)
        return apply_layer(
            self.layer,
            self.pure_params(),
            xs,
            lengths=lengths,
            initial_carry=initial_carry,
            time_major=self.time_major,
            unroll=self.unroll,
            implementation=self.implementation,
            dropout_key=rngs.dropout() if use_dropout else None,
        )
