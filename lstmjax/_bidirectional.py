"""Bidirectional layers: both directions in ONE scan, vmapped over direction.

The forward and backward directions' params are stacked on a leading axis of
size 2. The backward direction's input is each sequence reversed inside its
own length (padding stays at the end), so both directions become the same
forward, masked scan, and ``jax.vmap`` over the direction axis turns the two
loops into one loop whose body does both directions' work::

    xs_dir = stack(xs, reverse_in_length(xs))        xs_dir [2, T, B, D]
    ys_dir = vmap(scan)(params, xs_dir)              ys_dir [2, T, B, O]
    ys     = merge(ys_dir[0], reverse_in_length(ys_dir[1]))

For a cell with a fused kernel (the plain LSTM) the one scan is the kernel
over both directions: the same loop, but each step runs the two directions'
recurrent matmuls as two unbatched matmuls instead of the vmapped batched
one, on the backends where that measured faster
(``lstmjax.kernels.tuning.SPLIT_DIRECTIONS``); elsewhere the one-direction
kernel is vmapped like the reference scan.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from lstmjax._rnn import SequenceLayout, fused_kernel, scan_time_major, zero_padding
from lstmjax.cells.base import Cell
from lstmjax.chunked import check_remat
from lstmjax.kernels.tuning import split_directions
from lstmjax.masking import length_mask, reverse_in_length
from lstmjax.validation import check_carry, check_implementation, check_key, check_unroll

MERGES = ("concat", "sum", "mean", "mul", "none")


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


class Bidirectional(NamedTuple):
    """A bidirectional layer over ``cell``, following the layer protocol.

    ``init``, ``apply``, ``initial_carry`` and ``check_params`` as for a cell,
    with a leading direction axis of size 2 on params and carries (0
    forward, 1 backward). It has no ``step``: the backward direction needs
    the whole sequence.
    """

    cell: Cell
    merge: str = "concat"

    @property
    def output_size(self) -> int:
        """The features of each output, ``2 O`` for ``"concat"``, else the cell's ``O``."""
        return 2 * self.cell.output_size if self.merge == "concat" else self.cell.output_size

    @property
    def causal(self) -> bool:
        """Always False, as the backward direction reads the future (so there is no ``step``)."""
        return False

    def init(self, key: jax.Array, input_size: int):
        """The cell's params for each direction, stacked on a leading axis: leaves ``[2, ...]``."""
        keys = jax.random.split(check_key(key), 2)
        per_direction = [self.cell.init(k, input_size) for k in keys]
        return jax.tree.map(lambda f, b: jnp.stack([f, b]), *per_direction)

    def initial_carry(self, batch_shape=(), dtype=jnp.float32):
        """Both directions' zero carries, leaves ``[2, *batch_shape, F]``."""
        one = self.cell.initial_carry(batch_shape, dtype)
        return jax.tree.map(lambda x: jnp.stack([x, x]), one)

    def check_params(self, params, argname: str = "params") -> None:
        leaves = jax.tree.leaves(params)
        if not leaves or any(jnp.ndim(x) < 1 or jnp.shape(x)[0] != 2 for x in leaves):
            raise ValueError(
                f"{argname}: expected a bidirectional layer's params, every leaf with a "
                f"leading direction axis of size 2, got leaf shapes "
                f"{[jnp.shape(x) for x in leaves]}"
            )
        self.cell.check_params(direction(params, 0), f"{argname}[direction]")

    def step(self, params, carry, x_t, **step_inputs):
        raise ValueError(
            "step: a bidirectional layer has no step: its backward direction reads the "
            "sequence from the end; run it over the whole sequence with apply"
        )

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
        dropout_key=None,
    ):
        """Runs both directions over ``xs [..., T, D]`` in one scan.

        Args:
          params: stacked params from ``init``.
          xs, lengths, time_major, unroll, implementation, remat: as for
            ``lstmjax.rnn``.
          initial_carry: leaves ``[2, ..., F]`` (forward, backward), or None.
          train, dropout_key: accepted for the layer protocol; no dropout here.

        Returns:
          ``(ys, final_carry)``: ``ys [..., T, output_size]`` merged (a tuple
          ``(forward, backward)`` for ``merge="none"``) and the final carries
          with leaves ``[2, ..., F]``, the backward one after step 0.
        """
        cell, merge = self.cell, self.merge
        self.check_params(params)
        check_implementation(implementation)
        layout = SequenceLayout(cell, direction(params, 0), xs, lengths, time_major=time_major)
        unroll = check_unroll(unroll, layout.num_steps)
        chunk = check_remat(remat, layout.num_steps)
        expected = self.initial_carry(layout.batch_shape, layout.dtype)
        initial_carry = check_carry(initial_carry, expected)
        flat_lengths = layout.lengths(lengths)
        mask = None if lengths is None else length_mask(flat_lengths, layout.num_steps)
        xs_t = zero_padding(layout.inputs(xs), mask)
        carry = layout.carry_in(
            expected if initial_carry is None else initial_carry, xs_t, lead=(2,)
        )
        xs_back = reverse_in_length(xs_t, flat_lengths)

        kernel = fused_kernel(cell, implementation, layout.num_steps)
        if kernel is not None and split_directions() and chunk is None:
            ys_dir, finals = kernel(
                (direction(params, 0), direction(params, 1)),
                (xs_t, xs_back),
                (direction(carry, 0), direction(carry, 1)),
                mask,
                unroll,
            )
            final = jax.tree.map(lambda f, b: jnp.stack([f, b]), *finals)
        else:

            def run_one(p, x, c):
                return scan_time_major(cell, p, x, c, mask, unroll, implementation, chunk)

            ys_dir, final = jax.vmap(run_one)(params, jnp.stack([xs_t, xs_back]), carry)
        forward = layout.outputs(ys_dir[0])
        backward = layout.outputs(reverse_in_length(ys_dir[1], flat_lengths))
        return _merge(merge, forward, backward), layout.carry_out(final, lead=(2,))


def bidirectional(cell: Cell, merge: str = "concat") -> Bidirectional:
    """Builds a bidirectional layer over ``cell`` (each direction with its own params).

    Args:
      cell: the cell both directions use.
      merge: how outputs combine: ``"concat"`` (``[..., 2O]``), ``"sum"``,
        ``"mean"``, ``"mul"`` (``[..., O]``) or ``"none"`` (a tuple
        ``(forward, backward)``, each ``[..., T, O]``).

    Returns:
      A ``Bidirectional`` layer (``init``, ``apply``, ``initial_carry``).

    >>> import jax, jax.numpy as jnp, lstmjax as lj
    >>> layer = lj.bidirectional(lj.gru(4))
    >>> params = layer.init(jax.random.key(0), 3)
    >>> xs, lengths = jnp.ones((2, 5, 3)), jnp.array([5, 2])     # [B, T, D], [B]
    >>> ys, final = layer.apply(params, xs, lengths=lengths)
    >>> ys.shape, final.shape                                     # [B, T, 2H], [2, B, H]
    ((2, 5, 8), (2, 2, 4))
    """
    if not isinstance(cell, Cell):
        raise TypeError(f"cell: expected a Cell, got {type(cell).__name__}")
    if merge not in MERGES:
        raise ValueError(f"merge: expected one of {MERGES}, got {merge!r}")
    return Bidirectional(cell=cell, merge=merge)
