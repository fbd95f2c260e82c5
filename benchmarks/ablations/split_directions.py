"""Ablation: a bidirectional LSTM's directions as two unbatched matmuls per step, or vmapped.

    python benchmarks/ablations/split_directions.py [--compiler-options]

Both run the two directions in ONE scan of lstmjax's custom-VJP kernel;
``lstmjax.kernels.tuning.SPLIT_DIRECTIONS`` picks, per backend, between
``lstm_directions`` (each step runs the directions' ``[B, H] x [H, 4H]``
matmuls one after the other) and ``jax.vmap`` of the one-direction kernel
(one batched matmul per step). Times a 2-layer bidirectional stack both ways
in one process: forward, and forward+backward of a mean-square loss.
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
from lstmjax.kernels import tuning  # noqa: E402


def main(argv=None):
    args = parse_args(__doc__, argv)
    B, T, D, H = args.sizes
    layer = lj.bidirectional(lj.lstm(H))
    net = lj.stack([layer, layer])
    params = net.init(jax.random.key(0), D)
    xs = jax.random.normal(jax.random.key(1), (B, T, D))
    calls, grads = {}, {}
    saved = tuning.SPLIT_DIRECTIONS
    try:
        for name, backends in (("split", {jax.default_backend()}), ("vmapped", set())):
            tuning.SPLIT_DIRECTIONS = frozenset(backends)  # read when tracing
            # new functions each time: jax.jit would reuse a trace of the same one
            apply = lambda p, x: net.apply(p, x)[0]
            grad = jax.grad(lambda p, x, f=apply: jnp.mean(f(p, x) ** 2), argnums=(0, 1))
            fwd = jax.jit(apply, compiler_options=args.options).lower(params, xs).compile()
            bwd = jax.jit(grad, compiler_options=args.options).lower(params, xs).compile()
            grads[name] = bwd(params, xs)
            calls[f"{name} fwd"] = lambda f=fwd: jax.block_until_ready(f(params, xs))
            calls[f"{name} fwd+bwd"] = lambda g=bwd: jax.block_until_ready(g(params, xs))
    finally:
        tuning.SPLIT_DIRECTIONS = saved
    worst = max(
        float(jnp.max(jnp.abs(a - b)))
        for a, b in zip(jax.tree.leaves(grads["split"]), jax.tree.leaves(grads["vmapped"]))
    )
    print(f"max |split - vmapped| gradient = {worst:.1e}")
    for name, ms in median_ms(calls).items():
        print(f"{name:36s} {ms:8.2f} ms")


if __name__ == "__main__":
    main()
