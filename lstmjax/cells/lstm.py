r"""The LSTM cell (Hochreiter & Schmidhuber 1997; forget gate, Gers et al. 2000).

Gate order in every fused matrix and bias is ``i, f, g, o`` (PyTorch's):
input gate, forget gate, candidate, output gate. With ``x_t [D]``, the
previous hidden state ``h [P]`` and cell state ``c [H]``::

    z     = x_t W_ih + b + h W_hh                      z [4H]
    i     = sigmoid(z_i + p_i * c)                      input gate
    f     = sigmoid(z_f + p_f * c)                      forget gate
    g     = tanh(z_g)                                   candidate
    c'    = f * c + i * g                               long-term memory
    o     = sigmoid(z_o + p_o * c')                     output gate
    h'    = o * tanh(c')            (then h' = h' W_proj if projected)

Options:

- ``peephole=True`` adds the diagonal peephole terms ``p_i, p_f, p_o``
  (Gers & Schmidhuber 2000); otherwise they are absent.
- ``proj_size=P`` projects the hidden state to ``P < H`` features (LSTMP,
  Sak et al. 2014; PyTorch's ``proj_size``): ``h' = (o * tanh(c')) W_proj``.
  The recurrent matrix is then ``[P, 4H]`` and the output has ``P`` features.
- ``layer_norm=True`` normalises the two pre-activation terms and the cell
  (Ba et al. 2016): ``z = LN(x_t W_ih) + LN(h W_hh) + b`` and
  ``h' = o * tanh(LN(c'))``, each LN over all of its features with its own
  gain and shift.
- ``coupled=True`` couples the input and forget gates (CIFG, Greff et al.
  2017): ``i = 1 - f``; the fused matrices then hold ``f, g, o`` (3H).
- ``forget_bias`` (default 1.0) is added to the forget-gate bias at init;
  ``chrono=T_max`` instead draws it by chrono initialisation (Tallec &
  Ollivier 2018) with the input-gate bias set to ``-b_f``.

Gate math and the state are float32 (see ``lstmjax.precision``); with
``compute_dtype=jnp.bfloat16`` the matmul operands are bfloat16.
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
    LayerNormParams,
    apply_layer_norm,
    as_batch_shape,
    check_params_type,
    check_positive_int,
    check_real,
    check_shape,
    exportable,
    layer_norm_init,
    make_cell,
    mask_hidden,
    split_gates,
)
from lstmjax.kernels.lstm_scan import lstm_directions
from lstmjax.precision import canonical_compute_dtype, matmul
from lstmjax.validation import check_flag, check_key


@exportable
class LSTMLayerNorm(NamedTuple):
    """Layer-norm params: ``input`` and ``hidden`` ``[G*H]``, ``cell`` ``[H]``."""

    input: LayerNormParams
    hidden: LayerNormParams
    cell: LayerNormParams


@exportable
class LSTMParams(NamedTuple):
    """LSTM parameters. ``G`` is 4 (3 when coupled), ``P`` the output size.

    Attributes:
      w_ih: ``[D, G*H]`` input weights, gate blocks ``i, f, g, o``.
      w_hh: ``[P, G*H]`` recurrent weights.
      b: ``[G*H]`` bias (PyTorch's ``b_ih + b_hh``).
      peephole: ``[3, H]`` rows ``p_i, p_f, p_o`` (``[2, H]``, ``p_f, p_o``
        when coupled), or None.
      w_proj: ``[H, P]`` output projection, or None.
      layer_norm: ``LSTMLayerNorm`` or None.
    """

    w_ih: jax.Array
    w_hh: jax.Array
    b: jax.Array
    peephole: jax.Array | None = None
    w_proj: jax.Array | None = None
    layer_norm: LSTMLayerNorm | None = None


@exportable
class LSTMState(NamedTuple):
    """The LSTM carry: hidden state ``h [..., P]`` and cell state ``c [..., H]``."""

    h: jax.Array
    c: jax.Array


@dataclasses.dataclass(frozen=True)
class LSTMConfig:
    """The static configuration of an LSTM cell: ``lstm(**asdict(config))`` rebuilds it."""

    hidden_size: int
    forget_bias: float = 1.0
    chrono: float | None = None
    peephole: bool = False
    proj_size: int | None = None
    layer_norm: bool = False
    coupled: bool = False
    input_init: str = "glorot_uniform"
    recurrent_init: str = "orthogonal"
    compute_dtype: Any = None

    @property
    def plain(self) -> bool:
        """Whether there is no peephole, projection, layer norm or coupling (the fused LSTM)."""
        return not (self.peephole or self.proj_size or self.layer_norm or self.coupled)


def _fused_scan(compute_dtype):
    """The plain LSTM's ``Fused.scan`` (``lstmjax.kernels.lstm_scan.lstm_directions``)."""

    def scan(params, xs, carries, mask, unroll):
        ys, (h, c) = lstm_directions(
            tuple(p.w_ih for p in params),
            tuple(p.b for p in params),
            tuple(p.w_hh for p in params),
            tuple(xs),
            tuple(carry.h for carry in carries),
            tuple(carry.c for carry in carries),
            mask,
            compute_dtype,
            unroll,
        )
        return ys, tuple(LSTMState(h_d, c_d) for h_d, c_d in zip(h, c))

    return scan


def lstm(
    hidden_size: int,
    *,
    forget_bias: float = 1.0,
    chrono: float | None = None,
    peephole: bool = False,
    proj_size: int | None = None,
    layer_norm: bool = False,
    coupled: bool = False,
    input_init: str = "glorot_uniform",
    recurrent_init: str = "orthogonal",
    compute_dtype=None,
) -> Cell:
    """Builds an LSTM cell (equations in the module docstring).

    Args:
      hidden_size: H, the size of the cell state.
      forget_bias: added to the forget-gate bias at init.
      chrono: if given, ``T_max`` for chrono initialisation of the forget and
        input biases (overrides ``forget_bias``).
      peephole: add diagonal peephole connections.
      proj_size: P < H, project the hidden state (LSTMP); None for no projection.
      layer_norm: layer-normalise the pre-activations and the cell.
      coupled: couple input and forget gates (CIFG), ``i = 1 - f``.
      input_init: initialiser of ``w_ih`` (see ``lstmjax.init``).
      recurrent_init: initialiser of ``w_hh``.
      compute_dtype: matmul operand dtype (e.g. ``jnp.bfloat16``), None for
        the params' own dtype.

    Returns:
      A ``Cell`` whose carry is ``LSTMState``, whose output is ``h`` and whose
      ``config`` is an ``LSTMConfig``; a plain LSTM (no peephole, projection,
      layer norm or coupling) carries the fused kernel.
    """
    H = check_positive_int(hidden_size, "hidden_size")
    if proj_size is not None:
        proj_size = check_positive_int(proj_size, "proj_size")
        if proj_size >= H:
            raise ValueError(f"proj_size: expected < hidden_size={H}, got {proj_size}")
    forget_bias = check_real(forget_bias, "forget_bias")
    chrono = check_real(chrono, "chrono", optional=True)
    if chrono is not None and chrono <= 2:
        raise ValueError(f"chrono: expected T_max > 2, got {chrono}")
    for flag, argname in (
        (peephole, "peephole"),
        (layer_norm, "layer_norm"),
        (coupled, "coupled"),
    ):
        check_flag(flag, argname)
    compute_dtype = canonical_compute_dtype(compute_dtype)
    config = LSTMConfig(
        H,
        forget_bias,
        chrono,
        bool(peephole),
        proj_size,
        bool(layer_norm),
        bool(coupled),
        input_init,
        recurrent_init,
        compute_dtype,
    )
    P = proj_size or H
    G = 3 if coupled else 4
    # Row of each gate inside the fused blocks.
    gate_index = {"f": 0, "g": 1, "o": 2} if coupled else {"i": 0, "f": 1, "g": 2, "o": 3}

    def init(key: jax.Array, input_size: int) -> LSTMParams:
        check_key(key)
        check_positive_int(input_size, "input_size")
        k_ih, k_hh, k_b, k_p = jax.random.split(key, 4)
        w_ih = initializers.gate_matrix(k_ih, input_size, H, G, input_init)
        w_hh = initializers.gate_matrix(k_hh, P, H, G, recurrent_init)
        b = jnp.zeros((G, H), jnp.float32)
        if chrono is not None:
            b_f = initializers.chrono_forget_bias(k_b, H, chrono)
            b = b.at[gate_index["f"]].set(b_f)
            if not coupled:
                b = b.at[gate_index["i"]].set(-b_f)
        else:
            b = b.at[gate_index["f"]].set(forget_bias)
        return LSTMParams(
            w_ih=w_ih,
            w_hh=w_hh,
            b=b.reshape(G * H),
            peephole=jnp.zeros((G - 1, H), jnp.float32) if peephole else None,
            w_proj=initializers.gate_matrix(k_p, H, P, 1, input_init) if proj_size else None,
            layer_norm=(
                LSTMLayerNorm(layer_norm_init(G * H), layer_norm_init(G * H), layer_norm_init(H))
                if layer_norm
                else None
            ),
        )

    def initial_carry(batch_shape=(), dtype=jnp.float32) -> LSTMState:
        batch_shape = as_batch_shape(batch_shape)
        return LSTMState(
            h=jnp.zeros(batch_shape + (P,), dtype), c=jnp.zeros(batch_shape + (H,), dtype)
        )

    def check_params(params, argname: str = "params") -> None:
        check_params_type(params, LSTMParams, "LSTM", argname)
        check_shape(params.w_ih, (None, G * H), f"{argname}.w_ih")
        check_shape(params.w_hh, (P, G * H), f"{argname}.w_hh")
        check_shape(params.b, (G * H,), f"{argname}.b")
        for field, wanted, shape in (
            ("peephole", peephole, (G - 1, H)),
            ("w_proj", proj_size is not None, (H, P)),
            ("layer_norm", layer_norm, None),
        ):
            value = getattr(params, field)
            if (value is not None) != wanted:
                raise ValueError(
                    f"{argname}.{field}: this cell was built with "
                    f"{'' if wanted else 'no '}{field}, got "
                    f"{'None' if value is None else 'an array'}"
                )
            if value is not None and shape is not None:
                check_shape(value, shape, f"{argname}.{field}")

    def input_projection(params: LSTMParams, xs: jax.Array) -> jax.Array:
        z = matmul(xs, params.w_ih, compute_dtype)
        if params.layer_norm is not None:
            z = apply_layer_norm(z, params.layer_norm.input)
        return z + params.b

    def recurrent_step(params: LSTMParams, carry: LSTMState, xp_t: jax.Array, *, hidden_mask=None):
        h, c = carry
        zh = matmul(mask_hidden(h, hidden_mask), params.w_hh, compute_dtype)
        if params.layer_norm is not None:
            zh = apply_layer_norm(zh, params.layer_norm.hidden)
        gates = split_gates(xp_t + zh, G)
        z_f, z_g, z_o = gates[gate_index["f"]], gates[gate_index["g"]], gates[gate_index["o"]]
        if params.peephole is not None:
            p = params.peephole
            z_f = z_f + p[-2] * c
        f = jax.nn.sigmoid(z_f)
        if coupled:
            i = 1.0 - f
        else:
            z_i = gates[gate_index["i"]]
            if params.peephole is not None:
                z_i = z_i + params.peephole[0] * c
            i = jax.nn.sigmoid(z_i)
        c_new = f * c + i * jnp.tanh(z_g)
        if params.peephole is not None:
            z_o = z_o + params.peephole[-1] * c_new
        o = jax.nn.sigmoid(z_o)
        c_out = (
            c_new if params.layer_norm is None else apply_layer_norm(c_new, params.layer_norm.cell)
        )
        h_new = o * jnp.tanh(c_out)
        if params.w_proj is not None:
            h_new = matmul(h_new, params.w_proj, compute_dtype)
        h_new = h_new.astype(h.dtype)
        c_new = c_new.astype(c.dtype)
        return LSTMState(h_new, c_new), h_new

    fused = Fused(_fused_scan(compute_dtype), input_projection, recurrent_step)
    return make_cell(
        "LSTM",
        H,
        P,
        compute_dtype,
        init=init,
        initial_carry=initial_carry,
        input_projection=input_projection,
        recurrent_step=recurrent_step,
        check_params=check_params,
        input_size=lambda params: params.w_ih.shape[-2],
        config=config,
        fused=fused if config.plain else None,
    )
