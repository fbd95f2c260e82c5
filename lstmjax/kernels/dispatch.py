"""Which loops take a fast path: the choice ``lstmjax.rnn`` and ``bidirectional`` make per cell.

``fast_scan`` returns None when no fast path covers the cell and its params,
and the caller runs the reference ``lax.scan`` over ``cell.recurrent_step``.
Covered: the plain LSTM (gates ``i, f, g, o``, any ``forget_bias``/``chrono``
init, any ``compute_dtype``), with or without a mask and initial carry. Not
covered (reference scan): peepholes, projection, layer norm, coupled gates,
empty sequences (``T = 0``), and the GRU and tanh RNN cells.
"""

from __future__ import annotations

import jax.numpy as jnp

from lstmjax.cells.base import Cell
from lstmjax.cells.lstm import LSTMParams, LSTMState
from lstmjax.kernels.lstm_scan import lstm_directions, lstm_sequence
from lstmjax.kernels.tuning import split_directions


def plain_lstm(cell: Cell, params) -> bool:
    """Whether ``params`` are a plain LSTM's: no peephole, projection, layer norm, coupling."""
    return (
        cell.name == "LSTM"
        and isinstance(params, LSTMParams)
        and params.peephole is None
        and params.w_proj is None
        and params.layer_norm is None
        and params.w_hh.shape[-1] == 4 * cell.hidden_size
        and params.w_hh.shape[-2] == cell.hidden_size
    )


def fast_scan(cell: Cell, params, xs, carry, mask, unroll: int | None):
    """The fast layer over ``xs [T, B, D]``, or None if none covers ``cell``.

    Returns:
      ``(ys [T, B, O], final_carry)`` like the reference scan, or None.
    """
    if not plain_lstm(cell, params) or xs.shape[0] == 0:
        return None
    h0, c0 = carry
    ys, (h, c) = lstm_sequence(
        params.w_ih, params.b, params.w_hh, xs, h0, c0, mask, cell.compute_dtype, unroll
    )
    return ys, LSTMState(h, c)


def fast_scan_directions(cell: Cell, stacked_params, xs_dirs, stacked_carry, mask, unroll):
    """Both directions of a bidirectional layer in one fast scan, or None.

    None also where the backend vmaps the one-direction kernel instead
    (``lstmjax.kernels.tuning.SPLIT_DIRECTIONS``).

    ``stacked_params`` and ``stacked_carry`` have a leading direction axis;
    ``xs_dirs`` is a tuple of ``[T, B, D]`` inputs, one per direction.

    Returns:
      ``(ys_dirs, stacked_final_carry)``: a tuple of ``[T, B, H]`` outputs and
      the final carry stacked like ``stacked_carry``; or None.
    """
    if not split_directions() or not plain_lstm(cell, stacked_params) or xs_dirs[0].shape[0] == 0:
        return None
    n = len(xs_dirs)
    split = lambda x: tuple(x[d] for d in range(n))
    p = stacked_params
    ys, (h, c) = lstm_directions(
        split(p.w_ih),
        split(p.b),
        split(p.w_hh),
        tuple(xs_dirs),
        split(stacked_carry[0]),
        split(stacked_carry[1]),
        mask,
        cell.compute_dtype,
        unroll,
    )
    return ys, LSTMState(jnp.stack(h), jnp.stack(c))
