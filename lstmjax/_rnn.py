"""Running one cell over time: a hoisted input projection, then ``lax.scan``.

For ``xs [B, T, D]`` the input part of every pre-activation,
``x_t W_ih + b`` for all ``T`` steps, is ONE ``[T*B, D] x [D, G*H]`` matmul
before the loop; only the recurrent product ``h W_hh`` and the gate math run
inside ``jax.lax.scan``. Variable lengths are handled by masking inside the
scan: past ``lengths[b]`` the carry is held and the output is zero, so the
final carry is each sequence's carry at its last valid step; padded inputs
are zeroed before the projection, so no gradient flows from padding (not
even a NaN or inf stored there).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from lstmjax.cells.base import Cell
from lstmjax.chunked import check_remat, chunked_scan
from lstmjax.kernels.tuning import default_unroll
from lstmjax.masking import length_mask, reverse_in_length
from lstmjax.precision import state_dtype
from lstmjax.validation import (
    check_carry,
    check_flag,
    check_float_params,
    check_implementation,
    check_input_features,
    check_inputs,
    check_lengths,
    check_unroll,
)


def fused_kernel(cell: Cell, implementation: str, num_steps: int):
    """The cell's fused scan (``Fused.scan``) to run, or None for the reference scan.

    ``"auto"`` takes the fused kernel where the cell has one (and ``T > 0``);
    ``"reference"`` never does; ``"fused"`` insists, and raises for a cell
    without one (a custom or derived cell, an LSTM with peepholes ...).
    """
    kernel = cell.fused_scan()
    if implementation == "fused" and kernel is None:
        reason = (
            "it was derived from a factory's cell with other functions"
            if cell.fused is not None
            else "none exists for its functions or options"
        )
        raise ValueError(
            f'implementation: "fused" needs a cell with a fused kernel; this {cell.name} '
            f'cell has none ({reason}); use "auto" or "reference"'
        )
    if implementation == "reference" or num_steps == 0:
        return None
    return kernel


def scan_time_major(
    cell: Cell,
    params,
    xs,
    carry,
    mask,
    unroll: int | None = None,
    implementation: str = "auto",
    chunk: int | None = None,
):
    """The loop itself, on flat time-major arrays.

    Runs the cell's fused kernel where ``implementation`` allows one
    (``fused_kernel``), else ``scan_reference`` over the hoisted input
    projection. Both compute the same function. With ``chunk``, the loop
    runs in gradient-checkpointed chunks of that many steps
    (``lstmjax.chunked``).

    Args:
      cell: the cell.
      params: the cell's params.
      xs: ``[T, B, D]`` inputs.
      carry: the initial carry, leaves ``[B, ...]``.
      mask: ``[T, B]`` booleans (False on padding), or None for full sequences.
      unroll: steps per loop iteration (``lax.scan``'s ``unroll``); None for
        the backend's default (``lstmjax.kernels.tuning``).
      implementation: ``"auto"``, ``"reference"`` or ``"fused"``.
      chunk: steps per checkpointed chunk, or None for one plain loop.

    Returns:
      ``(ys [T, B, O], final_carry)``.
    """
    if chunk is not None:

        def run(x, c, m):
            return scan_time_major(cell, params, x, c, m, unroll, implementation)

        return chunked_scan(run, xs, carry, mask, chunk)
    kernel = fused_kernel(cell, implementation, xs.shape[0])
    if kernel is not None:
        (ys,), (final,) = kernel((params,), (xs,), (carry,), mask, unroll)
        return ys, final
    if unroll is None:
        unroll = default_unroll(xs.shape[0])
    return scan_reference(cell, params, cell.input_projection(params, xs), carry, mask, unroll)


def scan_reference(cell: Cell, params, xp, carry, mask, unroll: int = 1):
    """``lax.scan`` of ``cell.recurrent_step`` over ``xp [T, B, G*H]`` (autodiff backward).

    Past a sequence's length (``mask`` False) the carry is held and the
    output is zero. Returns ``(ys [T, B, O], final_carry)``.
    """
    if mask is None:

        def body(carry, xp_t):
            return cell.recurrent_step(params, carry, xp_t)

        final, ys = jax.lax.scan(body, carry, xp, unroll=unroll)
        return ys, final

    def masked_body(carry, inputs):
        xp_t, valid = inputs
        new_carry, y = cell.recurrent_step(params, carry, xp_t)
        new_carry = jax.tree.map(lambda n, o: jnp.where(_per_row(valid, n), n, o), new_carry, carry)
        return new_carry, jnp.where(_per_row(valid, y), y, jnp.zeros_like(y))

    final, ys = jax.lax.scan(masked_body, carry, (xp, mask), unroll=unroll)
    return ys, final


def _per_row(mask, like):
    """``mask [..., B]`` with trailing unit axes to broadcast against ``like [..., B, *F]``."""
    return mask.reshape(mask.shape + (1,) * (like.ndim - mask.ndim))


def zero_padding(xs, mask):
    """``xs [T, B, *F]`` with the padding (``mask`` False) set to 0; ``xs`` if ``mask`` is None.

    The input projection's weight gradient is ``X^T dZ``: with ``dZ = 0`` on
    padding, a NaN or inf left there would still give ``NaN * 0 = NaN``.
    Zeroed by a select, whose gradient to the padding is exactly 0.
    """
    if mask is None:
        return xs
    return jnp.where(_per_row(mask, xs), xs, jnp.zeros((), xs.dtype))


class SequenceLayout:
    """Moves ``xs``, ``lengths`` and carries between the user's layout and the scan's.

    The user's ``xs`` is ``[..., T, *F]`` (or ``[T, ..., *F]`` time-major) with
    any number of leading batch dimensions ``batch_shape`` and the cell's
    ``feature_ndim`` feature axes ``F`` (``[D]``, or ``[height, width, C]``);
    the scan wants ``[T, B, *F]`` with ``B = prod(batch_shape)``. Carry
    leaves and outputs keep their own feature axes the same way.
    """

    def __init__(self, cell: Cell, params, xs, lengths, *, time_major: bool):
        self.time_major = check_flag(time_major, "time_major")
        self.feature_ndim = k = cell.feature_ndim
        self.num_steps, self.batch_shape = check_inputs(xs, time_major=time_major, feature_ndim=k)
        leaves = check_float_params(params)
        check_input_features(cell, params, xs)
        check_lengths(lengths, self.batch_shape, self.num_steps)
        self.batch_size = math.prod(self.batch_shape)
        self.dtype = state_dtype(xs.dtype, *(leaf.dtype for leaf in leaves))

    def _features(self, x):
        return tuple(x.shape[x.ndim - self.feature_ndim :])

    def inputs(self, xs):
        """``[..., T, *F]`` -> ``[T, B, *F]``."""
        if not self.time_major:
            xs = jnp.moveaxis(xs, -1 - self.feature_ndim, 0)
        return xs.reshape((self.num_steps, self.batch_size) + self._features(xs))

    def outputs(self, ys):
        """``[T, B, *O]`` -> ``[..., T, *O]``."""
        ys = ys.reshape((self.num_steps,) + self.batch_shape + self._features(ys))
        return ys if self.time_major else jnp.moveaxis(ys, 0, -1 - self.feature_ndim)

    def lengths(self, lengths):
        return None if lengths is None else lengths.reshape(self.batch_size)

    def carry_in(self, carry, xs_t, lead=()):
        """Leaves ``[*lead, *batch_shape, *F]`` -> ``[*lead, B, *F]``, batched like ``xs_t``.

        Each leaf is added to zeros shaped from ``xs_t [T, B, *F_in]``'s batch,
        so it takes the batch's sharding (an unsharded zero carry would not
        match the sharded carry the scan returns under an explicit-axis mesh).
        """
        rows = jnp.sum(xs_t[:1], axis=(0,) + tuple(range(2, xs_t.ndim)))  # [B]
        batch_zeros = jnp.zeros_like(rows, self.dtype).reshape((-1,) + (1,) * self.feature_ndim)

        def one(x):
            x = x.reshape(lead + (self.batch_size,) + self._features(x)).astype(self.dtype)
            return x + batch_zeros

        return jax.tree.map(one, carry)

    def carry_out(self, carry, lead=()):
        """Leaves ``[*lead, B, *F]`` -> ``[*lead, *batch_shape, *F]``."""
        return jax.tree.map(lambda x: x.reshape(lead + self.batch_shape + self._features(x)), carry)


def rnn(
    cell: Cell,
    params,
    xs: jax.Array,
    *,
    lengths: jax.Array | None = None,
    initial_carry=None,
    time_major: bool = False,
    reverse: bool = False,
    unroll: int | None = None,
    implementation: str = "auto",
    remat: int | str | None = None,
):
    """Runs ``cell`` over the time axis of ``xs``.

    Args:
      cell: a cell from ``lstmjax.lstm``, ``lstmjax.gru``, ``lstmjax.simple_rnn``
        or ``lstmjax.make_cell``.
      params: that cell's params.
      xs: ``[..., T, D]`` (any leading batch dims, possibly none), or
        ``[T, ..., D]`` with ``time_major=True``.
      lengths: ``[...]`` integers in ``[0, T]``: sequence ``b`` occupies steps
        ``0 .. lengths[b]-1``; None when every sequence has all T steps.
      initial_carry: the carry at time 0 with leaves ``[..., F]``; zeros if None.
      time_major: whether time is the first axis of ``xs`` and of the outputs.
      reverse: run from the last valid step to the first. With ``lengths``
        each sequence is reversed inside its own length; outputs stay aligned
        with the inputs (``ys[t]`` belongs to ``xs[t]``).
      unroll: steps per loop iteration, passed to ``jax.lax.scan``; None (the
        default) picks the backend's measured best (``lstmjax.kernels.tuning``).
        It changes speed, never results.
      implementation: ``"auto"`` (the cell's fused kernel where it has one,
        else the reference scan), ``"reference"`` (``lax.scan`` of the
        cell's own ``recurrent_step``: every JAX transformation, forward-mode
        autodiff included) or ``"fused"`` (the kernel, or a ``ValueError``
        if the cell has none). Fused kernels define reverse-mode gradients only.
      remat: gradient checkpointing for long sequences: None (keep every
        step's activations), ``"sqrt"`` (chunks of ``ceil(sqrt(T))`` steps:
        activation memory ``O(sqrt T)`` for one extra forward pass) or a
        chunk length (``lstmjax.chunked``). It changes memory and speed,
        never results.

    Returns:
      ``(ys, final_carry)``: ``ys [..., T, O]`` (zero past each length) and the
      carry after each sequence's last valid step (after step 0 when reversed).

    >>> import jax, jax.numpy as jnp, lstmjax as lj
    >>> cell = lj.gru(4)
    >>> params = cell.init(jax.random.key(0), 3)
    >>> xs, lengths = jnp.ones((2, 5, 3)), jnp.array([5, 2])     # [B, T, D], [B]
    >>> ys, final = lj.rnn(cell, params, xs, lengths=lengths)
    >>> ys.shape, final.shape                                     # [B, T, H], [B, H]
    ((2, 5, 4), (2, 4))
    >>> bool(jnp.allclose(final[1], ys[1, 1]))                    # the last valid step's state
    True
    >>> ys_tm, _ = lj.rnn(cell, params, jnp.swapaxes(xs, 0, 1), lengths=lengths, time_major=True)
    >>> bool(jnp.allclose(jnp.swapaxes(ys_tm, 0, 1), ys, atol=1e-5))
    True
    """
    if not isinstance(cell, Cell):
        raise TypeError(f"cell: expected a Cell, got {type(cell).__name__}")
    cell.check_params(params)
    check_implementation(implementation)
    reverse = check_flag(reverse, "reverse")
    layout = SequenceLayout(cell, params, xs, lengths, time_major=time_major)
    unroll = check_unroll(unroll, layout.num_steps)
    chunk = check_remat(remat, layout.num_steps)
    expected = cell.initial_carry(layout.batch_shape, layout.dtype)
    initial_carry = check_carry(initial_carry, expected)
    flat_lengths = layout.lengths(lengths)
    mask = None if lengths is None else length_mask(flat_lengths, layout.num_steps)
    xs_t = zero_padding(layout.inputs(xs), mask)
    carry = layout.carry_in(expected if initial_carry is None else initial_carry, xs_t)
    if reverse:
        xs_t = reverse_in_length(xs_t, flat_lengths)
    ys, final = scan_time_major(cell, params, xs_t, carry, mask, unroll, implementation, chunk)
    if reverse:
        ys = reverse_in_length(ys, flat_lengths)
    return layout.outputs(ys), layout.carry_out(final)
