r"""Plain LSTM layers over time with a hand-written backward pass (``jax.custom_vjp``).

``lstm_directions`` runs one layer per direction (both directions of a
bidirectional layer) in ONE scan; ``lstm_sequence`` is its one-direction form.
Both are ``lstmjax.kernels.scaffold.fused_directions`` (the input projection,
loop over directions, masking, in-place saving and after-loop GEMMs) with
this module's steps, ``LSTM_RULE``. For ``xw_t = x_t W_ih`` (``[B, 4H]``,
gate blocks ``i, f, g, o``)::

    z_t  = xw_t + b + h_{t-1} W_hh                          [B, 4H]
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o);  g = tanh(z_g)
    c_t  = f * c_{t-1} + i * g;     h_t = o * tanh(c_t)

with ``sigmoid(z) = (1 + tanh(z / 2)) / 2`` so the four gates are ONE ``tanh``
over ``[B, 4H]``.

For training the forward step gives, instead of the gates, the local
derivatives of ``z_t``: ``K_t = [g i(1-i), c_{t-1} f(1-f), i(1-g^2),
tanh(c_t) o(1-o)]`` (``[B, 4H]``, written in place over ``xw_t``) and saves
``[k_c, f]`` (``[B, 2H]``, ``k_c = o (1 - tanh(c_t)^2)``). The backward step
carries only ``(dh, dc)``, with three elementwise products::

    dh   = dy_t + dh_next
    dc   = dc_next + dh * k_c
    dz_t = [dc, dc, dc, dh] * K_t
    dh_prev = dz_t W_hh^T;   dc_prev = dc f

and the weight gradients come after the loop from ``dZ`` (``dZ_rec = dZ``).
Saving ``K`` measured faster than recomputing the gates in the backward on
the CPU (``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from lstmjax.kernels.scaffold import StepRule, dot, fused_directions


def _activations(z: jax.Array) -> jax.Array:
    """``(sigmoid(z_i), sigmoid(z_f), tanh(z_g), sigmoid(z_o))`` with one ``tanh``."""
    H = z.shape[-1] // 4
    half = jnp.full((H,), 0.5, z.dtype)
    one = jnp.ones((H,), z.dtype)
    zero = jnp.zeros((H,), z.dtype)
    scale = jnp.concatenate([half, half, one, half])
    shift = jnp.concatenate([half, half, zero, half])
    return jnp.tanh(z * scale) * scale + shift


def _forward_step(b, w_hh, extra, carry, xw_t, compute_dtype):
    """One step: ``((h_t, c_t), h_t, K_t [B, 4H], [k_c, f] [B, 2H])``."""
    h, c = carry
    H = h.shape[-1]
    a = _activations(xw_t + b + dot(h, w_hh, compute_dtype, h.dtype))
    i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
    c_new = f * c + i * g
    tc = jnp.tanh(c_new)
    h_new = o * tc
    k = jnp.concatenate(
        [g * i * (1.0 - i), c * f * (1.0 - f), i * (1.0 - g * g), tc * o * (1.0 - o)], axis=-1
    )
    k_cf = jnp.concatenate([o * (1.0 - tc * tc), f], axis=-1)
    return (h_new, c_new), h_new, k, k_cf


def _backward_step(w_t, extra, dcarry, dy, k, k_cf, compute_dtype):
    """One reverse step: ``((dh_prev, dc_prev), dz_t [B, 4H])``."""
    dh_next, dc_next = dcarry
    H = dh_next.shape[-1]
    dh = dy + dh_next
    dc = dc_next + dh * k_cf[:, :H]
    dz = jnp.concatenate([dc, dc, dc, dh], axis=-1) * k
    return (dot(dz, w_t, compute_dtype, dh.dtype), dc * k_cf[:, H:]), dz


LSTM_RULE = StepRule(
    forward=_forward_step,
    backward=_backward_step,
    hidden=lambda carry: carry[0],
    after_loop=lambda dz, saved: (dz, ()),
)


def lstm_directions(w_ih, b, w_hh, xs, h0, c0, mask, compute_dtype=None, unroll=None):
    """Runs plain LSTM layers (module docstring), one per direction, in ONE scan.

    Every argument but ``mask``, ``compute_dtype`` and ``unroll`` is a tuple
    with one entry per direction (the second's inputs already reversed
    within each length).

    Args:
      w_ih: ``[D, 4H]`` input weights per direction, gate blocks ``i, f, g, o``.
      b: ``[4H]`` biases.
      w_hh: ``[H, 4H]`` recurrent weights.
      xs: ``[T, B, D]`` inputs.
      h0, c0: ``[B, H]`` initial carries; their dtype (float32) is the dtype
        of the gate math and of the state.
      mask: ``[T, B]`` booleans, False on padding (shared by the directions), or None.
      compute_dtype: dtype of the matmul operands, or None for the operands' own.
      unroll: steps per loop iteration of both scans; None for the backend's
        measured defaults, forward and backward (``lstmjax.kernels.tuning``).

    Returns:
      ``(ys, (h_T, c_T))``, tuples over directions: outputs ``[T, B, H]``
      (zero where masked) and final carries.
    """
    extra = tuple(() for _ in xs)
    ys, finals = fused_directions(
        LSTM_RULE, w_ih, b, w_hh, extra, xs, tuple(zip(h0, c0)), mask, compute_dtype, unroll
    )
    return ys, (tuple(f[0] for f in finals), tuple(f[1] for f in finals))


def lstm_sequence(w_ih, b, w_hh, xs, h0, c0, mask, compute_dtype=None, unroll=None):
    """One plain LSTM layer over ``xs [T, B, D]``: ``lstm_directions`` with one direction.

    Takes and returns single arrays where ``lstm_directions`` has tuples:
    ``(ys [T, B, H], (h_T, c_T))``.
    """
    (ys,), ((h,), (c,)) = lstm_directions(
        (w_ih,), (b,), (w_hh,), (xs,), (h0,), (c0,), mask, compute_dtype, unroll
    )
    return ys, (h, c)
