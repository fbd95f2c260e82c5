r"""A plain LSTM layer over time with a hand-written backward pass (``jax.custom_vjp``).

For ``xs [T, B, D]`` the input projection of all steps is ONE matmul,
``xw = xs W_ih`` (``[T*B, D] x [D, 4H]``, gate blocks ``i, f, g, o``); then
the recurrence runs in ``lax.scan`` (the bias is added there, inside the step's
fused elementwise work, sparing a pass over ``[T, B, 4H]``)::

    z_t  = xw_t + b + h_{t-1} W_hh                          [B, 4H]
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o);  g = tanh(z_g)
    c_t  = f * c_{t-1} + i * g;     h_t = o * tanh(c_t)

with ``sigmoid(z) = (1 + tanh(z / 2)) / 2`` so the four gates are ONE ``tanh``
over ``[B, 4H]``. Where ``mask[t, b]`` is False the carry is held and the
output is zero.

For training the forward scan saves, per step, the local derivatives of
``z_t`` instead of the gates: ``K_t = [g i(1-i), c_{t-1} f(1-f), i(1-g^2),
tanh(c_t) o(1-o)]`` (``[B, 4H]``, written IN PLACE over the row ``xw_t`` it
has just read, so no fresh ``[T, B, 4H]`` buffer is allocated and zeroed),
``k_c = o (1 - tanh(c_t)^2)`` and ``f``. The backward is one reverse scan
carrying only ``(dh, dc)``, with three elementwise products per step::

    dh   = dy_t + dh_next
    dc   = dc_next + dh * k_c
    dz_t = [dc, dc, dc, dh] * K_t
    dh_prev = dz_t W_hh^T;   dc_prev = dc f

(where ``mask`` is False the forward stored ``K = 0``, ``k_c = 0``, ``f = 1``:
``dz_t = 0``, ``dc`` passes through and ``dh_prev = dh_next``). After the loop
every other gradient is ONE matmul over all ``T*B`` rows of ``dZ [T*B, 4H]``:
``dW_hh = H_prev^T dZ``, ``dW_ih = X^T dZ``, ``db = 1^T dZ``,
``dX = dZ W_ih^T`` (cuDNN's BackwardData/BackwardWeights split).

Save or recompute: saving costs ``T*B*2H`` floats beyond the ``[T, B, 4H]``
buffer the forward needs anyway; recomputing would cost the backward a
recurrent matmul and the transcendentals per step. Measured on the CPU
(``lstmjax.kernels.tuning``): forming ``K`` in the forward and the
three-product backward took forward+backward of ``B16 T128 D=H256`` from 54
to 48 ms against saving the gates and forming ``dz`` in the backward.

Only reverse-mode differentiation is defined (``jax.grad``, ``jax.vjp``);
forward mode (``jax.jvp``, ``jax.jacfwd``) raises, as for any ``custom_vjp``.

Precision: matmul operands in ``compute_dtype`` (e.g. bfloat16) with
accumulation, gate math and state in the carry's dtype (float32).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from lstmjax.kernels.tuning import default_unroll


def _cast(x, compute_dtype):
    return x if compute_dtype is None else x.astype(compute_dtype)


def _dot(x, w, compute_dtype, out_dtype):
    """``x @ w``, operands in ``compute_dtype``, result in ``out_dtype``."""
    return jnp.matmul(
        _cast(x, compute_dtype), _cast(w, compute_dtype), preferred_element_type=out_dtype
    )


def _activations(z: jax.Array) -> jax.Array:
    """``(sigmoid(z_i), sigmoid(z_f), tanh(z_g), sigmoid(z_o))`` with one ``tanh``."""
    H = z.shape[-1] // 4
    half = jnp.full((H,), 0.5, z.dtype)
    one = jnp.ones((H,), z.dtype)
    zero = jnp.zeros((H,), z.dtype)
    scale = jnp.concatenate([half, half, one, half])
    shift = jnp.concatenate([half, half, zero, half])
    return jnp.tanh(z * scale) * scale + shift


def _forward(w_hh, b, xw, h0, c0, mask, compute_dtype, unroll):
    """The inference scan over ``xw = xs W_ih`` (the bias is added in the loop)."""
    H = h0.shape[-1]
    dtype = h0.dtype
    w_hh = _cast(w_hh, compute_dtype)

    def body(carry, inputs):
        h, c = carry
        t, m = inputs
        xw_t = jax.lax.dynamic_index_in_dim(xw, t, keepdims=False)
        a = _activations(xw_t + b + _dot(h, w_hh, compute_dtype, dtype))
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        c_new = f * c + i * g
        h_new = o * jnp.tanh(c_new)
        if m is None:
            return (h_new, c_new), h_new
        m = m[:, None]
        h_new = jnp.where(m, h_new, h)
        c_new = jnp.where(m, c_new, c)
        return (h_new, c_new), jnp.where(m, h_new, jnp.zeros_like(h_new))

    # xw is read by index, not scanned over: under ``jax.vmap`` (both directions
    # of a bidirectional layer) a scanned-over input would be transposed to put
    # time first, a copy of all of [T, B, 4H].
    steps = jnp.arange(xw.shape[0])
    (h_t, c_t), ys = jax.lax.scan(body, (h0, c0), (steps, mask), unroll=unroll)
    return ys, (h_t, c_t)


def _forward_saving(w_hh, b, xw, h0, c0, mask, compute_dtype, unroll):
    """The training scan: ``_forward`` that also keeps what the backward needs.

    Per step it turns ``xw_t`` into the local derivatives ``K_t`` IN PLACE (the
    loop reads row ``t`` of the buffer, then writes it), so no new ``[T, B, 4H]``
    buffer is allocated and filled; ``tanh(c_t)`` and the gates never leave the
    step. Where ``mask`` is False, ``K_t = 0``, ``k_c = 0`` and ``f = 1``, so the
    backward passes ``dc`` through and yields ``dz_t = 0`` there.

    Returns:
      ``(ys, k_cf, hs, ks, (h_T, c_T))``: ``k_cf [T, B, 2H]`` holds
      ``(o (1 - tanh(c_t)^2), f)``; ``hs`` the carried ``h_t`` (None unmasked,
      where it equals ``ys``); ``ks [T, B, 4H]`` the buffer that held ``xw``.
    """
    H = h0.shape[-1]
    dtype = h0.dtype
    w_hh = _cast(w_hh, compute_dtype)

    def body(carry, inputs):
        h, c, buf = carry
        t, m = inputs
        xw_t = jax.lax.dynamic_index_in_dim(buf, t, keepdims=False)
        a = _activations(xw_t + b + _dot(h, w_hh, compute_dtype, dtype))
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        c_new = f * c + i * g
        tc = jnp.tanh(c_new)
        h_new = o * tc
        k = jnp.concatenate(
            [g * i * (1.0 - i), c * f * (1.0 - f), i * (1.0 - g * g), tc * o * (1.0 - o)], axis=-1
        )
        k_c = o * (1.0 - tc * tc)
        if m is not None:
            m = m[:, None]
            h_new = jnp.where(m, h_new, h)
            c_new = jnp.where(m, c_new, c)
            k = jnp.where(m, k, jnp.zeros_like(k))
            k_c = jnp.where(m, k_c, jnp.zeros_like(k_c))
            f = jnp.where(m, f, jnp.ones_like(f))
            y = jnp.where(m, h_new, jnp.zeros_like(h_new))
            saved = (y, jnp.concatenate([k_c, f], axis=-1), h_new)
        else:
            saved = (h_new, jnp.concatenate([k_c, f], axis=-1))
        buf = jax.lax.dynamic_update_index_in_dim(buf, k, t, axis=0)
        return (h_new, c_new, buf), saved

    steps = jnp.arange(xw.shape[0])
    (h_t, c_t, ks), saved = jax.lax.scan(body, (h0, c0, xw), (steps, mask), unroll=unroll)
    ys, k_cf = saved[0], saved[1]
    hs = saved[2] if mask is not None else None
    return ys, k_cf, hs, ks, (h_t, c_t)


@functools.partial(jax.custom_vjp, nondiff_argnums=(7, 8))
def lstm_sequence(w_ih, b, w_hh, xs, h0, c0, mask, compute_dtype=None, unroll=None):
    """Runs a plain LSTM layer (module docstring) over ``xs``.

    Args:
      w_ih: ``[D, 4H]`` input weights, gate blocks ``i, f, g, o``.
      b: ``[4H]`` bias.
      w_hh: ``[H, 4H]`` recurrent weights.
      xs: ``[T, B, D]`` inputs.
      h0, c0: ``[B, H]`` initial carry; their dtype (float32) is the dtype of
        the gate math and of the state.
      mask: ``[T, B]`` booleans, False on padding, or None.
      compute_dtype: dtype of the matmul operands, or None for the operands' own.
      unroll: steps per loop iteration of both scans; None for the backend's
        measured defaults, forward and backward (``lstmjax.kernels.tuning``).

    Returns:
      ``(ys [T, B, H], (h_T, c_T))``: outputs (zero where masked) and the
      final carry.
    """
    xw = _dot(xs, w_ih, compute_dtype, h0.dtype)
    unroll = unroll or default_unroll(xs.shape[0])
    return _forward(w_hh, b, xw, h0, c0, mask, compute_dtype, unroll)


def _fwd(w_ih, b, w_hh, xs, h0, c0, mask, compute_dtype, unroll):
    xw = _dot(xs, w_ih, compute_dtype, h0.dtype)
    unroll = unroll or default_unroll(xs.shape[0])
    ys, k_cf, hs, ks, final = _forward_saving(w_hh, b, xw, h0, c0, mask, compute_dtype, unroll)
    hs = ys if hs is None else hs
    return (ys, final), (w_ih, b, w_hh, xs, ks, k_cf, hs, h0, mask)


def _bwd(compute_dtype, unroll, residuals, cotangents):
    w_ih, b, w_hh, xs, ks, k_cf, hs, h0, mask = residuals
    dys, (dh_T, dc_T) = cotangents
    T, B, D = xs.shape
    H = h0.shape[-1]
    dtype = ks.dtype
    unroll = unroll or default_unroll(T, backward=True)
    w_t = _cast(w_hh.T, compute_dtype)

    def body(carry, inputs):
        dh_next, dc_next = carry
        t, m = inputs
        dy, k, kcf = (jax.lax.dynamic_index_in_dim(a, t, keepdims=False) for a in (dys, ks, k_cf))
        k_c, f = kcf[:, :H], kcf[:, H:]
        dh = dy + dh_next
        dc = dc_next + dh * k_c
        dz = jnp.concatenate([dc, dc, dc, dh], axis=-1) * k
        dh_prev = _dot(dz, w_t, compute_dtype, dtype)
        if m is not None:
            dh_prev = jnp.where(m[:, None], dh_prev, dh_next)
        return (dh_prev, dc * f), dz

    # Read by index like the forward's xw (no transposes under jax.vmap).
    (dh0, dc0), dzs = jax.lax.scan(
        body, (dh_T, dc_T), (jnp.arange(T), mask), reverse=True, unroll=unroll
    )
    # After the loop: every weight and input gradient is one matmul over T*B rows.
    dz = dzs.reshape(T * B, 4 * H)
    h_prev = jnp.concatenate([h0[None], hs[:-1]]).reshape(T * B, H)
    dw_hh = _dot(h_prev.T, dz, compute_dtype, dtype)
    dw_ih = _dot(xs.reshape(T * B, D).T, dz, compute_dtype, dtype)
    dxs = _dot(dz, w_ih.T, compute_dtype, dtype).reshape(T, B, D)
    db = jnp.matmul(jnp.ones((T * B,), dtype), dz)
    return (
        dw_ih.astype(w_ih.dtype),
        db.astype(b.dtype),
        dw_hh.astype(w_hh.dtype),
        dxs.astype(xs.dtype),
        dh0,
        dc0,
        None,
    )


lstm_sequence.defvjp(_fwd, _bwd)
