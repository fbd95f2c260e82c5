r"""PyTorch ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` weights to lstmjax and back.

Works on plain arrays (NumPy, or tensors read through ``.detach().numpy()``):
PyTorch itself is never imported here.

PyTorch's names, for layer ``k`` (``_reverse`` appended for the backward
direction of a bidirectional network) and ``G`` gates of size ``H``::

    weight_ih_l{k}  [G*H, D_k]    ->  w_ih = weight_ih.T           [D_k, G*H]
    weight_hh_l{k}  [G*H, P]      ->  w_hh = weight_hh.T           [P, G*H]
    bias_ih_l{k}    [G*H]     \
    bias_hh_l{k}    [G*H]     /   ->  b (see below)
    weight_hr_l{k}  [P, H]        ->  w_proj = weight_hr.T         [H, P]  (LSTM, proj_size > 0)

``D_0`` is ``input_size`` and ``D_k = num_directions * P`` above it; ``P`` is
``proj_size`` if set, else ``H``. The gate orders are the same as lstmjax's:
LSTM ``i, f, g, o``; GRU ``r, z, n``; so the blocks are copied, not permuted.

The two biases. PyTorch adds ``b_ih`` to ``x W_ih^T`` and ``b_hh`` to
``h W_hh^T``; for the LSTM and the plain RNN both land in the same sum, so
lstmjax keeps ONE bias ``b = b_ih + b_hh``. The GRU's candidate multiplies the
recurrent term by the reset gate, ``n = tanh(W_in x + b_in + r * (W_hn h +
b_hn))``, so only its ``r`` and ``z`` blocks are summed and ``b_hn`` stays
separate. Exporting writes the whole bias into ``bias_ih`` and zeros into
``bias_hh`` (except the GRU's ``b_hn`` block): the same function, not the
same split. With ``bias=False`` no bias key is read (lstmjax's ``b`` is zero)
and exporting refuses a non-zero bias rather than dropping it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from lstmjax._bidirectional import bidirectional as make_bidirectional
from lstmjax._stack import Stack, stack
from lstmjax.cells.gru import GRUParams, gru
from lstmjax.cells.lstm import LSTMParams, lstm
from lstmjax.cells.simple_rnn import SimpleRNNParams, simple_rnn
from lstmjax.interop._weights import WeightReader, check_cell_config, to_numpy

MODES = ("LSTM", "GRU", "RNN_TANH", "RNN_RELU")
_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _check_config(mode: str, hidden_size: int, num_layers: int, proj_size: int) -> None:
    if mode not in MODES:
        raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")
    for name, value in (("hidden_size", hidden_size), ("num_layers", num_layers)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name}: expected a positive int, got {value!r}")
    if proj_size and mode != "LSTM":
        raise ValueError(f"proj_size: only an LSTM has a projection, got {proj_size} for {mode}")
    if proj_size and not 0 < proj_size < hidden_size:
        raise ValueError(f"proj_size: expected 0 or in (0, {hidden_size}), got {proj_size}")


def _cell(mode: str, hidden_size: int, proj_size: int):
    if mode == "LSTM":
        return lstm(hidden_size, proj_size=proj_size or None)
    if mode == "GRU":
        return gru(hidden_size)
    return simple_rnn(hidden_size, nonlinearity="tanh" if mode == "RNN_TANH" else "relu")


def network(
    mode: str,
    hidden_size: int,
    *,
    num_layers: int = 1,
    bidirectional: bool = False,
    proj_size: int = 0,
) -> Stack:
    """The lstmjax network that computes what a PyTorch RNN module computes.

    Args:
      mode: ``"LSTM"``, ``"GRU"``, ``"RNN_TANH"`` or ``"RNN_RELU"`` (the
        module's ``mode`` attribute).
      hidden_size, num_layers, bidirectional, proj_size: as in ``nn.LSTM``.

    Returns:
      An ``lstmjax.Stack`` of ``num_layers`` cells (or ``Bidirectional``
      layers with ``merge="concat"``), whose ``apply(params, xs [B, T, D],
      lengths=...)`` returns ``ys [B, T, num_directions * P]`` and one final
      carry per layer.
    """
    _check_config(mode, hidden_size, num_layers, proj_size)
    cell = _cell(mode, hidden_size, proj_size)
    layer = make_bidirectional(cell, merge="concat") if bidirectional else cell
    return stack([layer] * num_layers)


def from_torch(
    state_dict: Mapping,
    mode: str,
    *,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bias: bool = True,
    bidirectional: bool = False,
    proj_size: int = 0,
) -> tuple:
    """Converts a PyTorch RNN module's ``state_dict`` to lstmjax params.

    The configuration is the module's constructor arguments; every key it
    implies must be present with exactly its shape, and no other key may be.

    Args:
      state_dict: ``{name: array}`` from ``module.state_dict()`` (tensors or
        NumPy arrays).
      mode: ``"LSTM"``, ``"GRU"``, ``"RNN_TANH"`` or ``"RNN_RELU"``.
      input_size, hidden_size, num_layers, bias, bidirectional, proj_size: as
        given to ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN``.

    Returns:
      A tuple of per-layer params for ``network(mode, hidden_size, ...)``; a
      bidirectional layer's params are stacked on a leading axis of size 2
      (0 forward, 1 ``_reverse``).

    Raises:
      ValueError: naming the missing, mis-shaped or unexpected key.
    """
    _check_config(mode, hidden_size, num_layers, proj_size)
    H, P, G = hidden_size, proj_size or hidden_size, _GATES[mode]
    dirs = 2 if bidirectional else 1
    architecture = (
        f"{mode} input_size={input_size} hidden_size={H} num_layers={num_layers} "
        f"bias={bias} bidirectional={bidirectional} proj_size={proj_size}"
    )
    reader = WeightReader(state_dict, "state_dict", architecture)
    layers = []
    for k in range(num_layers):
        d_in = input_size if k == 0 else dirs * P
        per_direction = [
            _read_direction(reader, mode, f"_l{k}" + ("_reverse" if d else ""), d_in, H, P, G, bias)
            for d in range(dirs)
        ]
        if bidirectional:
            layers.append(type(per_direction[0])(*map(_stack_pair, *per_direction)))
        else:
            layers.append(per_direction[0])
    reader.finish()
    return tuple(layers)


def _stack_pair(forward, backward):
    return None if forward is None else jnp.stack([forward, backward])


def _read_direction(reader: WeightReader, mode, suffix, d_in, H, P, G, bias):
    w_ih = jnp.asarray(reader.take(f"weight_ih{suffix}", (G * H, d_in)).T)
    w_hh = jnp.asarray(reader.take(f"weight_hh{suffix}", (G * H, P)).T)
    if bias:
        b_ih = reader.take(f"bias_ih{suffix}", (G * H,))
        b_hh = reader.take(f"bias_hh{suffix}", (G * H,))
    else:
        b_ih = b_hh = np.zeros((G * H,), w_ih.dtype)
    if mode == "GRU":
        b = b_ih + np.concatenate([b_hh[: 2 * H], np.zeros((H,), b_hh.dtype)])
        return GRUParams(w_ih, w_hh, jnp.asarray(b), jnp.asarray(b_hh[2 * H :]))
    if mode == "LSTM":
        w_proj = None
        if P != H:
            w_proj = jnp.asarray(reader.take(f"weight_hr{suffix}", (P, H)).T)
        return LSTMParams(w_ih, w_hh, jnp.asarray(b_ih + b_hh), w_proj=w_proj)
    return SimpleRNNParams(w_ih, w_hh, jnp.asarray(b_ih + b_hh))


def from_torch_module(module) -> tuple[Stack, tuple]:
    """``(network, params)`` from an ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` instance.

    Reads the module's configuration attributes and ``state_dict()``;
    ``batch_first`` does not matter (lstmjax is batch-major, ``time_major=``
    selects the other layout).

    Raises:
      TypeError: ``module`` is not an ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN``.
    """
    mode = getattr(module, "mode", None)
    if mode not in MODES or not callable(getattr(module, "state_dict", None)):
        raise TypeError(
            "module: expected a torch.nn.LSTM, GRU or RNN (an RNNBase with mode in "
            f"{MODES}), got {type(module).__name__}"
        )
    config = dict(
        hidden_size=module.hidden_size,
        num_layers=module.num_layers,
        bidirectional=module.bidirectional,
        proj_size=getattr(module, "proj_size", 0),
    )
    params = from_torch(
        module.state_dict(), mode, input_size=module.input_size, bias=module.bias, **config
    )
    return network(mode, **config), params


def to_torch(
    params: Sequence, *, bias: bool = True, net: Stack | None = None
) -> dict[str, np.ndarray]:
    """Converts lstmjax stacked-network params to a PyTorch ``state_dict``.

    Args:
      params: per-layer params of a network like ``network(...)`` builds:
        all layers LSTM (no peepholes, layer norm or coupling), GRU or plain
        RNN, all unidirectional or all bidirectional, one hidden size.
      bias: whether the PyTorch module has biases; with ``bias=False`` every
        bias must be zero.
      net: the ``Stack`` the params belong to (``network(...)``,
        ``from_torch_module``): each layer's direction count and its cell's
        ``config`` say what the params hold, and the params are checked
        against them. Without it both are inferred from the params (which
        fields are set, a coupled LSTM from its 3-gate ``w_hh``, a
        bidirectional layer from the leading axis of ``w_hh``).

    Returns:
      ``{name: np.ndarray}``; load it with
      ``module.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})``.
    """
    if isinstance(params, (LSTMParams, GRUParams, SimpleRNNParams)):
        raise TypeError("params: expected a sequence of per-layer params, got one layer's params")
    if not params:
        raise ValueError("params: expected at least one layer, got none")
    kinds = {type(p) for p in params}
    if len(kinds) != 1 or not kinds <= {LSTMParams, GRUParams, SimpleRNNParams}:
        raise TypeError(
            f"params: expected every layer to be LSTMParams, GRUParams or SimpleRNNParams "
            f"of one kind, got {[type(p).__name__ for p in params]}"
        )
    directions = _directions(params, net)
    bidirectional = directions[0] == 2
    out: dict[str, np.ndarray] = {}
    for k, layer in enumerate(params):
        if (directions[k] == 2) != bidirectional:
            raise ValueError(
                f"params[{k}]: expected every layer {'bi' if bidirectional else 'uni'}directional "
                f"like layer 0, got w_hh of shape {np.shape(layer.w_hh)}"
            )
        if np.shape(layer.w_hh)[-1] != np.shape(params[0].w_hh)[-1]:
            raise ValueError(
                f"params[{k}].w_hh: PyTorch needs one hidden size for all layers, got "
                f"{np.shape(layer.w_hh)} after {np.shape(params[0].w_hh)}"
            )
        if net is None:
            _guess_exportable(layer, f"params[{k}]")
        for d in (0, 1) if bidirectional else (None,):
            one = type(layer)(*(None if x is None else _numpy_direction(x, d) for x in layer))
            suffix = f"_l{k}" + ("_reverse" if d == 1 else "")
            out.update(_write_direction(one, suffix, bias, f"params[{k}]"))
    return out


def _numpy_direction(x, d: int | None) -> np.ndarray:
    x = to_numpy(x)
    return x if d is None else x[d]


def _directions(params: Sequence, net: Stack | None) -> list[int]:
    """Each layer's number of directions: from ``net``'s layers (checking the
    params against their cells' configs), else from the rank of ``w_hh``."""
    if net is None:
        return [2 if np.ndim(p.w_hh) == 3 else 1 for p in params]
    layers = getattr(net, "layers", None)
    if layers is None or len(layers) != len(params):
        raise ValueError(
            f"net: expected a Stack of {len(params)} layers (one per params entry), got "
            f"{type(net).__name__} with {'no' if layers is None else len(layers)} layers"
        )
    directions = []
    for k, (layer, p) in enumerate(zip(layers, params)):
        cell = getattr(layer, "cell", layer)  # a Bidirectional's cell, or the cell
        two = cell is not layer
        for d in (0, 1) if two else (None,):
            one = p if d is None else jax.tree.map(lambda x, d=d: x[d], p)
            check_cell_config(cell, one, ("proj_size",), "PyTorch", f"net.layers[{k}]")
        directions.append(2 if two else 1)
    return directions


def _guess_exportable(p, argname: str) -> None:
    if not isinstance(p, LSTMParams):
        return
    for field in ("peephole", "layer_norm"):
        if getattr(p, field) is not None:
            raise ValueError(f"{argname}.{field}: PyTorch's nn.LSTM has no {field}")
    hidden = np.shape(p.w_proj)[-2] if p.w_proj is not None else np.shape(p.w_hh)[-2]
    if np.shape(p.w_hh)[-1] != 4 * hidden:
        raise ValueError(
            f"{argname}.w_hh: expected 4 gates of {hidden} ([..., {4 * hidden}]; a coupled "
            f"LSTM has 3, which nn.LSTM cannot hold), got {np.shape(p.w_hh)}"
        )


def _write_direction(p, suffix: str, bias: bool, argname: str) -> dict[str, np.ndarray]:
    b_ih = p.b
    b_hh = np.zeros_like(p.b)
    if isinstance(p, GRUParams):
        b_hh[-p.b_hn.shape[0] :] = p.b_hn
    out = {
        f"weight_ih{suffix}": np.ascontiguousarray(p.w_ih.T),
        f"weight_hh{suffix}": np.ascontiguousarray(p.w_hh.T),
    }
    if bias:
        out[f"bias_ih{suffix}"] = np.ascontiguousarray(b_ih)
        out[f"bias_hh{suffix}"] = b_hh
    elif np.any(b_ih) or np.any(b_hh):
        raise ValueError(f"{argname}.b: bias=False but the params have a non-zero bias")
    if isinstance(p, LSTMParams) and p.w_proj is not None:
        out[f"weight_hr{suffix}"] = np.ascontiguousarray(p.w_proj.T)
    return out


def final_state(finals: Sequence, *, bidirectional: bool = False):
    """A network's final carries in PyTorch's layout.

    Args:
      finals: the per-layer final carries from ``network(...).apply``.
      bidirectional: whether the network is bidirectional.

    Returns:
      ``h_n [num_layers * num_directions, B, P]`` (GRU, RNN) or the pair
      ``(h_n, c_n)`` with ``c_n [num_layers * num_directions, B, H]`` (LSTM),
      layer-major, forward before backward, as PyTorch returns them.
    """

    def gather(leaf_of):
        leaves = [leaf_of(f) for f in finals]
        if bidirectional:
            return jnp.concatenate(leaves, axis=0)
        return jnp.stack(leaves, axis=0)

    if hasattr(finals[0], "c"):
        return gather(lambda f: f.h), gather(lambda f: f.c)
    return gather(lambda f: f)
