r"""Keras 3 ``LSTM`` / ``GRU`` / ``SimpleRNN`` / ``Bidirectional`` weights to lstmjax and back.

Works on the arrays of ``layer.get_weights()``; Keras is never imported
(``from_keras`` and ``to_keras`` only call the layer's own methods), and any
Keras backend works (the tests run it on JAX, ``KERAS_BACKEND=jax``).

Keras's weights, in ``get_weights()`` order, for ``units=H``::

    LSTM       kernel [D, 4H]  recurrent_kernel [H, 4H]  bias [4H]     gates i, f, c, o
    GRU        kernel [D, 3H]  recurrent_kernel [H, 3H]  bias [2, 3H]  gates z, r, h
    SimpleRNN  kernel [D, H]   recurrent_kernel [H, H]   bias [H]

Keras's kernels are ``[in, out]`` like lstmjax's. The LSTM's gate order
``i, f, c, o`` is lstmjax's ``i, f, g, o``: copied as is, ``bias`` is ``b``.
``unit_forget_bias=True`` only initialises the ``f`` block of the bias to 1;
the converted ``b`` carries whatever the bias now holds. The GRU's blocks
are permuted from ``z, r, h`` to lstmjax's ``r, z, n``; with the default
``reset_after=True`` (PyTorch's and lstmjax's GRU) its bias has an input
row and a recurrent row, ``b = input + recurrent`` on ``r, z`` and
``b_hn`` = the recurrent row's ``h`` block. ``reset_after=False`` is another
GRU (reset before the recurrent product) and is refused, as are activations
other than ``tanh`` / ``sigmoid`` (``relu`` / ``tanh`` for ``SimpleRNN``).
``use_bias=False`` means no bias array (lstmjax's ``b`` is zero).

``go_backwards=True`` runs the sequence from its last step to its first, and
Keras then returns the outputs in that processing order. The lstmjax
equivalent is ``lstmjax.rnn(..., reverse=True)``, whose outputs stay aligned
with the inputs, so for full-length sequences ``keras_ys == ys[:, ::-1]``.
A ``Bidirectional`` wrapper flips its backward outputs back itself and is
``lstmjax.bidirectional`` (``merge_mode`` ``"ave"`` is ``"mean"``, None is
``"none"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lstmjax._bidirectional import bidirectional
from lstmjax.cells.gru import GRUParams, gru
from lstmjax.cells.lstm import LSTMParams, lstm
from lstmjax.cells.simple_rnn import SimpleRNNParams, simple_rnn
from lstmjax.interop._weights import WeightReader, check_cell_config, to_numpy

CELLS = ("LSTM", "GRU", "SimpleRNN")
_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}
_NAMES = ("kernel", "recurrent_kernel", "bias")
_MERGES = {"concat": "concat", "sum": "sum", "ave": "mean", "mul": "mul", None: "none"}
# Keras GRU blocks z, r, h  <->  lstmjax r, z, n: the same permutation both ways.
_GRU_ORDER = (1, 0, 2)


class KerasLayer(NamedTuple):
    """A converted Keras layer.

    Attributes:
      layer: the lstmjax cell or ``Bidirectional`` layer.
      params: its params.
      go_backwards: run it with ``lstmjax.rnn(layer, params, xs, reverse=True)``
        (Keras's outputs are then time-reversed, see the module doc).
    """

    layer: Any
    params: Any
    go_backwards: bool


def _permute_gru(x: np.ndarray) -> np.ndarray:
    return np.concatenate([np.split(x, 3, axis=-1)[i] for i in _GRU_ORDER], axis=-1)


def params_from_keras(
    weights: Sequence, cell: str, *, units: int, use_bias: bool = True, reset_after: bool = True
):
    """Converts ``layer.get_weights()`` of a Keras RNN layer to lstmjax params.

    Args:
      weights: ``[kernel, recurrent_kernel, bias]`` (no bias if ``use_bias=False``).
      cell: ``"LSTM"``, ``"GRU"`` or ``"SimpleRNN"``.
      units: the layer's ``units`` (H). The input size is read from the kernel.
      use_bias: the layer's ``use_bias``.
      reset_after: the GRU's ``reset_after`` (must be True).

    Returns:
      ``LSTMParams``, ``GRUParams`` or ``SimpleRNNParams``.

    Raises:
      ValueError: naming the missing, mis-shaped or unexpected weight.
    """
    if cell not in CELLS:
        raise ValueError(f"cell: expected one of {CELLS}, got {cell!r}")
    if cell == "GRU" and not reset_after:
        raise ValueError(
            "reset_after: lstmjax's GRU applies the reset gate after the recurrent product "
            "(Keras reset_after=True); a reset_after=False GRU computes another function"
        )
    names = _NAMES if use_bias else _NAMES[:2]
    named = {(names[i] if i < len(names) else f"weights[{i}]"): w for i, w in enumerate(weights)}
    reader = WeightReader(named, "weights", f"Keras {cell}(units={units}, use_bias={use_bias})")
    H, G = units, _GATES[cell]
    D = reader.shape_of("kernel", rank=2)[0]
    w_ih = reader.take("kernel", (D, G * H))
    w_hh = reader.take("recurrent_kernel", (H, G * H))
    if cell == "GRU":
        bias = reader.take("bias", (2, G * H)) if use_bias else np.zeros((2, G * H), w_ih.dtype)
        b_in, b_rec = bias
        b = b_in + np.concatenate([b_rec[: 2 * H], np.zeros((H,), b_rec.dtype)])
        params = GRUParams(_permute_gru(w_ih), _permute_gru(w_hh), _permute_gru(b), b_rec[2 * H :])
    else:
        b = reader.take("bias", (G * H,)) if use_bias else np.zeros((G * H,), w_ih.dtype)
        params = (LSTMParams if cell == "LSTM" else SimpleRNNParams)(w_ih, w_hh, b)
    reader.finish()
    return type(params)(*(None if x is None else jnp.asarray(x) for x in params))


def params_to_keras(params, *, use_bias: bool = True, cell=None) -> list[np.ndarray]:
    """lstmjax params of one direction to the list ``layer.set_weights`` takes.

    The inverse of ``params_from_keras`` (the GRU's bias comes back as an input
    row ``b`` and a recurrent row holding only ``b_hn``). An LSTM with
    peepholes, a projection, layer norm or coupled gates has no Keras
    counterpart and is refused, as is a non-zero bias with ``use_bias=False``.

    Args:
      params: one direction's ``LSTMParams``, ``GRUParams`` or ``SimpleRNNParams``.
      use_bias: the Keras layer's ``use_bias``.
      cell: the cell the params belong to (``lstmjax.lstm(...)`` ...): its
        ``config`` says which options the params carry, and the params are
        checked against it. Without it the options are inferred from the
        params (which fields are set; a coupled LSTM from its 3-gate ``w_hh``).
    """
    if not isinstance(params, (LSTMParams, GRUParams, SimpleRNNParams)):
        raise TypeError(
            "params: expected LSTMParams, GRUParams or SimpleRNNParams, "
            f"got {type(params).__name__}"
        )
    if cell is not None:
        check_cell_config(cell, params, (), "Keras", "cell")
    elif isinstance(params, LSTMParams):
        _guess_plain_lstm(params)
    w_ih, w_hh, b = (to_numpy(x) for x in params[:3])
    if isinstance(params, GRUParams):
        b_hn = to_numpy(params.b_hn)
        w_ih, w_hh, b = _permute_gru(w_ih), _permute_gru(w_hh), _permute_gru(b)
        b = np.stack([b, np.concatenate([np.zeros_like(b[: 2 * b_hn.shape[0]]), b_hn])])
    if not use_bias:
        if np.any(b):
            raise ValueError("params.b: use_bias=False but the params have a non-zero bias")
        return [w_ih, w_hh]
    return [w_ih, w_hh, b]


def _guess_plain_lstm(params: LSTMParams) -> None:
    """Without a cell: refuses LSTM params that look like options Keras lacks."""
    for field in ("peephole", "w_proj", "layer_norm"):
        if getattr(params, field) is not None:
            raise ValueError(f"params.{field}: Keras's LSTM has no {field}")
    shape = np.shape(params.w_hh)
    if shape[1] != 4 * shape[0]:
        raise ValueError(f"params.w_hh: expected 4 gates (not coupled), got shape {shape}")


def _check_activations(config: dict, cell: str) -> None:
    allowed = ("tanh", "relu") if cell == "SimpleRNN" else ("tanh",)
    if config.get("activation") not in allowed:
        raise ValueError(f"activation: expected one of {allowed}, got {config.get('activation')!r}")
    if cell != "SimpleRNN" and config.get("recurrent_activation") != "sigmoid":
        raise ValueError(
            f"recurrent_activation: expected 'sigmoid', got {config.get('recurrent_activation')!r}"
        )


def _check_built(layer) -> None:
    if not layer.built:
        raise ValueError(
            f"layer: expected a built Keras layer (with weights), got an unbuilt "
            f"{type(layer).__name__} {layer.name!r}; build it first, e.g. "
            "layer.build((None, None, input_size)) or call it on an input"
        )


def _convert_rnn_layer(layer):
    cell = type(layer).__name__
    if cell not in CELLS:
        raise TypeError(f"layer: expected a Keras {CELLS} or Bidirectional, got {cell}")
    _check_built(layer)
    config = layer.get_config()
    _check_activations(config, cell)
    units = config["units"]
    params = params_from_keras(
        layer.get_weights(),
        cell,
        units=units,
        use_bias=config["use_bias"],
        reset_after=config.get("reset_after", True),
    )
    if cell == "LSTM":
        lj_cell = lstm(units)
    elif cell == "GRU":
        lj_cell = gru(units)
    else:
        lj_cell = simple_rnn(units, nonlinearity=config["activation"])
    return lj_cell, params, bool(config.get("go_backwards", False))


def from_keras(layer) -> KerasLayer:
    """Converts a built Keras ``LSTM`` / ``GRU`` / ``SimpleRNN`` / ``Bidirectional``.

    Returns:
      ``KerasLayer(layer, params, go_backwards)``; run it as
      ``lstmjax.rnn(k.layer, k.params, xs, reverse=k.go_backwards)`` or, for a
      ``Bidirectional``, ``k.layer.apply(k.params, xs)``.
    """
    if type(layer).__name__ != "Bidirectional":
        return KerasLayer(*_convert_rnn_layer(layer))
    _check_built(layer)
    forward, f_params, f_back = _convert_rnn_layer(layer.forward_layer)
    _, b_params, b_back = _convert_rnn_layer(layer.backward_layer)
    same = [
        (type(x).__name__, *(x.get_config()[k] for k in ("units", "activation")))
        for x in (layer.forward_layer, layer.backward_layer)
    ]
    if f_back or not b_back or same[0] != same[1]:
        raise ValueError(
            "layer: expected a Bidirectional whose forward layer runs forward and whose "
            "backward layer is the same kind and size with go_backwards=True"
        )
    params = jax.tree.map(lambda f, b: jnp.stack([f, b]), f_params, b_params)
    merged = bidirectional(forward, merge=_MERGES[layer.merge_mode])
    return KerasLayer(merged, params, False)


def to_keras(params, layer, *, cell=None) -> None:
    """Writes lstmjax params into a built Keras layer (``layer.set_weights``).

    A ``Bidirectional`` layer takes params stacked on a leading direction
    axis (0 forward, 1 backward), as ``lstmjax.bidirectional`` makes them.
    ``cell``: the lstmjax cell (or ``Bidirectional``) the params belong to,
    whose config is read (``params_to_keras``); None reads the params.
    """
    cell = getattr(cell, "cell", cell)  # a Bidirectional's cell
    if type(layer).__name__ == "Bidirectional":
        use_bias = layer.forward_layer.get_config()["use_bias"]
        halves = [type(params)(*(None if x is None else x[d] for x in params)) for d in (0, 1)]
        weights = [
            w for half in halves for w in params_to_keras(half, use_bias=use_bias, cell=cell)
        ]
    else:
        weights = params_to_keras(params, use_bias=layer.get_config()["use_bias"], cell=cell)
    expected = [tuple(w.shape) for w in layer.get_weights()]
    got = [tuple(w.shape) for w in weights]
    if expected != got:
        raise ValueError(f"params: the layer's weights have shapes {expected}, got {got}")
    layer.set_weights(weights)
