r"""Reset-after GRU layers over time with a hand-written backward (``jax.custom_vjp``).

For ``xs [T, B, D]`` the input projection is ONE matmul ``a = xs W_ih + b``
(``[T, B, 3H]``, gate blocks ``r, z, n``); the recurrence (``lstmjax.cells.gru``)::

    u_t = h_{t-1} W_hh;   q = u_n + b_hn                     [B, 3H], [B, H]
    r = sigmoid(a_r + u_r);  z = sigmoid(a_z + u_z);  n = tanh(a_n + r q)
    h_t = (1 - z) n + z h_{t-1}

Where ``mask[t, b]`` is False the carry is held and the output is zero.
The forward saves per step, IN PLACE over the row ``a_t`` it has read, the
local derivatives ``K_t = [q r(1-r), (h_{t-1} - n) z(1-z), (1-z)(1-n^2)]``,
plus ``r`` and ``z`` (masked: ``K = 0``, ``r = 0``, ``z = 1``). The backward
is one reverse scan carrying only ``dh``::

    dh = dy_t + dh_next;   da_n = dh K_n;   da_r = da_n K_r;   da_z = dh K_z
    dU_t = [da_r, da_z, r da_n];   dh_prev = dh z + dU_t W_hh^T

and after the loop every other gradient is one matmul over ``T*B`` rows:
``dW_ih = X^T dA``, ``dX = dA W_ih^T``, ``db = 1^T dA``, ``dW_hh = H_prev^T dU``,
``db_hn = 1^T (r da_n)``.

Precision: matmul operands in ``compute_dtype`` with accumulation, gate
math and state in the carry's dtype.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from lstmjax.kernels.tuning import default_unroll


def _dot(x, w, compute_dtype, out_dtype):
    """``x @ w``, operands in ``compute_dtype``, result in ``out_dtype``."""
    if compute_dtype is not None:
        x, w = x.astype(compute_dtype), w.astype(compute_dtype)
    return jnp.matmul(x, w, preferred_element_type=out_dtype)


def _forward(w_ih, b, w_hh, b_hn, xs, h0, mask, compute_dtype, unroll):
    """Forward scan: ``ys [T, B, H]``, ``h_T``, and the saved ``(K, r, z, h_prev)``."""
    T, B, _ = xs.shape
    H = h0.shape[-1]
    dtype = h0.dtype
    a = (_dot(xs.reshape(T * B, -1), w_ih, compute_dtype, dtype) + b).reshape(T, B, 3 * H)
    m = jnp.ones((T, B), bool) if mask is None else mask

    def body(carry, t):
        h, buf = carry
        a_t = jax.lax.dynamic_index_in_dim(buf, t, keepdims=False)
        u = _dot(h, w_hh, compute_dtype, dtype)
        r = jax.nn.sigmoid(a_t[:, :H] + u[:, :H])
        z = jax.nn.sigmoid(a_t[:, H : 2 * H] + u[:, H : 2 * H])
        q = u[:, 2 * H :] + b_hn
        n = jnp.tanh(a_t[:, 2 * H :] + r * q)
        h_new = (1 - z) * n + z * h
        m_t = jax.lax.dynamic_index_in_dim(m, t, keepdims=False)[:, None]
        k = jnp.concatenate([q * r * (1 - r), (h - n) * z * (1 - z), (1 - z) * (1 - n * n)], -1)
        k = jnp.where(m_t, k, 0)
        buf = jax.lax.dynamic_update_index_in_dim(buf, k, t, 0)
        h_out = jnp.where(m_t, h_new, h)
        saved = (jnp.where(m_t, r, 0), jnp.where(m_t, z, 1), h)
        return (h_out, buf), (jnp.where(m_t, h_new, 0), saved)

    (h_T, ks), (ys, saved) = jax.lax.scan(
        body, (h0, a), jnp.arange(T), unroll=default_unroll(T) if unroll is None else unroll
    )
    return ys, h_T, (ks, *saved)


@functools.partial(jax.custom_vjp, nondiff_argnums=(7, 8))
def gru_sequence(w_ih, b, w_hh, b_hn, xs, h0, mask, compute_dtype=None, unroll=None):
    """One reset-after GRU layer (module docstring) over one direction.

    Args:
      w_ih: ``[D, 3H]``; b: ``[3H]``; w_hh: ``[H, 3H]``; b_hn: ``[H]``.
      xs: ``[T, B, D]``; h0: ``[B, H]`` (its dtype is the gate math's).
      mask: ``[T, B]`` booleans (False on padding) or None.
      compute_dtype: dtype of the matmul operands, or None.
      unroll: steps per loop iteration; None for ``tuning.default_unroll``.

    Returns:
      ``(ys [T, B, H], h_T [B, H])``, ``ys`` zero where masked.
    """
    ys, h_T, _ = _forward(w_ih, b, w_hh, b_hn, xs, h0, mask, compute_dtype, unroll)
    return ys, h_T


def _fwd(w_ih, b, w_hh, b_hn, xs, h0, mask, compute_dtype, unroll):
    ys, h_T, saved = _forward(w_ih, b, w_hh, b_hn, xs, h0, mask, compute_dtype, unroll)
    return (ys, h_T), (w_ih, w_hh, xs, mask, saved)


def _bwd(compute_dtype, unroll, residuals, cotangents):
    w_ih, w_hh, xs, mask, (ks, rs, zs, h_prev) = residuals
    dys, dh_T = cotangents
    T, B, D = xs.shape
    H = dh_T.shape[-1]
    dtype = dh_T.dtype

    def body(dh_next, t):
        rows = (jax.lax.dynamic_index_in_dim(v, t, keepdims=False) for v in (dys, ks, rs, zs))
        dy, k, r, z = rows
        dh = dy + dh_next
        da_n = dh * k[:, 2 * H :]
        da_r = da_n * k[:, :H]
        da_z = dh * k[:, H : 2 * H]
        du = jnp.concatenate([da_r, da_z, r * da_n], -1)
        dh_prev = dh * z + _dot(du, w_hh.T, compute_dtype, dtype)
        return dh_prev, jnp.concatenate([da_r, da_z, da_n], -1)

    b_unroll = default_unroll(T, backward=True) if unroll is None else unroll
    dh0, da = jax.lax.scan(body, dh_T, jnp.arange(T), reverse=True, unroll=b_unroll)
    da = da.reshape(T * B, 3 * H)
    r_da_n = rs.reshape(T * B, H) * da[:, 2 * H :]
    du = jnp.concatenate([da[:, : 2 * H], r_da_n], -1)
    x = xs.reshape(T * B, D)
    dw_ih = _dot(x.T, da, compute_dtype, dtype).astype(w_ih.dtype)
    dw_hh = _dot(h_prev.reshape(T * B, H).T, du, compute_dtype, dtype).astype(w_hh.dtype)
    db = jnp.ones((T * B,), dtype) @ da
    db_hn = jnp.ones((T * B,), dtype) @ r_da_n
    dxs = _dot(da, w_ih.T, compute_dtype, dtype).reshape(T, B, D).astype(xs.dtype)
    return dw_ih, db, dw_hh, db_hn, dxs, dh0, None


gru_sequence.defvjp(_fwd, _bwd)


def gru_directions(w_ih, b, w_hh, b_hn, xs, h0, mask, compute_dtype=None, unroll=None):
    """``gru_sequence`` per direction: every argument but the last three a tuple.

    Returns ``(ys_tuple, h_T_tuple)``. (Each direction is its own scan here.)
    """
    out = [
        gru_sequence(*args, mask, compute_dtype, unroll)
        for args in zip(w_ih, b, w_hh, b_hn, xs, h0, strict=True)
    ]
    return tuple(o[0] for o in out), tuple(o[1] for o in out)
