r"""Flax's own recurrent cells' parameters to lstmjax params and back.

Read from the installed Flax (0.12) source; the cells compute::

    LSTMCell, OptimizedLSTMCell (linen and nnx), carry (c, h):
      i = sigmoid(x W_ii + h W_hi + b_hi)    f = sigmoid(x W_if + h W_hf + b_hf)
      g = tanh(x W_ig + h W_hg + b_hg)       o = sigmoid(x W_io + h W_ho + b_ho)
      c' = f * c + i * g                     h' = o * tanh(c')

    GRUCell, carry h:
      r = sigmoid(x W_ir + b_ir + h W_hr)    z = sigmoid(x W_iz + b_iz + h W_hz)
      n = tanh(x W_in + b_in + r * (h W_hn + b_hn))
      h' = (1 - z) * n + z * h

These are lstmjax's LSTM (gate order ``i, f, g, o``, biases only on the
recurrent side, so ``b = [b_hi, b_hf, b_hg, b_ho]``) and lstmjax's
reset-after GRU (``b = [b_ir, b_iz, b_in]``, ``b_hn``) exactly. Flax's
kernels are already ``[in, out]``, lstmjax's orientation. One difference:
``nnx.GRUCell`` has no ``b_hn`` (its recurrent Linear has no bias), so it
converts to ``b_hn = 0`` and exporting a non-zero ``b_hn`` to it is refused.
The carry is ``(c, h)`` in Flax and ``LSTMState(h, c)`` here; see
``carry_from_flax`` / ``carry_to_flax``.

Parameter layouts (``cell`` argument; the tree is the cell's own params:
``variables["params"]`` of a linen cell, ``nnx.to_pure_dict(nnx.state(cell,
nnx.Param))`` of an nnx cell)::

    "linen.LSTMCell", "linen.OptimizedLSTMCell":
        {ii,if,ig,io}/kernel [D, H]   {hi,hf,hg,ho}/kernel [H, H], /bias [H]
    "nnx.LSTMCell":   as linen, with "if_" for "if"
    "nnx.OptimizedLSTMCell":
        dense_i/kernel [D, 4H]   dense_h/kernel [H, 4H]   dense_h/bias [4H]
    "linen.GRUCell":
        {ir,iz,in}/kernel [D, H], /bias [H]   {hr,hz}/kernel [H, H]   hn/kernel [H, H], /bias [H]
    "nnx.GRUCell":
        dense_i/kernel [D, 3H], /bias [3H]   dense_h/kernel [H, 3H]
"""

from __future__ import annotations

from collections.abc import Mapping

import jax.numpy as jnp
import numpy as np

from lstmjax.cells.gru import GRUParams
from lstmjax.cells.lstm import LSTMParams, LSTMState
from lstmjax.interop._weights import WeightReader, flatten, to_numpy

CELLS = (
    "linen.LSTMCell",
    "linen.OptimizedLSTMCell",
    "linen.GRUCell",
    "nnx.LSTMCell",
    "nnx.OptimizedLSTMCell",
    "nnx.GRUCell",
)


def _check_cell(cell: str) -> None:
    if cell not in CELLS:
        raise ValueError(f"cell: expected one of {CELLS}, got {cell!r}")


def _gate_names(cell: str, gates: str) -> tuple[list[str], list[str]]:
    """Per-gate module names ``(input side, recurrent side)`` of the split layouts."""
    inputs = [f"i{g}" for g in gates]
    if cell == "nnx.LSTMCell":
        inputs = [name + "_" if name == "if" else name for name in inputs]
    return inputs, [f"h{g}" for g in gates]


def from_flax(tree: Mapping, cell: str):
    """Converts a Flax cell's params (layouts in the module doc) to lstmjax params.

    Args:
      tree: the cell's parameter dict (nested; arrays of any framework).
      cell: one of ``CELLS``, e.g. ``"linen.OptimizedLSTMCell"``.

    Returns:
      ``LSTMParams`` (for ``lstmjax.lstm(H)``) or ``GRUParams`` (``lstmjax.gru(H)``).

    Raises:
      ValueError: naming the missing, mis-shaped or unexpected key.
    """
    _check_cell(cell)
    reader = WeightReader(flatten(tree), "params", f"Flax {cell}")
    fused = cell.startswith("nnx.") and not cell.endswith(".LSTMCell")
    is_lstm = "LSTM" in cell
    G = 4 if is_lstm else 3
    if fused:
        D, GH = reader.shape_of("dense_i/kernel", rank=2)
        H = GH // G
        w_ih = reader.take("dense_i/kernel", (D, G * H))
        w_hh = reader.take("dense_h/kernel", (H, G * H))
        if is_lstm:
            params = LSTMParams(w_ih, w_hh, reader.take("dense_h/bias", (G * H,)))
        else:
            b = reader.take("dense_i/bias", (G * H,))
            params = GRUParams(w_ih, w_hh, b, np.zeros((H,), b.dtype))
    else:
        ins, hs = _gate_names(cell, "ifgo" if is_lstm else "rzn")
        D, H = reader.shape_of(f"{ins[0]}/kernel", rank=2)
        w_ih = np.concatenate([reader.take(f"{n}/kernel", (D, H)) for n in ins], axis=1)
        w_hh = np.concatenate([reader.take(f"{n}/kernel", (H, H)) for n in hs], axis=1)
        if is_lstm:
            b = np.concatenate([reader.take(f"{n}/bias", (H,)) for n in hs])
            params = LSTMParams(w_ih, w_hh, b)
        else:
            b = np.concatenate([reader.take(f"{n}/bias", (H,)) for n in ins])
            params = GRUParams(w_ih, w_hh, b, reader.take("hn/bias", (H,)))
    reader.finish()
    return type(params)(*(None if x is None else jnp.asarray(x) for x in params))


def to_flax(params, cell: str) -> dict:
    """Converts lstmjax ``LSTMParams`` / ``GRUParams`` to a Flax cell's param dict.

    The inverse of ``from_flax``. An LSTM with peepholes, a projection, layer
    normalisation or coupled gates has no Flax counterpart and is refused, as
    is a non-zero ``b_hn`` for ``"nnx.GRUCell"``.

    Returns:
      A nested dict of NumPy arrays, ``tree``; ``{"params": tree}`` is a linen cell's
      variables; ``nnx.replace_by_pure_dict(state, tree)`` fills an nnx cell's.
    """
    _check_cell(cell)
    want = LSTMParams if "LSTM" in cell else GRUParams
    if not isinstance(params, want):
        raise TypeError(f"params: expected {want.__name__} for {cell}, got {type(params).__name__}")
    if want is LSTMParams:
        for field in ("peephole", "w_proj", "layer_norm"):
            if getattr(params, field) is not None:
                raise ValueError(f"params.{field}: Flax's {cell} has no {field}")
    w_ih, w_hh, b = (to_numpy(x) for x in params[:3])
    H = w_hh.shape[0]
    G = 4 if want is LSTMParams else 3
    if w_hh.shape != (H, G * H):
        raise ValueError(
            f"params.w_hh: expected shape ({H}, {G * H}) for {cell} (a coupled LSTM has 3 "
            f"gates), got {w_hh.shape}"
        )
    if cell.startswith("nnx.") and not cell.endswith(".LSTMCell"):
        if want is LSTMParams:
            return {"dense_i": {"kernel": w_ih}, "dense_h": {"kernel": w_hh, "bias": b}}
        if np.any(to_numpy(params.b_hn)):
            raise ValueError("params.b_hn: nnx.GRUCell has no b_hn, and this one is non-zero")
        return {"dense_i": {"kernel": w_ih, "bias": b}, "dense_h": {"kernel": w_hh}}
    ins, hs = _gate_names(cell, "ifgo" if want is LSTMParams else "rzn")
    w_ih_g, w_hh_g, b_g = (np.split(x, G, axis=-1) for x in (w_ih, w_hh, b))
    tree = {}
    for gate in range(G):
        tree[ins[gate]] = {"kernel": w_ih_g[gate]}
        tree[hs[gate]] = {"kernel": w_hh_g[gate]}
        side = hs if want is LSTMParams else ins
        tree[side[gate]]["bias"] = b_g[gate]
    if want is GRUParams:
        tree["hn"]["bias"] = to_numpy(params.b_hn)
    return tree


def carry_from_flax(carry) -> LSTMState:
    """A Flax LSTM carry ``(c, h)`` as ``LSTMState(h, c)``, leaves ``[..., H]`` unchanged."""
    c, h = carry
    return LSTMState(h=h, c=c)


def carry_to_flax(state: LSTMState) -> tuple:
    """``LSTMState(h, c)`` as a Flax LSTM carry ``(c, h)``, leaves ``[..., H]`` unchanged."""
    return state.c, state.h
