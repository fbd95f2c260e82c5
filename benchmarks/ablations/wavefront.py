"""Ablation: a wavefront over two stacked LSTM layers against one scan per layer.

    python benchmarks/ablations/wavefront.py [--compiler-options]

The wavefront runs both layers in ONE scan of ``T + 1`` steps: step ``s``
advances layer 1 at time ``s`` and layer 2 at time ``s - 1`` (its input is
layer 1's output of the step before), so the two layers' matmuls of a step
are independent. Layer 2's input projection moves into the loop:
``[h1_{t}, h2_{t-1}] [W_ih2; W_hh2]``, one ``[B, 2H] x [2H, 4H]`` matmul per
step. Its backward is JAX's autodiff of the scan. The baseline is lstmjax's
stack: one custom-VJP scan per layer, each input projection one matmul over
all ``T*B`` rows. Prints medians of interleaved calls (forward, and
forward+backward of a mean-square loss).
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

import lstmjax as lj  # noqa: E402
from lstmjax.kernels.lstm_scan import _activations  # noqa: E402


def lstm_gates(z, c):
    """One LSTM update from pre-activations ``z [B, 4H]`` and cell state ``c [B, H]``."""
    H = c.shape[-1]
    a = _activations(z)
    c = a[:, H : 2 * H] * c + a[:, :H] * a[:, 2 * H : 3 * H]
    return a[:, 3 * H :] * jnp.tanh(c), c


def wavefront(params, xs):
    """Two stacked LSTM layers over ``xs [B, T, D]`` in one scan of ``T + 1`` steps."""
    (p1, p2) = params
    B, T, _ = xs.shape
    H = p1.w_hh.shape[0]
    xw1 = jnp.einsum("btd,dg->tbg", xs, p1.w_ih) + p1.b
    xw1 = jnp.concatenate([xw1, jnp.zeros_like(xw1[:1])])  # layer 1 idles at s = T
    w2 = jnp.concatenate([p2.w_ih, p2.w_hh])
    zeros = jnp.zeros((B, H))

    def body(carry, s):
        h1, c1, h2, c2 = carry
        z1 = jax.lax.dynamic_index_in_dim(xw1, s, keepdims=False) + h1 @ p1.w_hh
        z2 = jnp.concatenate([h1, h2], -1) @ w2 + p2.b
        n1, m1 = lstm_gates(z1, c1)
        n2, m2 = lstm_gates(z2, c2)
        started = s > 0  # layer 2 starts at s = 1, on layer 1's h of time 0
        n2, m2 = jnp.where(started, n2, h2), jnp.where(started, m2, c2)
        return (n1, m1, n2, m2), n2

    _, ys = jax.lax.scan(body, (zeros, zeros, zeros, zeros), jnp.arange(T + 1))
    return jnp.swapaxes(ys[1:], 0, 1)


def main(argv=None):
    args = parse_args(__doc__, argv)
    B, T, D, H = args.sizes
    options = args.options
    net = lj.stack([lj.lstm(H), lj.lstm(H)])
    params = net.init(jax.random.key(0), D)
    xs = jax.random.normal(jax.random.key(1), (B, T, D))
    stacked = lambda p, x: net.apply(p, x)[0]
    worst = jnp.max(jnp.abs(jax.jit(wavefront)(params, xs) - jax.jit(stacked)(params, xs)))
    print(f"max |wavefront - stack| = {float(worst):.2e}")
    calls = {}
    for name, fn in (("stack (one scan per layer)", stacked), ("wavefront", wavefront)):
        fwd = jax.jit(fn, compiler_options=options).lower(params, xs).compile()
        loss = lambda p, x, fn=fn: jnp.mean(fn(p, x) ** 2)
        grad = jax.jit(jax.grad(loss, argnums=(0, 1)), compiler_options=options)
        grad = grad.lower(params, xs).compile()
        calls[f"{name} fwd"] = lambda f=fwd: jax.block_until_ready(f(params, xs))
        calls[f"{name} fwd+bwd"] = lambda g=grad: jax.block_until_ready(g(params, xs))
    for name, ms in median_ms(calls).items():
        print(f"{name:36s} {ms:8.2f} ms")


if __name__ == "__main__":
    main()
