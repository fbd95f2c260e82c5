r"""Reset-after GRU layers over time with a hand-written backward (``jax.custom_vjp``).

``gru_directions`` runs one layer per direction in ONE scan; ``gru_sequence``
is its one-direction form. Both are
``lstmjax.kernels.scaffold.fused_directions`` with this module's steps,
``GRU_RULE``. For ``xw_t = x_t W_ih`` (``[B, 3H]``, gate blocks ``r, z, n``;
the recurrence of ``lstmjax.cells.gru``)::

    a = xw_t + b;   u = h_{t-1} W_hh;   q = u_n + b_hn          [B, 3H], [B, H]
    r = sigmoid(a_r + u_r);  z = sigmoid(a_z + u_z);  n = tanh(a_n + r q)
    h_t = (1 - z) n + z h_{t-1}

with ``sigmoid(v) = (1 + tanh(v / 2)) / 2``, so ``r`` and ``z`` are one ``tanh``
over ``[B, 2H]``. The forward step writes in place over ``xw_t`` the local
derivatives ``K_t = [q r(1-r), (h_{t-1} - n) z(1-z), (1-z)(1-n^2)]`` and saves
``[r, z]`` (``[B, 2H]``). The backward step carries only ``dh``::

    dh = dy_t + dh_next;   dz_n = dh K_n;   dz_r = dz_n K_r;   dz_z = dh K_z
    dU_t = [dz_r, dz_z, r dz_n];   dh_prev = dh z + dU_t W_hh^T

giving ``dZ_t = [dz_r, dz_z, dz_n]``, the gradient of ``a``; after the loop
``dZ_rec = dU`` (the gradient of ``u``) and ``db_hn = 1^T (r dZ_n)``.
Inference runs the training scan too (``StepRule.infer_saving``: faster on
the CPU, ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import jax.numpy as jnp

from lstmjax.kernels.scaffold import StepRule, dot, fused_directions


def _forward_step(b, w_hh, b_hn, h, xw_t, compute_dtype):
    """One step: ``(h_t, h_t, K_t [B, 3H], [r, z] [B, 2H])``."""
    H = h.shape[-1]
    a = xw_t + b
    u = dot(h, w_hh, compute_dtype, h.dtype)
    rz = 0.5 + 0.5 * jnp.tanh(0.5 * (a[:, : 2 * H] + u[:, : 2 * H]))
    r, z = rz[:, :H], rz[:, H:]
    q = u[:, 2 * H :] + b_hn
    n = jnp.tanh(a[:, 2 * H :] + r * q)
    h_new = n + z * (h - n)
    k = jnp.concatenate([q * r * (1.0 - r), (h - n) * z * (1.0 - z), (1.0 - z) * (1.0 - n * n)], -1)
    return h_new, h_new, k, rz


def _backward_step(w_t, b_hn, dh_next, dy, k, rz, compute_dtype):
    """One reverse step: ``(dh_prev, dZ_t [B, 3H])``."""
    H = dh_next.shape[-1]
    dh = dy + dh_next
    dz_n = dh * k[:, 2 * H :]
    dz_r = dz_n * k[:, :H]
    dz_z = dh * k[:, H : 2 * H]
    du = jnp.concatenate([dz_r, dz_z, rz[:, :H] * dz_n], -1)
    dh_prev = dh * rz[:, H:] + dot(du, w_t, compute_dtype, dh.dtype)
    return dh_prev, jnp.concatenate([dz_r, dz_z, dz_n], -1)


def _after_loop(dz, rz):
    """``(dU [T, B, 3H], db_hn [H])`` from ``dZ [T, B, 3H]`` and the saved ``[r, z] [T, B, 2H]``."""
    H = rz.shape[-1] // 2
    r_dz_n = rz[..., :H] * dz[..., 2 * H :]
    du = jnp.concatenate([dz[..., : 2 * H], r_dz_n], -1)
    return du, jnp.sum(r_dz_n, axis=(0, 1))


GRU_RULE = StepRule(
    forward=_forward_step,
    backward=_backward_step,
    hidden=lambda h: h,
    after_loop=_after_loop,
    # CPU, B16 T128 D=H256: forward 31 ms without, 22 ms with (benchmarks/RESULTS.md)
    infer_saving=True,
)


def gru_directions(w_ih, b, w_hh, b_hn, xs, h0, mask, compute_dtype=None, unroll=None):
    """Runs reset-after GRU layers (module docstring), one per direction, in ONE scan.

    Every argument but ``mask``, ``compute_dtype`` and ``unroll`` is a tuple
    with one entry per direction (the second's inputs already reversed
    within each length).

    Args:
      w_ih: ``[D, 3H]``; b: ``[3H]``; w_hh: ``[H, 3H]``; b_hn: ``[H]``.
      xs: ``[T, B, D]``; h0: ``[B, H]`` (its dtype is the gate math's).
      mask: ``[T, B]`` booleans (False on padding) or None.
      compute_dtype: dtype of the matmul operands, or None.
      unroll: steps per loop iteration; None for ``tuning.default_unroll``.

    Returns:
      ``(ys, h_T)``, tuples over directions of ``[T, B, H]`` (zero where
      masked) and ``[B, H]``.
    """
    return fused_directions(GRU_RULE, w_ih, b, w_hh, b_hn, xs, h0, mask, compute_dtype, unroll)


def gru_sequence(w_ih, b, w_hh, b_hn, xs, h0, mask, compute_dtype=None, unroll=None):
    """One GRU layer over ``xs [T, B, D]``: ``(ys [T, B, H], h_T [B, H])``."""
    (ys,), (h_T,) = gru_directions(
        (w_ih,), (b,), (w_hh,), (b_hn,), (xs,), (h0,), mask, compute_dtype, unroll
    )
    return ys, h_T
