"""Ablation: what the LSTM backward saves from the forward, or recomputes.

    python benchmarks/ablations/recompute.py [--compiler-options]

lstmjax's custom VJP (``lstmjax.kernels.lstm_scan``) saves per step the local
derivatives ``K_t [B, 4H]`` (in the buffer of ``xw``), ``k_c`` and ``f``.
The alternative here saves only ``h_t`` and ``c_t`` and recomputes in the
reverse scan ``z_t = xw_t + b + h_{t-1} W_hh`` (one more recurrent matmul
per step) and the gates (one ``tanh``, as the kernel does). Both keep
``xw`` or its buffer, so recomputing spares no memory at this size.
Prints the difference of their gradients and medians of interleaved
forward+backward calls.
"""

from __future__ import annotations

import os
import sys

import jax
import jax.numpy as jnp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(os.path.dirname(HERE)))

from harness import median_ms, parse_args  # noqa: E402
from wavefront import lstm_gates  # noqa: E402

import lstmjax as lj  # noqa: E402
from lstmjax.kernels.lstm_scan import _activations, lstm_sequence  # noqa: E402


@jax.custom_vjp
def lstm_recomputing(w_ih, b, w_hh, xs, h0, c0):
    """The same layer as ``lstm_sequence`` (no mask), with a recomputing backward."""
    return lstm_sequence(w_ih, b, w_hh, xs, h0, c0, None)[0]


def _forward(w_ih, b, w_hh, xs, h0, c0):
    xw = xs @ w_ih

    def body(carry, t):
        z = jax.lax.dynamic_index_in_dim(xw, t, keepdims=False) + b + carry[0] @ w_hh
        h, c = lstm_gates(z, carry[1])
        return (h, c), (h, c)

    _, (hs, cs) = jax.lax.scan(body, (h0, c0), jnp.arange(xs.shape[0]), unroll=4)
    return hs, (w_ih, b, w_hh, xs, xw, hs, cs, h0, c0)


def _backward(residuals, dys):
    w_ih, b, w_hh, xs, xw, hs, cs, h0, c0 = residuals
    T, B, D = xs.shape
    H = h0.shape[-1]
    h_prev = jnp.concatenate([h0[None], hs[:-1]])
    c_prev = jnp.concatenate([c0[None], cs[:-1]])
    w_t = w_hh.T  # transposed once, outside the loop

    def body(carry, t):
        dh_next, dc_next = carry
        step = lambda a: jax.lax.dynamic_index_in_dim(a, t, keepdims=False)
        xw_t, hp, cp, dy = (step(a) for a in (xw, h_prev, c_prev, dys))
        z = xw_t + b + hp @ w_hh
        a = _activations(z)
        i, f, g, o = (a[:, k * H : (k + 1) * H] for k in range(4))
        tc = jnp.tanh(f * cp + i * g)
        dh = dy + dh_next
        dc = dc_next + dh * o * (1 - tc * tc)
        dz = jnp.concatenate(
            [
                dc * g * i * (1 - i),
                dc * cp * f * (1 - f),
                dc * i * (1 - g * g),
                dh * tc * o * (1 - o),
            ],
            -1,
        )
        return (dz @ w_t, dc * f), dz

    zeros = jnp.zeros_like(h0)
    (dh0, dc0), dzs = jax.lax.scan(body, (zeros, zeros), jnp.arange(T), reverse=True)
    dz = dzs.reshape(T * B, 4 * H)
    return (
        xs.reshape(T * B, D).T @ dz,
        jnp.ones(T * B) @ dz,
        h_prev.reshape(T * B, H).T @ dz,
        (dz @ w_ih.T).reshape(T, B, D),
        dh0,
        dc0,
    )


lstm_recomputing.defvjp(_forward, _backward)


def main(argv=None):
    args = parse_args(__doc__, argv)
    B, T, D, H = args.sizes
    options = args.options
    p = lj.lstm(H).init(jax.random.key(0), D)
    args_ = (p.w_ih, p.b + 0.1, p.w_hh, jax.random.normal(jax.random.key(1), (T, B, D)))
    h0 = jnp.zeros((B, H))
    layers = {
        "save K (lstmjax)": lambda *a: lstm_sequence(*a, h0, h0, None)[0],
        "recompute": lambda *a: lstm_recomputing(*a, h0, h0),
    }
    grads, calls = {}, {}
    for name, layer in layers.items():
        loss = lambda *a, layer=layer: jnp.mean(layer(*a) ** 2)
        grad = jax.jit(jax.grad(loss, argnums=(0, 1, 2, 3)), compiler_options=options)
        grad = grad.lower(*args_).compile()
        grads[name] = grad(*args_)
        calls[f"{name} fwd+bwd"] = lambda g=grad: jax.block_until_ready(g(*args_))
    a, b = grads.values()
    worst = max(float(jnp.max(jnp.abs(x - y)) / jnp.max(jnp.abs(x))) for x, y in zip(a, b))
    print(f"largest relative gradient difference {worst:.1e}")
    for name, ms in median_ms(calls).items():
        print(f"{name:36s} {ms:8.2f} ms")


if __name__ == "__main__":
    main()
