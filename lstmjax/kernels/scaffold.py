r"""The shared body of the fused recurrent kernels: a cell plugs in its steps.

A gated cell whose pre-activations are ``xw_t + b + h_{t-1} W_hh`` (gate
blocks of width ``H``, ``G`` of them) runs here over ``xs [T, B, D]``, one
or more directions in ONE ``lax.scan``. What every such kernel shares is
written once:

- the input projection, ONE matmul ``xw = xs W_ih`` (``[T*B, D] x [D, G*H]``)
  before the loop (the cell's step adds ``b`` inside its fused elementwise
  work);
- the loop over directions: each step of the scan runs every direction's
  step, each with its own unbatched recurrent matmul;
- masking: where ``mask[t, b]`` is False the carry is held and the output
  is zero; in the backward the carry's gradient passes through and
  ``dz_t = 0``;
- the training forward writes the cell's local derivatives ``K_t``
  (``[B, G*H]``) IN PLACE over the row ``xw_t`` it has just read, so no
  fresh ``[T, B, G*H]`` buffer is allocated; rows are read by index, not
  scanned over (a scanned-over input under ``jax.vmap`` would be transposed
  to put time first, a copy);
- after the one reverse scan, every other gradient is ONE matmul over the
  ``T*B`` rows of ``dZ [T*B, G*H]`` (the gradient of ``xw_t + b``) and
  ``dZ_rec`` (that of ``h_{t-1} W_hh``, ``dZ`` itself for the LSTM)::

      dW_ih = X^T dZ;   dX = dZ W_ih^T;   db = 1^T dZ;   dW_hh = H_prev^T dZ_rec

The cell supplies a ``StepRule`` (``lstm_scan.LSTM_RULE``,
``gru_scan.GRU_RULE``). Only reverse-mode differentiation is defined.
Precision: matmul operands in ``compute_dtype`` with accumulation; gate
math and state in the carry's dtype.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.sharding import PartitionSpec as P

from lstmjax.kernels.tuning import default_unroll


class StepRule(NamedTuple):
    """A cell's part of a fused kernel. ``H`` is the hidden size, ``G*H`` the gate width.

    Attributes:
      forward: ``(b, w_hh, extra, carry, xw_t, compute_dtype) -> (carry, y, k, saved)``:
        one step from ``xw_t [B, G*H]``; ``y [B, H]`` is the new hidden
        state; ``k [B, G*H]`` the local derivatives (written over ``xw_t``);
        ``saved`` a ``[B, S]`` row the backward also reads. ``w_hh`` is
        already in ``compute_dtype``; ``extra`` the cell's other params.
      backward: ``(w_hh_t, extra, dcarry, dy, k, saved, compute_dtype) -> (dcarry, dz)``:
        the reverse step from the gradient of the next carry and of ``y_t``
        to that of the previous carry and ``dz_t [B, G*H]``.
      hidden: ``carry -> h [B, H]``, the state the recurrent matmul multiplies.
      after_loop: ``(dz [T, B, G*H], saved [T, B, S]) -> (dz_rec [T, B, G*H], d_extra)``:
        the gradient of ``h W_hh`` and of ``extra`` from every step and row.
      infer_saving: run inference (no gradient) with the training scan too,
        where that measured faster (XLA may fuse a step whose ``k`` and
        ``saved`` are dropped into one slower loop; ``benchmarks/RESULTS.md``).
    """

    forward: Callable
    backward: Callable
    hidden: Callable
    after_loop: Callable
    infer_saving: bool = False


def cast(x, compute_dtype):
    return x if compute_dtype is None else x.astype(compute_dtype)


def dot(x, w, compute_dtype, out_dtype):
    """``x @ w``, operands in ``compute_dtype``, result in ``out_dtype``."""
    return jnp.matmul(
        cast(x, compute_dtype), cast(w, compute_dtype), preferred_element_type=out_dtype
    )


def _over_time_and_batch(spec: str, a, b, compute_dtype, out_dtype):
    """A weight gradient, ``einsum(spec)`` contracting time and batch of ``[T, B, .]`` operands.

    The batch axis stays an axis of its own (no ``[T*B]`` reshape), so under a
    mesh that shards it each device contracts its own rows and the partial
    sums are all-reduced; where a mesh shards it explicitly, the result is
    declared replicated.
    """
    spec_a = getattr(getattr(jax.typeof(a), "sharding", None), "spec", None)
    sharded = spec_a is not None and any(axis is not None for axis in spec_a)
    return jnp.einsum(
        spec,
        cast(a, compute_dtype),
        cast(b, compute_dtype),
        preferred_element_type=out_dtype,
        out_sharding=P() if sharded else None,
    )


def _row(tree, t):
    """Row ``t`` of every leaf of ``tree`` (leaves ``[T, ...]``)."""
    return jax.tree.map(lambda a: jax.lax.dynamic_index_in_dim(a, t, keepdims=False), tree)


def _hold(m, new, old):
    """``new`` where ``m [B]`` is True, else ``old`` (leaves ``[B, F]``)."""
    return jax.tree.map(lambda n, o: jnp.where(m[:, None], n, o), new, old)


def _projections(w_ih, xs, carries, rule, compute_dtype):
    return tuple(
        dot(x, w, compute_dtype, rule.hidden(c).dtype) for x, w, c in zip(xs, w_ih, carries)
    )


def _step(rule, b, w_hh, extra, carry, xw_t, m, compute_dtype):
    """``rule.forward``, then past a length (``m [B]`` False) the carry held and ``y = 0``."""
    new, y, k, saved = rule.forward(b, w_hh, extra, carry, xw_t, compute_dtype)
    if m is not None:
        new = _hold(m, new, carry)
        y = jnp.where(m[:, None], y, jnp.zeros_like(y))
    return new, y, k, saved


def _forward(rule, b, w_hh, extra, xw, carries, mask, compute_dtype, unroll):
    """The inference scan; every argument but ``rule``, ``mask`` a tuple over directions."""
    w_hh = tuple(cast(w, compute_dtype) for w in w_hh)

    def body(carries, inputs):
        t, m = inputs
        new, ys = [], []
        for d, carry in enumerate(carries):
            step = _step(rule, b[d], w_hh[d], extra[d], carry, _row(xw[d], t), m, compute_dtype)
            new.append(step[0])
            ys.append(step[1])
        return tuple(new), tuple(ys)

    finals, ys = jax.lax.scan(body, carries, (jnp.arange(xw[0].shape[0]), mask), unroll=unroll)
    return ys, finals


def _forward_saving(rule, b, w_hh, extra, xw, carries, mask, compute_dtype, unroll):
    """The training scan: ``_forward`` that keeps what the backward needs.

    Returns tuples over directions: ``(ys, saved, hs, ks, finals)``; ``saved
    [T, B, S]`` the rule's rows, ``hs [T, B, H]`` the carried hidden states
    (``ys`` itself where there is no mask), ``ks [T, B, G*H]`` the buffer that
    held ``xw``.
    """
    w_hh = tuple(cast(w, compute_dtype) for w in w_hh)

    def body(state, inputs):
        t, m = inputs
        new, bufs, outs = [], [], []
        for d, (carry, buf) in enumerate(zip(*state)):
            carry_d, y, k, saved = _step(
                rule, b[d], w_hh[d], extra[d], carry, _row(buf, t), m, compute_dtype
            )
            new.append(carry_d)
            bufs.append(jax.lax.dynamic_update_index_in_dim(buf, k, t, axis=0))
            outs.append((y, saved) if m is None else (y, saved, rule.hidden(carry_d)))
        return (tuple(new), tuple(bufs)), tuple(outs)

    steps = jnp.arange(xw[0].shape[0])
    (finals, ks), outs = jax.lax.scan(body, (carries, xw), (steps, mask), unroll=unroll)
    ys = tuple(o[0] for o in outs)
    hs = ys if mask is None else tuple(o[2] for o in outs)
    return ys, tuple(o[1] for o in outs), hs, ks, finals


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 8, 9))
def fused_directions(
    rule, w_ih, b, w_hh, extra, xs, carries, mask, compute_dtype=None, unroll=None
):
    """Runs ``rule``'s cell over ``xs``, one layer per direction, in ONE scan.

    Every argument but ``rule``, ``mask``, ``compute_dtype`` and ``unroll`` is
    a tuple with one entry per direction (the backward direction's inputs
    already reversed within each length).

    Args:
      rule: the cell's ``StepRule``.
      w_ih: ``[D, G*H]`` input weights.
      b: ``[G*H]`` biases.
      w_hh: ``[H, G*H]`` recurrent weights.
      extra: the cell's other params (a pytree, e.g. ``()``).
      xs: ``[T, B, D]`` inputs.
      carries: initial carries, leaves ``[B, F]``; their dtype (float32) is
        that of the gate math and of the state.
      mask: ``[T, B]`` booleans, False on padding, or None.
      compute_dtype: dtype of the matmul operands, or None for the operands' own.
      unroll: steps per loop iteration of both scans; None for the backend's
        measured defaults (``lstmjax.kernels.tuning``).

    Returns:
      ``(ys, finals)``, tuples over directions: ``ys [T, B, H]`` (zero where
      masked) and the final carries.
    """
    xw = _projections(w_ih, xs, carries, rule, compute_dtype)
    unroll = unroll or default_unroll(xs[0].shape[0])
    if rule.infer_saving:
        ys, _, _, _, finals = _forward_saving(
            rule, b, w_hh, extra, xw, carries, mask, compute_dtype, unroll
        )
        return ys, finals
    return _forward(rule, b, w_hh, extra, xw, carries, mask, compute_dtype, unroll)


def _fwd(rule, w_ih, b, w_hh, extra, xs, carries, mask, compute_dtype, unroll):
    xw = _projections(w_ih, xs, carries, rule, compute_dtype)
    unroll = unroll or default_unroll(xs[0].shape[0])
    ys, saved, hs, ks, finals = _forward_saving(
        rule, b, w_hh, extra, xw, carries, mask, compute_dtype, unroll
    )
    return (ys, finals), (w_ih, b, w_hh, extra, xs, carries, mask, ks, saved, hs)


def _bwd(rule, compute_dtype, unroll, residuals, cotangents):
    w_ih, b, w_hh, extra, xs, carries, mask, ks, saved, hs = residuals
    dys, dfinals = cotangents
    T, B, D = xs[0].shape
    dtype = ks[0].dtype
    unroll = unroll or default_unroll(T, backward=True)
    w_t = tuple(cast(w.T, compute_dtype) for w in w_hh)

    def body(dcarries, inputs):
        t, m = inputs
        new, dzs = [], []
        for d, dcarry in enumerate(dcarries):
            dy, k, s = _row((dys[d], ks[d], saved[d]), t)
            dprev, dz = rule.backward(w_t[d], extra[d], dcarry, dy, k, s, compute_dtype)
            if m is not None:
                dprev = _hold(m, dprev, dcarry)
                dz = jnp.where(m[:, None], dz, jnp.zeros_like(dz))
            new.append(dprev)
            dzs.append(dz)
        return tuple(new), tuple(dzs)

    dcarries, dzs = jax.lax.scan(body, dfinals, (jnp.arange(T), mask), reverse=True, unroll=unroll)
    grads = []
    for d in range(len(xs)):
        dz = dzs[d]
        dz_rec, d_extra = rule.after_loop(dz, saved[d])
        h0 = rule.hidden(carries[d])
        h_prev = jnp.concatenate([h0[None], hs[d][:-1]])
        grads.append(
            (
                _over_time_and_batch("tbd,tbg->dg", xs[d], dz, compute_dtype, dtype).astype(
                    w_ih[d].dtype
                ),
                jnp.sum(dz, axis=(0, 1)).astype(b[d].dtype),
                _over_time_and_batch("tbh,tbg->hg", h_prev, dz_rec, compute_dtype, dtype).astype(
                    w_hh[d].dtype
                ),
                jax.tree.map(lambda g, p: g.astype(p.dtype), d_extra, extra[d]),
                dot(dz, w_ih[d].T, compute_dtype, dtype).astype(xs[d].dtype),
            )
        )
    dw_ih, db, dw_hh, d_extra, dxs = (tuple(g[i] for g in grads) for i in range(5))
    return dw_ih, db, dw_hh, d_extra, dxs, dcarries, None


fused_directions.defvjp(_fwd, _bwd)
