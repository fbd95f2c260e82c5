r"""Plain LSTM layers over time with a hand-written backward pass (``jax.custom_vjp``).

``lstm_directions`` runs one layer per direction (both directions of a
bidirectional layer) in ONE scan; ``lstm_sequence`` is its one-direction form.

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
buffer the forward needs anyway; recomputing costs the backward a recurrent
matmul and the transcendentals per step. Saving measured faster on the
CPU (``benchmarks/RESULTS.md``).

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


def _step(h, c, xw_t, b, w_hh, compute_dtype):
    """One LSTM step: ``(h_t, c_t, a_t, tanh(c_t))`` from the carry and ``xw_t``."""
    H = h.shape[-1]
    a = _activations(xw_t + b + _dot(h, w_hh, compute_dtype, h.dtype))
    i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
    c_new = f * c + i * g
    tc = jnp.tanh(c_new)
    return o * tc, c_new, (i, f, g, o), tc


def _forward(w_hh, b, xw, h0, c0, mask, compute_dtype, unroll):
    """The inference scan over ``xw[d] = xs[d] W_ih[d]`` of every direction ``d``.

    Every argument but ``mask`` is a tuple with one entry per direction.
    """
    n = len(xw)
    w_hh = tuple(_cast(w, compute_dtype) for w in w_hh)

    def body(carry, inputs):
        t, m = inputs
        new_h, new_c = [], []
        for d in range(n):
            h, c = carry[0][d], carry[1][d]
            xw_t = jax.lax.dynamic_index_in_dim(xw[d], t, keepdims=False)
            h_new, c_new, _, _ = _step(h, c, xw_t, b[d], w_hh[d], compute_dtype)
            if m is not None:
                h_new = jnp.where(m[:, None], h_new, h)
                c_new = jnp.where(m[:, None], c_new, c)
            new_h.append(h_new)
            new_c.append(c_new)
        if m is None:
            ys = tuple(new_h)
        else:
            ys = tuple(jnp.where(m[:, None], h, jnp.zeros_like(h)) for h in new_h)
        return (tuple(new_h), tuple(new_c)), ys

    # xw is read by index, not scanned over: a scanned-over input under
    # ``jax.vmap`` would be transposed to put time first (a copy of [T, B, 4H]).
    steps = jnp.arange(xw[0].shape[0])
    (h_t, c_t), ys = jax.lax.scan(body, (h0, c0), (steps, mask), unroll=unroll)
    return ys, (h_t, c_t)


def _forward_saving(w_hh, b, xw, h0, c0, mask, compute_dtype, unroll):
    """The training scan: ``_forward`` that also keeps what the backward needs.

    Per step it turns ``xw_t`` into the local derivatives ``K_t`` IN PLACE (the
    loop reads row ``t`` of the buffer, then writes it), so no new ``[T, B, 4H]``
    buffer is allocated and filled; ``tanh(c_t)`` and the gates never leave the
    step. Where ``mask`` is False, ``K_t = 0``, ``k_c = 0`` and ``f = 1``, so the
    backward passes ``dc`` through and yields ``dz_t = 0`` there.

    Returns tuples over directions:
      ``(ys, k_cf, hs, ks, (h_T, c_T))``: ``k_cf [T, B, 2H]`` holds
      ``(o (1 - tanh(c_t)^2), f)``; ``hs`` the carried ``h_t`` (``ys`` where
      unmasked); ``ks [T, B, 4H]`` the buffer that held ``xw``.
    """
    n = len(xw)
    w_hh = tuple(_cast(w, compute_dtype) for w in w_hh)

    def body(carry, inputs):
        t, m = inputs
        out_h, out_c, out_buf, saved = [], [], [], []
        for d in range(n):
            h, c, buf = carry[0][d], carry[1][d], carry[2][d]
            xw_t = jax.lax.dynamic_index_in_dim(buf, t, keepdims=False)
            h_new, c_new, (i, f, g, o), tc = _step(h, c, xw_t, b[d], w_hh[d], compute_dtype)
            k = jnp.concatenate(
                [g * i * (1.0 - i), c * f * (1.0 - f), i * (1.0 - g * g), tc * o * (1.0 - o)],
                axis=-1,
            )
            k_c = o * (1.0 - tc * tc)
            if m is None:
                y = h_new
            else:
                valid = m[:, None]
                h_new = jnp.where(valid, h_new, h)
                c_new = jnp.where(valid, c_new, c)
                k = jnp.where(valid, k, jnp.zeros_like(k))
                k_c = jnp.where(valid, k_c, jnp.zeros_like(k_c))
                f = jnp.where(valid, f, jnp.ones_like(f))
                y = jnp.where(valid, h_new, jnp.zeros_like(h_new))
            k_cf = jnp.concatenate([k_c, f], axis=-1)
            saved.append((y, k_cf) if m is None else (y, k_cf, h_new))
            out_h.append(h_new)
            out_c.append(c_new)
            out_buf.append(jax.lax.dynamic_update_index_in_dim(buf, k, t, axis=0))
        return (tuple(out_h), tuple(out_c), tuple(out_buf)), tuple(saved)

    steps = jnp.arange(xw[0].shape[0])
    (h_t, c_t, ks), saved = jax.lax.scan(body, (h0, c0, xw), (steps, mask), unroll=unroll)
    ys = tuple(s[0] for s in saved)
    k_cf = tuple(s[1] for s in saved)
    hs = ys if mask is None else tuple(s[2] for s in saved)
    return ys, k_cf, hs, ks, (h_t, c_t)


@functools.partial(jax.custom_vjp, nondiff_argnums=(7, 8))
def lstm_directions(w_ih, b, w_hh, xs, h0, c0, mask, compute_dtype=None, unroll=None):
    """Runs plain LSTM layers (module docstring), one per direction, in ONE scan.

    Every argument but ``mask``, ``compute_dtype`` and ``unroll`` is a tuple
    with one entry per direction (both directions of a bidirectional layer:
    the second's inputs already reversed within each length). Each step of
    the loop runs every direction's step, each with its own unbatched
    recurrent matmul.

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
    xw = tuple(_dot(x, w, compute_dtype, h.dtype) for x, w, h in zip(xs, w_ih, h0))
    unroll = unroll or default_unroll(xs[0].shape[0])
    return _forward(w_hh, b, xw, h0, c0, mask, compute_dtype, unroll)


def _fwd(w_ih, b, w_hh, xs, h0, c0, mask, compute_dtype, unroll):
    xw = tuple(_dot(x, w, compute_dtype, h.dtype) for x, w, h in zip(xs, w_ih, h0))
    unroll = unroll or default_unroll(xs[0].shape[0])
    ys, k_cf, hs, ks, final = _forward_saving(w_hh, b, xw, h0, c0, mask, compute_dtype, unroll)
    return (ys, final), (w_ih, b, w_hh, xs, ks, k_cf, hs, h0, mask)


def _bwd(compute_dtype, unroll, residuals, cotangents):
    w_ih, b, w_hh, xs, ks, k_cf, hs, h0, mask = residuals
    dys, (dh_T, dc_T) = cotangents
    n = len(xs)
    T, B, D = xs[0].shape
    H = h0[0].shape[-1]
    dtype = ks[0].dtype
    unroll = unroll or default_unroll(T, backward=True)
    w_t = tuple(_cast(w.T, compute_dtype) for w in w_hh)

    def body(carry, inputs):
        t, m = inputs
        out_dh, out_dc, dzs = [], [], []
        for d in range(n):
            dh_next, dc_next = carry[0][d], carry[1][d]
            dy, k, kcf = (
                jax.lax.dynamic_index_in_dim(a[d], t, keepdims=False) for a in (dys, ks, k_cf)
            )
            dh = dy + dh_next
            dc = dc_next + dh * kcf[:, :H]
            dz = jnp.concatenate([dc, dc, dc, dh], axis=-1) * k
            dh_prev = _dot(dz, w_t[d], compute_dtype, dtype)
            if m is not None:
                dh_prev = jnp.where(m[:, None], dh_prev, dh_next)
            out_dh.append(dh_prev)
            out_dc.append(dc * kcf[:, H:])
            dzs.append(dz)
        return (tuple(out_dh), tuple(out_dc)), tuple(dzs)

    # Read by index like the forward's xw (no transposes under jax.vmap).
    (dh0, dc0), dzs = jax.lax.scan(
        body, (dh_T, dc_T), (jnp.arange(T), mask), reverse=True, unroll=unroll
    )
    # After the loop: every weight and input gradient is one matmul over T*B rows.
    grads = []
    for d in range(n):
        dz = dzs[d].reshape(T * B, 4 * H)
        h_prev = jnp.concatenate([h0[d][None], hs[d][:-1]]).reshape(T * B, H)
        grads.append(
            (
                _dot(xs[d].reshape(T * B, D).T, dz, compute_dtype, dtype).astype(w_ih[d].dtype),
                jnp.matmul(jnp.ones((T * B,), dtype), dz).astype(b[d].dtype),
                _dot(h_prev.T, dz, compute_dtype, dtype).astype(w_hh[d].dtype),
                _dot(dz, w_ih[d].T, compute_dtype, dtype).reshape(T, B, D).astype(xs[d].dtype),
            )
        )
    dw_ih, db, dw_hh, dxs = (tuple(g[i] for g in grads) for i in range(4))
    return dw_ih, db, dw_hh, dxs, dh0, dc0, None


lstm_directions.defvjp(_fwd, _bwd)


def lstm_sequence(w_ih, b, w_hh, xs, h0, c0, mask, compute_dtype=None, unroll=None):
    """One plain LSTM layer over ``xs [T, B, D]``: ``lstm_directions`` with one direction.

    Takes and returns single arrays where ``lstm_directions`` has tuples:
    ``(ys [T, B, H], (h_T, c_T))``.
    """
    (ys,), ((h,), (c,)) = lstm_directions(
        (w_ih,), (b,), (w_hh,), (xs,), (h0,), (c0,), mask, compute_dtype, unroll
    )
    return ys, (h, c)
