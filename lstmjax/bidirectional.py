"""Bidirectional layers: both directions in ONE scan, vmapped over direction.

The forward and backward directions' params are stacked on a leading axis of
size 2. The backward direction's input is each sequence reversed inside its
own length (padding stays at the end), so both directions become the same
forward, masked scan, and ``jax.vmap`` over the direction axis turns the two
loops into one loop whose body does both directions' work::

    xs_dir = [xs, reverse_in_length(xs)]             [2, T, B, D]
    ys_dir = vmap(scan)(params, xs_dir)              [2, T, B, O]
    ys     = merge(ys_dir[0], reverse_in_length(ys_dir[1]))

For the plain LSTM the one scan is ``lstmjax.kernels``' custom-VJP layer over
both directions (``fast_scan_directions``): the same loop, but each step runs
the two directions' recurrent matmuls as two ``[B, H] x [H, 4H]`` matmuls
instead of the vmapped batched one, on the backends where that measured
faster (``lstmjax.kernels.tuning.SPLIT_DIRECTIONS``: the CPU).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from lstmjax.cells.base import Cell
from lstmjax.kernels.dispatch import fast_scan_directions
from lstmjax.masking import length_mask, reverse_in_length
from lstmjax.rnn import SequenceLayout, scan_time_major
from lstmjax.validation import check_carry

MERGES = ("concat", "sum", "mean", "mul", "none")


class Bidirectional(NamedTuple):
    """A bidirectional layer: ``init(key, input_size)`` and ``apply(params, xs, ...)``."""

    cell: Cell
    merge: str
    output_size: int
    init: Callable
    apply: Callable


def _merge(merge: str, forward, backward):
    if merge == "concat":
        return jnp.concatenate([forward, backward], axis=-1)
    if merge == "sum":
        return forward + backward
    if merge == "mean":
        return 0.5 * (forward + backward)
    if merge == "mul":
        return forward * backward
    return forward, backward


def direction(params, index: int):
    """One direction's params (0 forward, 1 backward) from stacked params."""
    return jax.tree.map(lambda x: x[index], params)


def bidirectional(cell: Cell, merge: str = "concat") -> Bidirectional:
    """Builds a bidirectional layer over ``cell``.

    Args:
      cell: the cell both directions use (each with its own params).
      merge: how outputs combine: ``"concat"`` (``[..., 2O]``), ``"sum"``,
        ``"mean"``, ``"mul"`` (``[..., O]``) or ``"none"`` (a tuple
        ``(forward, backward)``, each ``[..., T, O]``).

    Returns:
      A ``Bidirectional`` with

      - ``init(key, input_size) -> params``, the cell's params with a leading
        direction axis of size 2 (0 forward, 1 backward);
      - ``apply(params, xs, *, lengths=None, initial_carry=None,
        time_major=False, unroll=None) -> (ys, final_carry)``, where
        ``final_carry`` has a leading direction axis: ``[2, ..., F]`` leaves,
        the backward one being its carry after step 0.
    """
    if merge not in MERGES:
        raise ValueError(f"merge: expected one of {MERGES}, got {merge!r}")
    output_size = 2 * cell.output_size if merge == "concat" else cell.output_size

    def init(key: jax.Array, input_size: int):
        keys = jax.random.split(key, 2)
        per_direction = [cell.init(k, input_size) for k in keys]
        return jax.tree.map(lambda f, b: jnp.stack([f, b]), *per_direction)

    def check_stacked(params) -> None:
        leaves = jax.tree.leaves(params)
        if not leaves or any(jnp.ndim(x) < 1 or jnp.shape(x)[0] != 2 for x in leaves):
            raise ValueError(
                "params: expected a bidirectional layer's params, every leaf with a "
                f"leading direction axis of size 2, got leaf shapes "
                f"{[jnp.shape(x) for x in leaves]}"
            )
        cell.check_params(direction(params, 0), "params[direction]")

    def apply(
        params,
        xs: jax.Array,
        *,
        lengths: jax.Array | None = None,
        initial_carry=None,
        time_major: bool = False,
        unroll: int | None = None,
    ):
        check_stacked(params)
        layout = SequenceLayout(direction(params, 0), xs, lengths, time_major=time_major)
        one = cell.initial_carry(layout.batch_shape, layout.dtype)
        expected = jax.tree.map(lambda x: jnp.stack([x, x]), one)
        check_carry(initial_carry, expected)
        carry = layout.carry_in(expected if initial_carry is None else initial_carry, lead=(2,))
        flat_lengths = layout.lengths(lengths)
        xs_t = layout.inputs(xs)
        mask = None if lengths is None else length_mask(flat_lengths, layout.num_steps)

        xs_back = reverse_in_length(xs_t, flat_lengths)
        fast = fast_scan_directions(cell, params, (xs_t, xs_back), carry, mask, unroll)
        if fast is None:

            def run_one(p, x, c):
                return scan_time_major(cell, p, x, c, mask, unroll)

            ys_dir, final = jax.vmap(run_one)(params, jnp.stack([xs_t, xs_back]), carry)
        else:
            ys_dir, final = fast
        forward = layout.outputs(ys_dir[0])
        backward = layout.outputs(reverse_in_length(ys_dir[1], flat_lengths))
        return _merge(merge, forward, backward), layout.carry_out(final, lead=(2,))

    return Bidirectional(cell=cell, merge=merge, output_size=output_size, init=init, apply=apply)
