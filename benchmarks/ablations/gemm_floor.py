"""Ablation: the LSTM's matmuls alone, as XLA runs them, against the whole layers.

    python benchmarks/ablations/gemm_floor.py [--compiler-options] [--torch]

For one LSTM layer over ``[B, T, D]`` the forward's matmuls are the input
projection (``[T*B, D] x [D, 4H]``) and ``T`` recurrent ones (``[B, H] x
[H, 4H]``, each waiting for the one before); the backward adds ``T``
recurrent ones (``[B, 4H] x [4H, H]``) and three over all rows (``dW_ih``,
``dW_hh``, ``dX``). "GEMMs only" runs exactly these, in the same loops, with
no gate math: a floor for any pure-JAX LSTM on this backend. Prints medians
of interleaved calls: the floors, lstmjax's layer and, with ``--torch``,
PyTorch's ``nn.LSTM`` in the same process.
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


def forward_gemms(w_ih, w_hh, xs, h0):
    """The projection, then ``T`` dependent recurrent matmuls (``h_t`` = a slice of ``z``)."""
    H = h0.shape[-1]
    xw = xs.reshape(-1, xs.shape[-1]) @ w_ih

    def body(h, t):
        return (h @ w_hh)[:, :H], None

    h, _ = jax.lax.scan(body, h0, jnp.arange(xs.shape[0]), unroll=4)
    return xw, h


def backward_gemms(w_ih, w_hh, xs, hs, dz0):
    """``T`` dependent ``dz W_hh^T`` matmuls, then the three all-rows ones."""
    T, B, D = xs.shape
    H = w_hh.shape[0]
    w_t = w_hh.T

    def body(dz, t):
        dh = dz @ w_t
        return jnp.tile(dh, (1, 4)), dh

    _, dhs = jax.lax.scan(body, dz0, jnp.arange(T), reverse=True)
    dz = jnp.tile(dhs.reshape(T * B, H), (1, 4))
    return xs.reshape(T * B, D).T @ dz, hs.reshape(T * B, H).T @ dz, dz @ w_ih.T


def main(argv=None):
    args = parse_args(__doc__, argv, torch=True)
    B, T, D, H = args.sizes
    jit = lambda f: jax.jit(
        f, compiler_options=lj.compiler_options() if args.compiler_options else {}
    )
    cell = lj.lstm(H)
    p = cell.init(jax.random.key(0), D)
    xs = jax.random.normal(jax.random.key(1), (B, T, D))
    xs_t = jnp.swapaxes(xs, 0, 1)
    h0 = jnp.zeros((B, H))
    hs = jax.random.normal(jax.random.key(2), (T, B, H))
    dz0 = jnp.zeros((B, 4 * H))
    layer = lambda p, x: lj.rnn(cell, p, x)[0]
    grad = jax.grad(lambda p, x: jnp.mean(layer(p, x) ** 2), argnums=(0, 1))
    run = lambda f, *a: lambda: jax.block_until_ready(f(*a))
    calls = {
        "GEMMs only, forward": run(jit(forward_gemms), p.w_ih, p.w_hh, xs_t, h0),
        "GEMMs only, backward": run(jit(backward_gemms), p.w_ih, p.w_hh, xs_t, hs, dz0),
        "lstmjax forward": run(jit(layer), p, xs),
        "lstmjax forward+backward": run(jit(grad), p, xs),
    }
    if args.torch:
        import torch

        lstm = torch.nn.LSTM(D, H, batch_first=True)
        x = torch.randn(B, T, D, requires_grad=True)
        params = list(lstm.parameters())

        def torch_forward():
            with torch.no_grad():
                lstm(x)

        def torch_forward_backward():
            torch.autograd.grad(lstm(x)[0].square().mean(), params + [x])

        calls["torch forward"] = torch_forward
        calls["torch forward+backward"] = torch_forward_backward
    ms = median_ms(calls)
    for name, value in ms.items():
        print(f"{name:32s} {value:8.2f} ms")
    floor = ms["GEMMs only, forward"] + ms["GEMMs only, backward"]
    print(f"{'GEMMs only, forward+backward':32s} {floor:8.2f} ms")


if __name__ == "__main__":
    main()
