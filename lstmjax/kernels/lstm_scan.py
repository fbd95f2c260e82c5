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

The forward scan saves the gate activations ``a_t = (i, f, g, o)``,
``tanh(c_t)`` and ``c_{t-1}``; the backward is one reverse scan carrying only ``(dh, dc)``::

    dh   = dy_t + dh_next                 (both zero where mask is False)
    dc   = dc_next + dh * o * (1 - tanh(c_t)^2)
    dz_t = [dc g i(1-i), dc c_{t-1} f(1-f), dc i (1-g^2), dh tanh(c_t) o(1-o)]
    dh_prev = dz_t W_hh^T;   dc_prev = dc f

and after the loop every other gradient is ONE matmul (or sum) over all
``T*B`` rows of ``dZ [T*B, 4H]``: ``dW_hh = H_prev^T dZ``, ``dW_ih = X^T dZ``,
``db = sum(dZ)``, ``dX = dZ W_ih^T`` (cuDNN's BackwardData/BackwardWeights
split). Saving costs ``T*B*7H`` floats and spares the backward a recurrent
matmul and the transcendentals per step (recomputing would need both).

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


def _forward(w_hh, b, xw, h0, c0, mask, compute_dtype, unroll, save):
    """The forward scan over ``xw = xs W_ih`` (the bias is added in the loop).

    With ``save`` it also returns what the backward needs: per step the output,
    the activations, ``tanh(c_t)`` and ``c_{t-1}`` (and ``h_t`` when masked).
    """
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
        tc = jnp.tanh(c_new)
        h_new = o * tc
        if m is not None:
            m = m[:, None]
            h_new = jnp.where(m, h_new, h)
            c_new = jnp.where(m, c_new, c)
            y = jnp.where(m, h_new, jnp.zeros_like(h_new))
        else:
            y = h_new
        if not save:
            return (h_new, c_new), y
        saved = (y, a, tc, c) if m is None else (y, a, tc, c, h_new)
        return (h_new, c_new), saved

    # xw is read by index, not scanned over: under ``jax.vmap`` (both directions
    # of a bidirectional layer) a scanned-over input would be transposed to put
    # time first, a copy of all of [T, B, 4H].
    steps = jnp.arange(xw.shape[0])
    (h_t, c_t), out = jax.lax.scan(body, (h0, c0), (steps, mask), unroll=unroll)
    return out, (h_t, c_t)


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
    return _forward(w_hh, b, xw, h0, c0, mask, compute_dtype, unroll, save=False)


def _fwd(w_ih, b, w_hh, xs, h0, c0, mask, compute_dtype, unroll):
    xw = _dot(xs, w_ih, compute_dtype, h0.dtype)
    unroll = unroll or default_unroll(xs.shape[0])
    saved, final = _forward(w_hh, b, xw, h0, c0, mask, compute_dtype, unroll, save=True)
    if mask is None:
        ys, acts, tcs, c_prev = saved
        hs = ys
    else:
        ys, acts, tcs, c_prev, hs = saved
    return (ys, final), (w_ih, b, w_hh, xs, acts, tcs, c_prev, hs, h0, mask)


def _bwd(compute_dtype, unroll, residuals, cotangents):
    w_ih, b, w_hh, xs, acts, tcs, c_prev, hs, h0, mask = residuals
    dys, (dh_T, dc_T) = cotangents
    T, B, D = xs.shape
    H = h0.shape[-1]
    dtype = acts.dtype
    unroll = unroll or default_unroll(T, backward=True)
    w_t = _cast(w_hh.T, compute_dtype)

    def body(carry, inputs):
        dh_next, dc_next = carry
        dy, a, tc, cp, m = inputs
        dh = dy + dh_next
        dc_in = dc_next
        if m is not None:
            m = m[:, None]
            dh = jnp.where(m, dh, jnp.zeros_like(dh))
            dc_in = jnp.where(m, dc_next, jnp.zeros_like(dc_next))
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        dc = dc_in + dh * o * (1.0 - tc * tc)
        dz = jnp.concatenate(
            [
                dc * g * i * (1.0 - i),
                dc * cp * f * (1.0 - f),
                dc * i * (1.0 - g * g),
                dh * tc * o * (1.0 - o),
            ],
            axis=-1,
        )
        dh_prev = _dot(dz, w_t, compute_dtype, dtype)
        dc_prev = dc * f
        if m is not None:
            dh_prev = jnp.where(m, dh_prev, dh_next)
            dc_prev = jnp.where(m, dc_prev, dc_next)
        return (dh_prev, dc_prev), dz

    (dh0, dc0), dzs = jax.lax.scan(
        body, (dh_T, dc_T), (dys, acts, tcs, c_prev, mask), reverse=True, unroll=unroll
    )
    # After the loop: every weight and input gradient is one matmul over T*B rows.
    dz = dzs.reshape(T * B, 4 * H)
    h_prev = jnp.concatenate([h0[None], hs[:-1]]).reshape(T * B, H)
    dw_hh = _dot(h_prev.T, dz, compute_dtype, dtype)
    dw_ih = _dot(xs.reshape(T * B, D).T, dz, compute_dtype, dtype)
    dxs = _dot(dz, w_ih.T, compute_dtype, dtype).reshape(T, B, D)
    return (
        dw_ih.astype(w_ih.dtype),
        jnp.sum(dz, axis=0).astype(b.dtype),
        dw_hh.astype(w_hh.dtype),
        dxs.astype(xs.dtype),
        dh0,
        dc0,
        None,
    )


lstm_sequence.defvjp(_fwd, _bwd)
